{#- Each department's dated timeline events, on the person-case its record was linked to
    (null when the record could not be linked). case_events is their union: each macro
    filters the person-case where it is read (`event_scope`), before the joins, so a daily
    build computes the build scope's events only (a filter on the union would come after
    every department's joins). -#}

{% macro event_scope(column) -%}
    ({{ column }} is null or {{ in_build_scope(column) }})
{%- endmacro %}

{#- Police timeline events per police person-case: filing, each coercive measure, transfer. -#}
{% macro police_events() -%}
with

person_cases as (
    select * from {{ ref('int_police_person_cases') }}
    where {{ event_scope('person_case_id') }}
),

cases as (
    select * from {{ ref('stg_police__cases') }}
),

measures as (
    select m.*, t.event_type
    from {{ ref('stg_police__measures') }} as m
    left join {{ ref('measure_types') }} as t on t.measure_type = m.measure_type
),

transfers as (
    select * from {{ ref('stg_police__transfers') }}
),

final as (
    select
        {{ surrogate_key(["'police.cases'", 'p.police_case_no', 'p.suspect_seq', "'filed'"]) }}
            as event_id,
        p.person_case_id, 'case_filed' as event_type, c.filed_date as event_date,
        cast(c.filed_date as timestamp) as event_at, c.status as detail,
        c._batch_id as batch_id, c._row_id as row_id, c._business_date,
        p.birth_date
    from person_cases as p
    inner join cases as c on c.police_case_no = p.police_case_no
    union all
    select
        {{ surrogate_key(["'police.measures'", 'm.document_no']) }},
        p.person_case_id, coalesce(m.event_type, 'measure_other'), m.start_date,
        m.start_at, m.measure_type, m._batch_id, m._row_id, m._business_date, p.birth_date
    from person_cases as p
    inner join measures as m
        on m.police_case_no = p.police_case_no and m.suspect_seq = p.suspect_seq
    union all
    select
        {{ surrogate_key(["'police.transfers'", 't.police_case_no', 't.suspect_seq']) }},
        p.person_case_id, 'transferred_for_prosecution', t.transfer_date,
        cast(t.transfer_date as timestamp), t.receiving_procuratorate,
        t._batch_id, t._row_id, t._business_date, p.birth_date
    from person_cases as p
    inner join transfers as t
        on t.police_case_no = p.police_case_no and t.suspect_seq = p.suspect_seq
)

select *, 'police' as source from final
{%- endmacro %}

{#- Procuratorate timeline events: arrest and prosecution reviews (received / concluded) and
    each 退回补充侦查 (returned / re-transferred), on the person-case they were linked to. -#}
{% macro procuratorate_events() -%}
with

arrest as (
    select l.person_case_id, r.*, k.conclusion_code
    from {{ ref('int_arrest_reviews_linked') }} as l
    inner join {{ ref('stg_procuratorate__arrest_reviews') }} as r on r._row_id = l._row_id
    left join {{ ref('review_conclusions') }} as k on k.conclusion = r.conclusion
    where {{ event_scope('l.person_case_id') }}
),

prosecution as (
    select l.person_case_id, r.*, k.conclusion_code
    from {{ ref('int_prosecution_reviews_linked') }} as l
    inner join {{ ref('stg_procuratorate__prosecution_reviews') }} as r on r._row_id = l._row_id
    left join {{ ref('review_conclusions') }} as k on k.conclusion = r.conclusion
    where {{ event_scope('l.person_case_id') }}
),

supplementary as (
    select p.person_case_id, p.id_token, p.id_birth_date, s.*
    from prosecution as p
    inner join {{ ref('stg_procuratorate__supplementary_investigations') }} as s
        on s.proc_case_no = p.proc_case_no
),

{%- set review_key = ['coalesce(r.proc_case_no, r._row_id)', 'coalesce(r.id_token, r._row_id)'] %}

final as (
    {%- for kind, rel in [('arrest_review', 'arrest'), ('prosecution_review', 'prosecution')] %}
    select
        {{ surrogate_key(["'" ~ kind ~ "'"] + review_key + ["'received'"]) }} as event_id,
        person_case_id, '{{ kind }}_received' as event_type, received_date as event_date,
        cast(received_date as timestamp) as event_at, cast(null as {{ dbt.type_string() }}) as detail,
        _batch_id as batch_id, _row_id as row_id, _business_date, id_birth_date as birth_date
    from {{ rel }} as r
    union all
    select
        {{ surrogate_key(["'" ~ kind ~ "'"] + review_key + ["'concluded'"]) }},
        person_case_id, '{{ kind }}_concluded', concluded_date,
        cast(concluded_date as timestamp), conclusion_code, _batch_id, _row_id, _business_date,
        id_birth_date
    from {{ rel }} as r
    union all
    {%- endfor %}
    {%- for slot, col in [('returned', 'returned_date'), ('retransferred', 'retransferred_date')] %}
    select
        {{ surrogate_key(["'supplementary'", 'r.proc_case_no', 'coalesce(r.id_token, r._row_id)',
                          'r.sequence', "'" ~ slot ~ "'"]) }},
        person_case_id, 'supplementary_investigation_{{ slot }}', {{ col }},
        cast({{ col }} as timestamp), cast(sequence as {{ dbt.type_string() }}),
        _batch_id, _row_id, _business_date, id_birth_date
    from supplementary as r
    {{ 'union all' if not loop.last }}
    {%- endfor %}
)

select *, 'procuratorate' as source from final
{%- endmacro %}

{#- Court timeline events: first and second instance (filed / closed / effective) and
    enforcement cases (filed / closed), on the person-case they were linked to. -#}
{% macro court_events() -%}
with

judgments as (
    select l.person_case_id, j.*
    from (
        select _row_id, person_case_id from {{ ref('int_first_instance_judgments_linked') }}
        union all
        select _row_id, person_case_id from {{ ref('int_second_instance_judgments_linked') }}
    ) as l
    inner join {{ ref('stg_court__judgments') }} as j on j._row_id = l._row_id
    where {{ event_scope('l.person_case_id') }}
),

enforcements as (
    select l.person_case_id, e.*
    from {{ ref('int_justice_records_linked') }} as l
    inner join {{ ref('stg_court__enforcements') }} as e on e._row_id = l._row_id
    where l.record_type = 'enforcement' and {{ event_scope('l.person_case_id') }}
),

{%- set judgment_key = ["'court.judgments'", 'coalesce(r.court_case_no, r._row_id)', 'coalesce(r.id_token, r._row_id)'] %}

final as (
    {%- for slot, col, detail in [('filed', 'filed_date', 'procedure'),
                                  ('closed', 'closed_date', 'verdict')] %}
    select
        {{ surrogate_key(judgment_key + ["'" ~ slot ~ "'"]) }} as event_id,
        person_case_id,
        concat(case when instance = 'second' then 'second' else 'first' end,
               '_instance_{{ slot }}') as event_type,
        {{ col }} as event_date, cast({{ col }} as timestamp) as event_at,
        {{ detail }} as detail, _batch_id as batch_id, _row_id as row_id, _business_date,
        id_birth_date as birth_date
    from judgments as r
    union all
    {%- endfor %}
    select
        {{ surrogate_key(judgment_key + ["'effective'"]) }}, person_case_id,
        'judgment_effective', effective_date, cast(effective_date as timestamp),
        penalty, _batch_id, _row_id, _business_date, id_birth_date
    from judgments as r
    union all
    {%- for slot, col, detail in [('filed', 'filed_date', 'cast(null as ' ~ dbt.type_string() ~ ')'),
                                  ('closed', 'closed_date', 'closure')] %}
    select
        {{ surrogate_key(["'court.enforcement'", 'r.enforcement_case_no', "'" ~ slot ~ "'"]) }},
        person_case_id, 'enforcement_{{ slot }}', {{ col }}, cast({{ col }} as timestamp),
        {{ detail }}, _batch_id, _row_id, _business_date, id_birth_date
    from enforcements as r
    {{ 'union all' if not loop.last }}
    {%- endfor %}
)

select *, 'court' as source from final
{%- endmacro %}

{#- Justice timeline events: community correction (effective / reported / status change),
    prison and detention-centre events, and legal aid (int_legal_aid_linked). -#}
{% macro justice_events() -%}
with

links as (
    select * from {{ ref('int_justice_records_linked') }}
    where {{ event_scope('person_case_id') }}
),

corrections as (
    select l.person_case_id, c.*, s.status_code
    from links as l
    inner join {{ ref('stg_justice__community_corrections') }} as c on c._row_id = l._row_id
    left join {{ ref('correction_statuses') }} as s on s.status = c.status
),

custody_events as (
    select l.person_case_id, e.*, t.event_type
    from links as l
    inner join {{ ref('stg_justice__custody_events') }} as e on e._row_id = l._row_id
    left join {{ ref('custody_event_types') }} as t on t.event = e.event
),

legal_aid as (
    select l.person_case_id, a.*
    from {{ ref('stg_justice__legal_aid') }} as a
    inner join {{ ref('int_legal_aid_linked') }} as l on l._row_id = a._row_id
    where {{ event_scope('l.person_case_id') }}
),

{%- set correction_key = ["'justice.corrections'", 'coalesce(r.court_case_no, r._row_id)', 'coalesce(r.id_token, r._row_id)'] %}

final as (
    {%- for slot, col, detail in [('effective', 'effective_date', 'correction_type'),
                                  ('reported', 'reported_date', 'correction_type'),
                                  ('status_changed', 'status_date', 'status_code')] %}
    select
        {{ surrogate_key(correction_key + ["'" ~ slot ~ "'"]) }} as event_id,
        person_case_id, 'correction_{{ slot }}' as event_type, {{ col }} as event_date,
        cast({{ col }} as timestamp) as event_at, {{ detail }} as detail,
        _batch_id as batch_id, _row_id as row_id, _business_date, id_birth_date as birth_date
    from corrections as r
    union all
    {%- endfor %}
    select
        {{ surrogate_key(["'justice.custody_events'", 'r.court_case_no',
                          'coalesce(r.id_token, r._row_id)', 'r.event', 'r.event_date']) }},
        person_case_id, coalesce(event_type, 'custody_other'), event_date,
        cast(event_date as timestamp), institution_code, _batch_id, _row_id, _business_date,
        id_birth_date
    from custody_events as r
    union all
    select
        {{ surrogate_key(["'justice.legal_aid'", 'r.case_ref', 'coalesce(r.id_token, r._row_id)',
                          'r.stage']) }},
        person_case_id, 'legal_aid_assigned', assigned_date, cast(assigned_date as timestamp),
        stage, _batch_id, _row_id, _business_date, id_birth_date
    from legal_aid as r
)

select *, 'justice' as source from final
{%- endmacro %}
