{{ config(materialized='view') }}
-- Justice timeline events: community correction (effective / reported / status change),
-- prison and detention-centre events, and legal aid (int_legal_aid_linked).
with

links as (
    select * from {{ ref('int_justice_records_linked') }}
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
