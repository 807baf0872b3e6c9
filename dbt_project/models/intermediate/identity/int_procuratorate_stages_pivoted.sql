-- Procuratorate stages per person-case: the latest arrest review and prosecution review
-- attached to it, the number of 退回补充侦查, and the weakest link that attached them.
-- Incremental: a daily build recomputes the person-cases it touched (int_person_cases_touched).
{{ config(**scoped_incremental(scope='int_person_cases_touched')) }}
{%- set touched = build_scope_keys('int_person_cases_touched') %}
with

arrest as (
    select l.person_case_id, l.link_method, l.link_confidence, r.*
    from {{ ref('int_arrest_reviews_linked') }} as l
    inner join {{ ref('stg_procuratorate__arrest_reviews') }} as r on r._row_id = l._row_id
    where l.person_case_id is not null and {{ in_keys('l.person_case_id', touched) }}
),

prosecution as (
    select l.person_case_id, l.origin, l.link_method, l.link_confidence, r.*
    from {{ ref('int_prosecution_reviews_linked') }} as l
    inner join {{ ref('stg_procuratorate__prosecution_reviews') }} as r on r._row_id = l._row_id
    where {{ in_keys('l.person_case_id', touched) }}
),

latest_arrest as (
    select * from (
        select *, row_number() over (
            partition by person_case_id order by received_date desc, _row_id desc) as pick
        from arrest
    ) as a where pick = 1
),

latest_prosecution as (
    select * from (
        select *, row_number() over (
            partition by person_case_id order by received_date desc, _row_id desc) as pick
        from prosecution
    ) as p where pick = 1
),

supplementary as (
    select proc_case_no, count(distinct sequence) as supplementary_investigation_count,
        max(_business_date) as last_business_date
    from {{ ref('stg_procuratorate__supplementary_investigations') }}
    {%- if touched %}
    where proc_case_no in (select proc_case_no from prosecution)
    {%- endif %}
    group by proc_case_no
),

-- links that attached procuratorate records (the record that started a person-case is none)
links as (
    select person_case_id, link_method, link_confidence from arrest
    union all
    select person_case_id, link_method, link_confidence from prosecution
    where origin = 'police'
),

weakest as (
    select * from (
        select *, row_number() over (
            partition by person_case_id order by link_confidence, link_method) as pick
        from links
    ) as w where pick = 1
),

person_cases as (
    select person_case_id from arrest
    union
    select person_case_id from prosecution
),

final as (
    select
        pc.person_case_id,
        a.proc_case_no as arrest_review_no,
        a.received_date as arrest_review_received_date,
        a.concluded_date as arrest_review_concluded_date,
        a.conclusion as arrest_conclusion,
        p.proc_case_no,
        p.received_date as prosecution_received_date,
        p.concluded_date as prosecution_concluded_date,
        p.conclusion as prosecution_conclusion,
        p.guilty_plea,
        p.speedy_procedure,
        p.recommended_months,
        p.review_extended,
        p.indictment_no,
        coalesce(s.supplementary_investigation_count, 0) as supplementary_investigation_count,
        w.link_method as link_method_procuratorate,
        w.link_confidence as link_confidence_procuratorate,
        greatest(a._business_date, p._business_date, s.last_business_date) as last_business_date
    from person_cases as pc
    left join latest_arrest as a on a.person_case_id = pc.person_case_id
    left join latest_prosecution as p on p.person_case_id = pc.person_case_id
    left join supplementary as s on s.proc_case_no = p.proc_case_no
    left join weakest as w on w.person_case_id = pc.person_case_id
)

select * from final
