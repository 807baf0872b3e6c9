-- A deadline finding is past its due date; open findings have no closed_at and closed
-- ones have one; first detection is never after the as-of date.
select *
from {{ ref('detector_findings') }}
where (due_date is not null and days_overdue <= 0)
    or (status = 'open' and closed_at is not null)
    or (status = 'closed' and closed_at is null)
    or first_detected_at > as_of_date + 1
