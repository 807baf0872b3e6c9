-- One row per finding of the eight cross-department detectors and the three data
-- reconciliations (domain.md §3), judged as of the latest business date loaded.
-- A deadline finding is open while unresolved after its due date, closed when later data
-- resolved it late (closed_at = the day it was resolved); first_detected_at is the day
-- after the due date. Findings without a deadline (退补超次, reconciliations) are open
-- from the day of the event and disappear when corrected data is delivered.
-- Full table, not incremental: a late record can close or remove any finding.
with candidates as (
    {{ union_all_by_name([ref('int_findings_execution'), ref('int_findings_custody'),
                          ref('int_findings_reconciliation')]) }}
),

as_of as (
    select as_of_date from {{ ref('int_as_of_date') }}
),

judged as (
    select c.*, as_of.as_of_date
    from candidates as c
    cross join as_of
    where c.due_date is null or coalesce(c.resolved_on, as_of.as_of_date) > c.due_date
),

evidence as (
    select
        j.detector, j.person_case_id, j.finding_key,
        {{ ordered_list_agg(
            struct_of([('source', 'r.source'), ('batch_id', 'r._batch_id'), ('row_id', 'r._row_id')]),
            ['r.source', 'r._row_id'], where='r._row_id is not null') }} as evidence,
        max(r.business_date) as evidence_loaded_on
    from judged as j
    left join {{ ref('int_person_case_records') }} as r
        on r.person_case_id = j.person_case_id and {{ list_has('j.evidence_sources', 'r.source') }}
    group by all
)

select
    {{ surrogate_key(['j.detector', 'j.person_case_id', 'j.finding_key']) }} as finding_id,
    j.detector,
    j.finding_key,
    pc.person_case_id,
    pc.person_token,
    pc.police_case_no,
    pc.suspect_seq,
    pc.proc_case_no,
    pc.court_case_no,
    pc.city_code,
    pc.county_code,
    j.rule,
    {{ json_text('e.evidence') }} as evidence,
    j.due_date,
    case when j.due_date is not null
        then {{ days_between('j.due_date', 'coalesce(j.resolved_on, j.as_of_date)') }} end
        as days_overdue,
    coalesce({{ add_days('j.due_date', 1) }}, j.detected_on, e.evidence_loaded_on)
        as first_detected_at,
    case when j.resolved_on is null then 'open' else 'closed' end as status,
    j.resolved_on as closed_at,
    j.as_of_date,
    pc.sealed
from judged as j
inner join evidence as e
    on e.detector = j.detector and e.person_case_id = j.person_case_id
    and e.finding_key = j.finding_key
inner join {{ ref('person_cases') }} as pc on pc.person_case_id = j.person_case_id
