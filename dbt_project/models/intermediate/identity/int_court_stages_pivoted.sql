-- Court stages per person-case: the first-instance judgment, the appeal (刑终) if any, the
-- judgment that took effect (the appeal's when it has one), and the link that attached them.
-- Incremental: a daily build recomputes the person-cases it touched (int_person_cases_touched).
{{ config(**scoped_incremental(scope='int_person_cases_touched')) }}
{%- set touched = build_scope_keys('int_person_cases_touched') %}
with

judgments as (
    select * from {{ ref('stg_court__judgments') }}
),

first_instance as (
    select * from (
        select l.person_case_id, l.origin, l.link_method, l.link_confidence, j.*,
            row_number() over (
                partition by l.person_case_id order by j.filed_date desc, j._row_id desc
            ) as pick
        from {{ ref('int_first_instance_judgments_linked') }} as l
        inner join judgments as j on j._row_id = l._row_id
        where {{ in_keys('l.person_case_id', touched) }}
    ) as f where pick = 1
),

second_instance as (
    select * from (
        select l.person_case_id, l.origin, l.link_method, l.link_confidence, j.*,
            row_number() over (
                partition by l.person_case_id order by j.filed_date desc, j._row_id desc
            ) as pick
        from {{ ref('int_second_instance_judgments_linked') }} as l
        inner join judgments as j on j._row_id = l._row_id
        where {{ in_keys('l.person_case_id', touched) }}
    ) as s where pick = 1
),

person_cases as (
    select person_case_id from first_instance
    union
    select person_case_id from second_instance
),

-- links that attached court rows (the row that started a court person-case is none)
weakest as (
    select * from (
        select *, row_number() over (
            partition by person_case_id order by link_confidence, link_method) as pick
        from (
            select person_case_id, link_method, link_confidence from first_instance
            where origin <> 'court'
            union all
            select person_case_id, link_method, link_confidence from second_instance
            where origin <> 'court'
        ) as links
    ) as w where pick = 1
),

final as (
    select
        pc.person_case_id,
        f.court_case_no,
        s.court_case_no as appeal_case_no,
        f.indictment_no as court_indictment_no,
        coalesce(f.county_code, s.county_code) as county_code,
        coalesce(f.filed_date, s.filed_date) as court_filed_date,
        f.procedure,
        f.closed_date as court_closed_date,
        f.extended_months as trial_extended_months,
        -- the effective judgment: the appeal's once it has taken effect
        case when s.effective_date is not null then s.effective_date
            else f.effective_date end as judgment_effective_date,
        coalesce(s.charge, f.charge) as court_charge,
        case when s.effective_date is not null then s.verdict else f.verdict end as verdict,
        case when s.effective_date is not null then s.penalty else f.penalty end as penalty,
        case when s.effective_date is not null then s.sentence_months
            else f.sentence_months end as sentence_months,
        case when s.effective_date is not null then s.suspended else f.suspended end as suspended,
        case when s.effective_date is not null then s.probation_months
            else f.probation_months end as probation_months,
        case when s.effective_date is not null then s.fine else f.fine end as fine,
        f.recommendation_adopted,
        w.link_method as link_method_court,
        w.link_confidence as link_confidence_court,
        greatest(f._business_date, s._business_date) as last_business_date
    from person_cases as pc
    left join first_instance as f on f.person_case_id = pc.person_case_id
    left join second_instance as s on s.person_case_id = pc.person_case_id
    left join weakest as w on w.person_case_id = pc.person_case_id
)

select * from final
