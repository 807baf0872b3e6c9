-- Candidate findings of the custody detectors (domain.md §3: 4 超期羁押, 5 退补超次,
-- 6 不诉未放, 7 取保/监居超期). Custody and bail limits come from time_limit_checks,
-- so the limit, the extensions and the art. 105 counting are the same in both marts.
with checks as (
    select * from {{ ref('time_limit_checks') }}
),

decisions as (
    select person_case_id, arrest_conclusion as decision, arrest_review_concluded_date as decided_on
    from {{ ref('person_cases') }}
    where arrest_conclusion like '不批准逮捕%' and arrest_review_concluded_date is not null
    union all
    select person_case_id, prosecution_conclusion, prosecution_concluded_date
    from {{ ref('person_cases') }}
    where prosecution_conclusion like '%不起诉' and prosecution_concluded_date is not null
),

held_after as (
    -- a custody period in force on the decision day that had not ended N days later
    select d.person_case_id, d.decision, d.decided_on, min(p.period_end) as released_on,
        bool_or(p.period_end is null) as still_held
    from decisions as d
    inner join {{ ref('int_custody_periods') }} as p
        on p.person_case_id = d.person_case_id
        and p.period_kind in ('detention', 'arrest_custody')
        and p.start_date <= d.decided_on
        and (p.period_end is null or p.period_end > d.decided_on)
    group by all
),

over_limit as (
    select pc.person_case_id, min(r.returned_date) as returned_date, max(r.return_number) as n
    from {{ ref('int_supplementary_investigations_counted') }} as r
    inner join {{ ref('person_cases') }} as pc on pc.proc_case_no = r.proc_case_no
    where r.over_limit
    group by all
)

select
    'custody_overdue' as detector, person_case_id, stage as finding_key,
    stage || ' in custody past its limit (' || applied_limit || ', ' || article
    || '): deadline ' || cast(deadline as {{ dbt.type_string() }}) as rule,
    deadline as due_date, stage_end as resolved_on, cast(null as date) as detected_on,
    {{ string_list(['police.measures', 'procuratorate.arrest_reviews', 'procuratorate.prosecution_reviews',
     'procuratorate.supplementary_investigations', 'court.judgments']) }} as evidence_sources
from checks
where breached and in_custody
    and stage not in ('bail', 'residential_surveillance', 'correction_report')

union all

select
    'bail_or_surveillance_overdue', person_case_id, stage,
    stage || ' longer than ' || applied_limit || ' (' || article || '): deadline '
    || cast(deadline as {{ dbt.type_string() }}),
    deadline, stage_end, null,
    {{ string_list(['police.measures']) }}
from checks
where breached and stage in ('bail', 'residential_surveillance')

union all

select
    'supplementary_investigation_over_limit', person_case_id, 'returns',
    cast(n as {{ dbt.type_string() }}) || ' 退回补充侦查 in one case (CPL art. 175 allows '
    || {{ legal_var('cpl_175_max_supplementary_investigations') }} || ')',
    null, null, returned_date,
    {{ string_list(['procuratorate.supplementary_investigations', 'procuratorate.prosecution_reviews']) }}
from over_limit

union all

select
    'held_after_release_decision', person_case_id, decision,
    decision || ' on ' || cast(decided_on as {{ dbt.type_string() }}) || ': still in custody '
    || {{ legal_var('release_after_decision_days') }} || ' day(s) later',
    {{ add_days('decided_on', legal_var('release_after_decision_days')) }},
    case when not still_held then released_on end, null,
    {{ string_list(['procuratorate.arrest_reviews', 'procuratorate.prosecution_reviews', 'police.measures']) }}
from held_after
