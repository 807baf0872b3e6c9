-- Execution per person-case: prison/detention-centre intake, the latest community-correction
-- order, the latest court enforcement case, and the weakest link that attached them.
-- Incremental: a daily build recomputes the person-cases it touched (int_person_cases_touched).
{{ config(**scoped_incremental(scope='int_person_cases_touched')) }}
{%- set touched = build_scope_keys('int_person_cases_touched') %}
with

links as (
    select * from {{ ref('int_justice_records_linked') }}
    where person_case_id is not null and {{ in_keys('person_case_id', touched) }}
),

intake as (
    select l.person_case_id, min(e.event_date) as prison_intake_date,
        max(e._business_date) as last_business_date
    from links as l
    inner join {{ ref('stg_justice__custody_events') }} as e on e._row_id = l._row_id
    where e.event in ('入监', '看守所执行')
    group by l.person_case_id
),

correction as (
    select * from (
        select l.person_case_id, c.*, row_number() over (
            partition by l.person_case_id
            order by c.effective_date desc nulls last, c._row_id desc) as pick
        from links as l
        inner join {{ ref('stg_justice__community_corrections') }} as c on c._row_id = l._row_id
    ) as c where pick = 1
),

enforcement as (
    select * from (
        select l.person_case_id, e.*, row_number() over (
            partition by l.person_case_id order by e.filed_date desc, e._row_id desc) as pick
        from links as l
        inner join {{ ref('stg_court__enforcements') }} as e on e._row_id = l._row_id
    ) as e where pick = 1
),

weakest as (
    select * from (
        select person_case_id, link_method, link_confidence, row_number() over (
            partition by person_case_id order by link_confidence, link_method) as pick
        from links
    ) as w where pick = 1
),

final as (
    select
        w.person_case_id,
        i.prison_intake_date,
        c.correction_type,
        c.effective_date as correction_effective_date,
        c.reported_date as correction_reported_date,
        c.status as correction_status,
        c.status_date as correction_status_date,
        e.enforcement_case_no,
        e.filed_date as enforcement_filed_date,
        e.closed_date as enforcement_closed_date,
        e.closure as enforcement_closure,
        e.amount_due,
        e.amount_recovered,
        w.link_method as link_method_justice,
        w.link_confidence as link_confidence_justice,
        greatest(i.last_business_date, c._business_date, e._business_date) as last_business_date
    from weakest as w
    left join intake as i on i.person_case_id = w.person_case_id
    left join correction as c on c.person_case_id = w.person_case_id
    left join enforcement as e on e.person_case_id = w.person_case_id
)

select * from final
