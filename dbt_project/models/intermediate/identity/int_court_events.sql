{{ config(materialized='view') }}
-- Court timeline events: first and second instance (filed / closed / effective) and
-- enforcement cases (filed / closed), on the person-case they were linked to.
with

judgments as (
    select l.person_case_id, j.*
    from (
        select _row_id, person_case_id from {{ ref('int_first_instance_judgments_linked') }}
        union all
        select _row_id, person_case_id from {{ ref('int_second_instance_judgments_linked') }}
    ) as l
    inner join {{ ref('stg_court__judgments') }} as j on j._row_id = l._row_id
),

enforcements as (
    select l.person_case_id, e.*
    from {{ ref('int_justice_records_linked') }} as l
    inner join {{ ref('stg_court__enforcements') }} as e on e._row_id = l._row_id
    where l.record_type = 'enforcement'
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
