-- One row per unit counted by a scoreboard indicator (domain.md §4): the day it counts,
-- its region, whether it is in the numerator, and (for durations) its days. Definitions
-- are documented per indicator in models/marts/scoreboards/_scoreboards__docs.md.
-- Incremental by scope_key (the person-case, or 'court:<no>' for a court case's row): a
-- daily build recomputes the build scope and the person-cases below; the replaced rows are
-- kept (__changes) for int_scoreboard_cells, which adds and subtracts them.
{{ config(**scoped_incremental(unique_key='scope_key')) }}
{#- the log keeps the scope keys whose facts changed: the cells add and subtract only those -#}
{{ config(replace_unkeyed=true, keep_replaced=true, log_changed_on=true,
          pre_hook="{{ drop_changes() }}") }}
{#- recomputed besides the build scope: person-cases with an open finding (it opens when the
    as-of date passes its due date) and those whose time-limit rows changed (an open stage
    moves with the as-of date, and with it which occurrence is the worst) -#}
{%- set also = 'select person_case_id from ' ~ ref('detector_findings')
               ~ " where status = 'open' union "
               ~ changed_keys(ref('time_limit_checks'), 'person_case_id',
                              scoreboard_check_columns()) %}

with pc as (
    select * from {{ ref('person_cases') }}
    where {{ in_build_scope('person_case_id', also=also) }}
),

checks as (
    select * from {{ ref('time_limit_checks') }}
    where {{ in_build_scope('person_case_id', also=also) }}
),

reviews as (
    -- 审查起诉审结: 提起公诉 or any 不起诉
    select *, prosecution_conclusion like '%不起诉' as not_prosecuted
    from pc
    where prosecution_concluded_date is not null
        and (prosecution_conclusion = '提起公诉' or prosecution_conclusion like '%不起诉')
)

select 'non_arrest_rate' as indicator, person_case_id as unit_id,
    arrest_review_concluded_date as event_date, county_code, city_code,
    arrest_conclusion like '不批准逮捕%' as in_numerator, cast(null as integer) as measure_days, sealed,
    person_case_id as scope_key
from pc
where arrest_review_concluded_date is not null and arrest_conclusion <> ''

union all
select 'non_prosecution_rate', person_case_id, prosecution_concluded_date, county_code,
    city_code, not_prosecuted, null, sealed, person_case_id
from reviews

union all
select 'pretrial_detention_rate', person_case_id, prosecution_concluded_date, county_code,
    city_code, {{ held_on('reviews.person_case_id', 'reviews.prosecution_concluded_date') }},
    null, sealed, person_case_id
from reviews

union all
select 'post_arrest_non_prosecution_rate', person_case_id, prosecution_concluded_date,
    county_code, city_code, not_prosecuted, null, sealed, person_case_id
from reviews
where arrest_date is not null or arrest_conclusion = '批准逮捕'

union all
select 'plea_rate', person_case_id, prosecution_concluded_date, county_code, city_code,
    coalesce(guilty_plea, false), null, sealed, person_case_id
from reviews

union all
select 'recommendation_adoption_rate', person_case_id, court_closed_date, county_code,
    city_code, recommendation_adopted, null, sealed, person_case_id
from pc
where court_closed_date is not null and recommendation_adopted is not null

union all
-- 审限内结案率 counts court cases, not persons: a case is in time when no defendant's
-- trial stage was breached
select 'within_limit_closure_rate', coalesce(court_case_no, person_case_id), max(stage_end),
    max(county_code), max(city_code), not bool_or(breached), null, bool_or(sealed),
    coalesce('court:' || max(court_case_no), max(person_case_id))
from {{ ref('time_limit_checks') }}
where stage in ('first_instance', 'summary_trial', 'speedy_trial') and stage_end is not null
    -- the whole court case, when one of its defendants is recomputed
    and coalesce(court_case_no, person_case_id) in (
        select coalesce(court_case_no, person_case_id) from checks)
group by coalesce(court_case_no, person_case_id)

union all
-- 假释比例 by the prison's region (institution code: first 6 digits = division code)
select 'parole_ratio', e._row_id, e.event_date, substr(e.institution_code, 1, 6),
    substr(e.institution_code, 1, 4), e.event = '假释', null, coalesce(pc.sealed, false),
    r.person_case_id
from {{ ref('stg_justice__custody_events') }} as e
left join {{ ref('int_person_case_records') }} as r
    on r._row_id = e._row_id and r.source = 'justice.custody_events'
left join pc on pc.person_case_id = r.person_case_id
where e.event in ('假释', '减刑')
    -- unlinked events have no scope key: recomputed every build (replace_unkeyed)
    and (r.person_case_id is null or pc.person_case_id is not null)

union all
select 'median_days_' || t.stage, t.person_case_id || '/' || t.stage, t.stage_end,
    t.county_code, t.city_code, null, t.days_used, t.sealed, t.person_case_id
from checks as t
where t.stage_end is not null

union all
-- detectors: person-cases with a finding first detected in the period (numerator) ...
select 'detector_' || d.detector, d.person_case_id, d.first_detected_at, d.county_code,
    d.city_code, true, null, d.sealed, d.person_case_id
from {{ ref('detector_findings') }} as d
where d.person_case_id in (select person_case_id from pc)

union all
-- ... over person-cases active in the period (any stage started or ended) or with a finding:
-- activity is one 'active' row per person-case and day, shared by every detector
-- (int_scoreboard_cells adds the findings outside it to each detector's denominator)
select 'active', a.person_case_id, a.event_date, a.county_code, a.city_code, false,
    cast(null as integer), a.sealed, a.person_case_id
from (
    select distinct person_case_id, {{ explode_list(array_of(['stage_start', 'stage_end'])) }} as event_date,
        county_code, city_code, sealed
    from checks
) as a
where a.event_date is not null
