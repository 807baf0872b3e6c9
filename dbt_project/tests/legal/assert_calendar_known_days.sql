-- The holiday calendar says what the State Council notices say on days the unit tests
-- rely on: 2023-10-05 国庆 (rest), 2023-10-07 Saturday 调休 (working), 2022-03-05 an
-- ordinary Saturday (rest), 2026-02-14 Saturday 调休 (working), 2024-02-29 a Thursday.
with expected (calendar_date, is_working_day) as (
    values (date '2023-10-05', false), (date '2023-10-06', false), (date '2023-10-07', true),
        (date '2023-10-08', true), (date '2022-03-05', false), (date '2022-03-07', true),
        (date '2026-02-14', true), (date '2026-02-17', false), (date '2024-02-29', true)
)
select e.calendar_date, e.is_working_day as expected, c.is_working_day as actual
from expected as e
left join {{ ref('int_legal_calendar') }} as c on c.calendar_date = e.calendar_date
where c.is_working_day is distinct from e.is_working_day
