-- One row per day: is it a working day? (CPL art. 105 holiday shift.)
-- Weekends are non-working unless the seed lists them as 调休 working days; public
-- holidays from the seed are non-working whatever the weekday.
{{ config(materialized='table') }}

with days as (
    select cast(d as date) as calendar_date
    from {{ day_series("date '2019-01-01'", "date '2031-01-01'", 't', 'd') }}
),

holidays as (
    select cast(date as date) as calendar_date, is_holiday, is_workday, name
    from {{ ref('holidays') }}
)

select
    days.calendar_date,
    coalesce(
        holidays.is_workday,
        case when holidays.is_holiday then false end,
        {{ iso_weekday('days.calendar_date') }} <= 5
    ) as is_working_day,
    coalesce(holidays.is_holiday, false) as is_public_holiday,
    holidays.name as holiday_name
from days
left join holidays on holidays.calendar_date = days.calendar_date
