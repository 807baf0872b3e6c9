-- Police stage dates per police person-case: first of each coercive measure, last release,
-- and the transfer for prosecution (移送审查起诉).
-- Incremental: a daily build recomputes the person-cases it touched (int_person_cases_touched).
{{ config(**scoped_incremental(scope='int_person_cases_touched')) }}
{%- set touched = build_scope_keys('int_person_cases_touched') %}
with

suspects as (
    select * from {{ ref('int_police_person_cases') }}
    {%- if touched %}
    where person_case_id in ({{ touched }})
    {%- endif %}
),

measures as (
    select * from {{ ref('stg_police__measures') }}
    {%- if touched %}
    where police_case_no in (select police_case_no from suspects)
    {%- endif %}
),

transfers as (
    select * from {{ ref('stg_police__transfers') }}
    {%- if touched %}
    where police_case_no in (select police_case_no from suspects)
    {%- endif %}
),

measure_dates as (
    select
        police_case_no,
        suspect_seq,
        min(case when measure_type = 'JL' then start_date end) as detention_date,
        min(case when measure_type = 'TQPB' then start_date end) as arrest_request_date,
        min(case when measure_type = 'DB' then start_date end) as arrest_date,
        min(case when measure_type = 'QB' then start_date end) as bail_start_date,
        min(case when measure_type = 'JJ' then start_date end) as surveillance_start_date,
        max(case when measure_type = 'SF' then start_date end) as release_date,
        max(_business_date) as last_business_date
    from measures
    group by police_case_no, suspect_seq
),

transfer_dates as (
    select
        police_case_no,
        suspect_seq,
        min(transfer_date) as transfer_date,
        max(_business_date) as last_business_date
    from transfers
    group by police_case_no, suspect_seq
),

final as (
    select
        p.person_case_id,
        m.detention_date,
        m.arrest_request_date,
        m.arrest_date,
        m.bail_start_date,
        m.surveillance_start_date,
        m.release_date,
        t.transfer_date,
        greatest(p.last_business_date, m.last_business_date, t.last_business_date)
            as last_business_date
    from suspects as p
    left join measure_dates as m
        on m.police_case_no = p.police_case_no and m.suspect_seq = p.suspect_seq
    left join transfer_dates as t
        on t.police_case_no = p.police_case_no and t.suspect_seq = p.suspect_seq
)

select * from final
