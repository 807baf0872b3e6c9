-- (person_case_id, stage) is the grain of time_limit_checks. Only the person-cases a build
-- rewrote can break it: its scope and those with an open stage occurrence (what the model
-- recomputes daily); the others passed in an earlier build. A full build checks every row.
{%- set rewritten = rewritten_in_build('person_case_id', ref('time_limit_checks').database) %}
select person_case_id, stage, count(*) as n
from {{ ref('time_limit_checks') }}
where {{ rewritten }}  -- true on a full build
    or person_case_id in (select person_case_id from {{ ref('int_stage_deadlines') }}
                          where stage_end is null)
group by person_case_id, stage
having count(*) > 1
