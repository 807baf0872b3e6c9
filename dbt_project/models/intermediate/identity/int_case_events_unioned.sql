{{ config(materialized='view') }}  -- read once, by case_events, with its build scope pushed down
-- Every department's dated events, each on the person-case its record was linked to
-- (null when the record could not be linked: kept for reconciliation).
with

events as (
    select * from {{ ref('int_police_events') }}
    union all
    select * from {{ ref('int_procuratorate_events') }}
    union all
    select * from {{ ref('int_court_events') }}
    union all
    select * from {{ ref('int_justice_events') }}
)

select * from events
where event_date is not null
