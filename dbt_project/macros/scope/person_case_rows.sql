{#- Every delivered row that belongs to a person-case (int_person_case_rows). `only`: a query
    of the person_case_ids to keep, applied in each branch before its joins (DuckDB does not
    push a semi-join on the union's result down into them: it would compute every row). -#}
{% macro person_case_rows(only=none) -%}
with police as (
    select pc.person_case_id, 'police.suspects' as source, 'police' as department,
        s.id_token, s.name_token, s._batch_id, s._row_id, s._business_date
    from {{ ref('int_police_person_cases') }} as pc
    inner join {{ ref('stg_police__suspects') }} as s on s._row_id = pc._row_id
    where {{ in_keys('pc.person_case_id', only) }}
),

police_case_rows as (
    select pc.person_case_id, 'police.cases', 'police', null, null,
        c._batch_id, c._row_id, c._business_date
    from {{ ref('int_police_person_cases') }} as pc
    inner join {{ ref('stg_police__cases') }} as c on c.police_case_no = pc.police_case_no
    where {{ in_keys('pc.person_case_id', only) }}
),

{%- for name, model in [('measures', 'stg_police__measures'),
                         ('transfers', 'stg_police__transfers')] %}
{{ name }} as (
    select pc.person_case_id, 'police.{{ name }}', 'police', null, null,
        r._batch_id, r._row_id, r._business_date
    from {{ ref('int_police_person_cases') }} as pc
    inner join {{ ref(model) }} as r
        on r.police_case_no = pc.police_case_no and r.suspect_seq = pc.suspect_seq
    where {{ in_keys('pc.person_case_id', only) }}
),
{% endfor %}
-- linked by case number + the person's own token: no identity evidence of its own
legal_aid as (
    select l.person_case_id, 'justice.legal_aid', 'justice', null, null,
        a._batch_id, a._row_id, a._business_date
    from {{ ref('int_legal_aid_linked') }} as l
    inner join {{ ref('stg_justice__legal_aid') }} as a on a._row_id = l._row_id
    where l.person_case_id is not null and {{ in_keys('l.person_case_id', only) }}
),

{%- set linked = [
    ('procuratorate.arrest_reviews', 'procuratorate', 'int_arrest_reviews_linked',
     'stg_procuratorate__arrest_reviews', 'r.name_token'),
    ('procuratorate.prosecution_reviews', 'procuratorate', 'int_prosecution_reviews_linked',
     'stg_procuratorate__prosecution_reviews', 'r.name_token'),
    ('court.judgments', 'court', 'int_first_instance_judgments_linked',
     'stg_court__judgments', 'r.name_token'),
    ('court.judgments', 'court', 'int_second_instance_judgments_linked',
     'stg_court__judgments', 'r.name_token'),
] %}
department_rows as (
    {%- for source, department, link_model, stg_model, name_col in linked %}
    select l.person_case_id, '{{ source }}', '{{ department }}', r.id_token, {{ name_col }},
        r._batch_id, r._row_id, r._business_date
    from {{ ref(link_model) }} as l
    inner join {{ ref(stg_model) }} as r on r._row_id = l._row_id
    where l.person_case_id is not null and {{ in_keys('l.person_case_id', only) }}
    union all
    {%- endfor %}
    select l.person_case_id,
        case l.record_type
            when 'community_correction' then 'justice.community_corrections'
            when 'custody_event' then 'justice.custody_events'
            else 'court.enforcement'
        end,
        case l.record_type when 'enforcement' then 'court' else 'justice' end,
        coalesce(cc.id_token, ce.id_token, en.id_token), cc.name_token,
        coalesce(cc._batch_id, ce._batch_id, en._batch_id), l._row_id,
        coalesce(cc._business_date, ce._business_date, en._business_date)
    from {{ ref('int_justice_records_linked') }} as l
    left join {{ ref('stg_justice__community_corrections') }} as cc on cc._row_id = l._row_id
    left join {{ ref('stg_justice__custody_events') }} as ce on ce._row_id = l._row_id
    left join {{ ref('stg_court__enforcements') }} as en on en._row_id = l._row_id
    where l.person_case_id is not null and {{ in_keys('l.person_case_id', only) }}
),

returns as (
    select pc.person_case_id, 'procuratorate.supplementary_investigations', 'procuratorate',
        null, null, r._batch_id, r._row_id, r._business_date
    from {{ ref('person_cases') }} as pc
    inner join {{ ref('stg_procuratorate__supplementary_investigations') }} as r
        on r.proc_case_no = pc.proc_case_no
    where {{ in_keys('pc.person_case_id', only) }}
)

select person_case_id, source, department, id_token, name_token, _batch_id, _row_id,
    cast(_business_date as date) as business_date
from (
    select * from police
    union all select * from police_case_rows
    union all select * from measures
    union all select * from transfers
    union all select * from legal_aid
    union all select * from department_rows
    union all select * from returns
)
{%- endmacro %}

