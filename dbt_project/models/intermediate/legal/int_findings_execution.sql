-- Candidate findings of the execution detectors (domain.md §3: 1 判实未执, 2 应收未收,
-- 3 社区矫正漏管, 8 财产刑未执). A candidate with a due_date becomes a finding when it is
-- unresolved after that day (as of the latest business date) or resolved late.
with person_cases as (
    select * from {{ ref('person_cases') }}
),

commitments as (
    -- 收监 / 入监 / 看守所执行 events linked to the person-case
    select r.person_case_id, e.event_date
    from {{ ref('int_person_case_records') }} as r
    inner join {{ ref('stg_justice__custody_events') }} as e on e._row_id = r._row_id
    where r.source = 'justice.custody_events' and e.event in ('收监', '入监', '看守所执行')
),

revocations as (
    select
        pc.person_case_id,
        pc.correction_status,
        pc.correction_status_date,
        min(c.event_date) as committed_on
    from person_cases as pc
    left join commitments as c
        on c.person_case_id = pc.person_case_id and c.event_date >= pc.correction_status_date
    where pc.correction_status in ('撤销缓刑', '撤销假释', '收监执行')
        and pc.correction_status_date is not null
    group by all
)

select
    'custodial_sentence_not_executed' as detector, person_case_id, 'intake' as finding_key,
    '实刑 (' || penalty || ', not suspended) effective ' || cast(judgment_effective_date as {{ dbt.type_string() }})
    || ': no prison or detention-centre intake within '
    || {{ legal_var('judgment_to_intake_days') }} || ' days' as rule,
    {{ add_days('judgment_effective_date', legal_var('judgment_to_intake_days')) }} as due_date,
    prison_intake_date as resolved_on,
    cast(null as date) as detected_on,
    {{ string_list(['court.judgments', 'justice.custody_events']) }} as evidence_sources
from person_cases
where verdict = '有罪' and penalty in ('有期徒刑', '拘役') and not coalesce(suspended, false)
    and judgment_effective_date is not null

union all

select
    'revoked_not_committed', person_case_id, 'commitment',
    correction_status || ' on ' || cast(correction_status_date as {{ dbt.type_string() }})
    || ': no 收监 within ' || {{ legal_var('revocation_to_intake_days') }} || ' days',
    {{ add_days('correction_status_date', legal_var('revocation_to_intake_days')) }},
    committed_on, null,
    {{ string_list(['justice.community_corrections', 'justice.custody_events']) }}
from revocations

union all

select
    'correction_not_reported', person_case_id, 'report',
    'community correction effective ' || cast(stage_start as {{ dbt.type_string() }})
    || ': no report to the correction office by ' || cast(deadline as {{ dbt.type_string() }})
    || ' (社区矫正法 art. 21, ' || applied_limit || ')',
    deadline, stage_end, null,
    {{ string_list(['court.judgments', 'justice.community_corrections', 'justice.custody_events']) }}
from {{ ref('time_limit_checks') }}
where stage = 'correction_report' and breached

union all

select
    'fine_not_enforced', person_case_id, 'not_filed',
    '罚金 ' || cast(fine as {{ dbt.type_string() }}) || ' effective ' || cast(judgment_effective_date as {{ dbt.type_string() }})
    || ': no enforcement case within ' || {{ legal_var('fine_enforcement_days') }} || ' days',
    {{ add_days('judgment_effective_date', legal_var('fine_enforcement_days')) }},
    enforcement_filed_date, null,
    {{ string_list(['court.judgments', 'court.enforcement']) }}
from person_cases
where fine > 0 and verdict = '有罪' and judgment_effective_date is not null

union all

select
    'fine_not_enforced', person_case_id, 'terminated_unpaid',
    'enforcement closed by 终结本次执行 with ' || cast(coalesce(amount_recovered, 0) as {{ dbt.type_string() }})
    || ' of ' || cast(amount_due as {{ dbt.type_string() }}) || ' recovered',
    null, null, enforcement_closed_date,
    {{ string_list(['court.judgments', 'court.enforcement']) }}
from person_cases
where enforcement_closure = '终结本次执行' and coalesce(amount_recovered, 0) < amount_due
