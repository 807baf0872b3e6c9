-- Community corrections, custody (prison/detention-centre) events and court enforcement
-- cases linked to the court defendant row they execute: 案号 (court_case_no, first or
-- second instance) + ID token, else token in window, else probabilistic.
-- Incremental: a daily build relinks the records a change can reach (macros/identity/relink.sql);
-- a record's business key (record_key, null when a part is) replaces its older versions.
{%- set win = var('link_windows').justice %}
{%- set inputs = ['int_first_instance_judgments_linked', 'int_second_instance_judgments_linked'] %}
{%- set everything = relink_everything(inputs) %}
{{ config(**logged_incremental('_row_id', versions_of=['record_type', 'record_key'],
                              relinked_from=inputs)) }}
with

candidates as (
    select 'community_correction' as record_type, _row_id as record_id,
        court_case_no as link_key, id_token, id_status, id_birth_date, name_token,
        name_pinyin_token, id_birth_date as birth_date, id_region_code as region_code,
        cast(null as {{ dbt.type_string() }}) as charge,
        coalesce(effective_date, start_date, reported_date, status_date) as record_date,
        _staged_in_build as staged_in_build,
        id_token || '|' || court_case_no as record_key
    from {{ ref('stg_justice__community_corrections') }}
    union all
    select 'custody_event', _row_id, court_case_no, id_token, id_status, id_birth_date,
        cast(null as {{ dbt.type_string() }}), cast(null as {{ dbt.type_string() }}),
        id_birth_date, id_region_code, cast(null as {{ dbt.type_string() }}), event_date,
        _staged_in_build,
        id_token || '|' || court_case_no || '|' || event || '|' || cast(event_date as {{ dbt.type_string() }})
    from {{ ref('stg_justice__custody_events') }}
    union all
    select 'enforcement', _row_id, court_case_no, id_token, id_status, id_birth_date,
        cast(null as {{ dbt.type_string() }}), cast(null as {{ dbt.type_string() }}),
        id_birth_date, id_region_code, cast(null as {{ dbt.type_string() }}), filed_date,
        _staged_in_build, enforcement_case_no
    from {{ ref('stg_court__enforcements') }}
),

{% set touched -%}
    {{ touched_blocks(changes_of(ref(inputs[0])), 'court_case_no') }}
    union all
    {{ touched_blocks(changes_of(ref(inputs[1])), 'court_case_no') }}
{%- endset -%}
{{ relinked('candidates', touched, everything) }},

court_rows as (
    select _row_id, person_case_id from {{ ref('int_first_instance_judgments_linked') }}
    union all
    select _row_id, person_case_id from {{ ref('int_second_instance_judgments_linked') }}
),

targets as (
    select
        j._row_id as record_id,
        j.court_case_no as link_key,
        j.id_token, j.id_status, j.id_birth_date, j.name_token, j.name_pinyin_token,
        j.id_birth_date as birth_date,
        j.id_region_code as region_code,
        j.charge,
        j.filed_date as record_date,
        {{ add_days('j.filed_date', win[0]) }} as window_start,
        {{ add_days('j.filed_date', win[1]) }} as window_end,
        c.person_case_id
    from {{ ref('stg_court__judgments') }} as j
    inner join court_rows as c on c._row_id = j._row_id
),

{{ link_person_records('relinked', 'targets', 'court', narrow=not everything) }},

final as (
    select
        c.record_type,
        c.record_id as _row_id,
        c.link_key as court_case_no,
        c.id_token,
        t.record_id as judgment_row_id,
        t.person_case_id,
        coalesce(l.link_method, 'unlinked') as link_method,
        l.link_confidence,
        l.match_weight,
        c.record_key
    from relinked as c
    left join court_links as l on l.left_id = c.record_id
    left join targets as t on t.record_id = l.right_id
)

select * from final
