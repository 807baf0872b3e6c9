-- (person_case_id, stage) is the grain of time_limit_checks.
select person_case_id, stage, count(*) as n
from {{ ref('time_limit_checks') }}
group by person_case_id, stage
having count(*) > 1
