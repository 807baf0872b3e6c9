-- breached ⇔ the stage ran past its deadline; days_overdue > 0 exactly when breached;
-- a deadline is never before the period's last day (art. 105 only moves it later).
select *
from {{ ref('time_limit_checks') }}
where breached <> (coalesce(stage_end, as_of_date) > deadline)
    or (breached and days_overdue <= 0)
    or (not breached and days_overdue <> 0)
    or deadline <= stage_start
