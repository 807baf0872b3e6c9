-- One row per person in a case (人案) across the four departments. Tokens only, no PII.
-- Stage facts come from the *_stages_pivoted models; this model adds the derived columns:
-- region names, juvenile/sealed (CPL art. 286), stage durations and the link summary.
-- Incremental: a daily build recomputes the person-cases it touched (int_person_cases_touched).
{%- set juvenile_age = var('juvenile_age_years') %}
{{ config(**scoped_incremental(scope='int_person_cases_touched')) }}
{%- set touched = build_scope_keys('int_person_cases_touched') %}
with

{%- for name, pivot in [('spine', 'int_person_cases_spined'), ('police', 'int_police_stages_pivoted'),
                        ('procuratorate', 'int_procuratorate_stages_pivoted'),
                        ('court', 'int_court_stages_pivoted'), ('justice', 'int_justice_stages_pivoted')] %}
{{ name }} as (select * from {{ ref(pivot) }} where {{ in_keys('person_case_id', touched) }}),
{%- endfor %}
regions as (select * from {{ ref('regions') }}),
conclusions as (select * from {{ ref('review_conclusions') }}),

joined as (
    select
        s.person_case_id, s.id_token, s.id_status, s.sex, s.birth_date, s.police_case_no,
        s.suspect_seq, s.charge, s.filed_date, s.major_suspect,
        -- the case's region: the police unit, else the court's division code
        coalesce(s.county_code, c.county_code) as county_code,
        p.detention_date, p.arrest_request_date, p.arrest_date, p.bail_start_date,
        p.surveillance_start_date, p.release_date, p.transfer_date,
        q.arrest_review_no, q.arrest_review_received_date, q.arrest_review_concluded_date,
        q.arrest_conclusion, q.proc_case_no, q.prosecution_received_date,
        q.prosecution_concluded_date, q.prosecution_conclusion, q.guilty_plea,
        q.speedy_procedure, q.recommended_months, q.review_extended,
        coalesce(q.indictment_no, c.court_indictment_no) as indictment_no,
        q.supplementary_investigation_count,
        c.court_case_no, c.appeal_case_no, c.court_filed_date, c.procedure, c.court_closed_date,
        c.judgment_effective_date, c.court_charge, c.verdict, c.penalty, c.sentence_months,
        c.suspended, c.probation_months, c.fine, c.recommendation_adopted,
        c.trial_extended_months,
        j.prison_intake_date, j.correction_type, j.correction_effective_date,
        j.correction_reported_date, j.correction_status, j.correction_status_date,
        j.enforcement_case_no, j.enforcement_filed_date, j.enforcement_closed_date,
        j.enforcement_closure, j.amount_due, j.amount_recovered,
        q.link_method_procuratorate, q.link_confidence_procuratorate,
        c.link_method_court, c.link_confidence_court,
        j.link_method_justice, j.link_confidence_justice,
        -- 不起诉, or the police withdrew the case (撤案): no prosecution will follow
        coalesce(k.is_non_prosecution, false) or coalesce(s.case_status = 'ca', false)
            as not_prosecuted,
        -- offence date is not delivered: the earliest record of the case stands in for it
        {{ add_years('s.birth_date', juvenile_age) }} > coalesce(
            s.filed_date, p.detention_date, q.arrest_review_received_date,
            q.prosecution_received_date, c.court_filed_date) as under_age,
        greatest(s.last_business_date, p.last_business_date, q.last_business_date,
            c.last_business_date, j.last_business_date) as last_business_date
    from spine as s
    left join police as p on p.person_case_id = s.person_case_id
    left join procuratorate as q on q.person_case_id = s.person_case_id
    left join court as c on c.person_case_id = s.person_case_id
    left join justice as j on j.person_case_id = s.person_case_id
    left join conclusions as k on k.conclusion = q.prosecution_conclusion
),

final as (
    select
        person_case_id,
        id_token as person_token,
        id_status,
        case sex when '1' then 'M' when '2' then 'F' end as sex,
        cast(extract(year from birth_date) as integer) as birth_year,
        coalesce(under_age, false) as is_juvenile,
        -- CPL art. 286: sealed once the disposition is known (see _core__docs.md)
        coalesce(under_age and (
            not_prosecuted
            or verdict in ('无罪', '免予刑事处罚')
            or (verdict = '有罪' and (
                penalty in ('拘役', '管制', '无')
                or (penalty = '有期徒刑'
                    and sentence_months <= {{ var('sealing_max_sentence_months') }})))
        ), false) as sealed,
        police_case_no, suspect_seq, arrest_review_no, proc_case_no, indictment_no,
        court_case_no, appeal_case_no, enforcement_case_no,
        coalesce(r.city_code, {{ city_of('county_code') }}) as city_code,
        city.region_name as city_name,
        county_code,
        r.region_name as county_name,
        charge, court_charge, coalesce(major_suspect, false) as major_suspect,
        filed_date, detention_date, arrest_request_date, arrest_review_received_date,
        arrest_review_concluded_date, arrest_conclusion, arrest_date, bail_start_date,
        surveillance_start_date, release_date, transfer_date, prosecution_received_date,
        prosecution_concluded_date, prosecution_conclusion, guilty_plea, speedy_procedure,
        recommended_months, review_extended, supplementary_investigation_count,
        court_filed_date, procedure, court_closed_date, judgment_effective_date, verdict,
        penalty, sentence_months, suspended, probation_months, fine, recommendation_adopted,
        trial_extended_months, prison_intake_date, correction_type, correction_effective_date,
        correction_reported_date, correction_status, correction_status_date,
        enforcement_filed_date, enforcement_closed_date, enforcement_closure, amount_due,
        amount_recovered,
        {{ days_between('detention_date', 'arrest_request_date') }} as days_detention_to_arrest_request,
        {{ days_between('filed_date', 'transfer_date') }} as days_filed_to_transfer,
        {{ days_between('arrest_review_received_date', 'arrest_review_concluded_date') }}
            as days_arrest_review,
        {{ days_between('prosecution_received_date', 'prosecution_concluded_date') }}
            as days_prosecution_review,
        {{ days_between('court_filed_date', 'court_closed_date') }} as days_trial,
        {{ days_between('judgment_effective_date', 'prison_intake_date') }}
            as days_effective_to_intake,
        {{ days_between('judgment_effective_date', 'correction_reported_date') }}
            as days_effective_to_correction_report,
        {{ days_between('filed_date', 'judgment_effective_date') }} as days_filed_to_effective,
        link_method_procuratorate, link_confidence_procuratorate,
        link_method_court, link_confidence_court,
        link_method_justice, link_confidence_justice,
        {{ weakest_link_method(['link_method_procuratorate', 'link_method_court',
                                'link_method_justice']) }} as link_method,
        least(coalesce(link_confidence_procuratorate, 1.0), coalesce(link_confidence_court, 1.0),
            coalesce(link_confidence_justice, 1.0)) as link_confidence,
        last_business_date
    from joined
    left join regions as r on r.region_code = joined.county_code
    left join regions as city on city.region_code = concat({{ city_of('county_code') }}, '00')
)

select * from final
