-- One row per person-case and stage: the legal time limit that applied, its deadline
-- (CPL art. 105) and whether it was breached, judged as of the latest business date.
-- When a stage occurred more than once (two 退补, two custody periods) the row shows the
-- worst occurrence: breached first, then most overdue, then latest.
-- Incremental by person-case (macros/build_scope.sql): a daily build recomputes the build
-- scope and every person-case with an open stage, whose verdict moves with the as-of date;
-- the other rows stay as they are. A closed stage's verdict is final: its as_of_date is null
-- (stamping every row with the day's date rewrote 3.9 M rows a day at 1 M persons). The
-- rows of the person-cases whose checks really changed are kept (__changes) for the
-- scoreboard facts.
{{ config(**scoped_incremental()) }}
{{ config(keep_replaced=true, log_changed_on=scoreboard_check_columns(),
          pre_hook="{{ drop_changes() }}") }}
with deadlines as (
    select * from {{ ref('int_stage_deadlines') }}
    -- any occurrence still open, not only the row shown: which occurrence is the worst
    -- can change with the as-of date (a closed one may stop being the worst)
    where {{ in_build_scope('person_case_id',
        also='select person_case_id from ' ~ ref('int_stage_deadlines') ~ ' where stage_end is null') }}
),

as_of as (
    select as_of_date from {{ ref('int_as_of_date') }}
),

judged as (
    select
        d.*,
        as_of.as_of_date,
        coalesce(d.stage_end, as_of.as_of_date) as measured_to,
        coalesce(d.stage_end > d.deadline
            or (d.stage_end is null and as_of.as_of_date > d.deadline), false) as breached
    from deadlines as d
    cross join as_of
),

worst as (
    select *
    from judged
    qualify row_number() over (
        partition by person_case_id, stage
        order by breached desc, {{ days_between('deadline', 'measured_to') }} desc, occurrence desc
    ) = 1
)

select
    pc.person_case_id,
    pc.person_token,
    pc.police_case_no,
    pc.suspect_seq,
    pc.proc_case_no,
    pc.court_case_no,
    pc.city_code,
    pc.county_code,
    w.stage,
    w.occurrence,
    w.stage_start,
    w.stage_end,
    w.base_limit,
    w.extension_count as extensions_applied,
    {{ json_text('w.extension_evidence') }} as extension_evidence,
    w.applied_limit,
    w.deadline,
    w.in_custody,
    case when w.stage_end is null then w.as_of_date end as as_of_date,
    {{ days_between('w.stage_start', 'w.measured_to') }} as days_used,
    w.breached,
    case when w.breached then {{ days_between('w.deadline', 'w.measured_to') }} else 0 end
        as days_overdue,
    {{ json_text('w.evidence') }} as evidence,
    pc.sealed,
    w.article
from worst as w
inner join {{ ref('person_cases') }} as pc on pc.person_case_id = w.person_case_id
