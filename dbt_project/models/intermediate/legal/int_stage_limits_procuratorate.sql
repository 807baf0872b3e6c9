-- Procuratorate stages with the limit that applies: arrest review (CPL art. 91),
-- prosecution review (art. 172) measured from the last re-transfer after 退回补充侦查
-- (art. 175: the review clock restarts), and each 退回补充侦查 (art. 175, one month).
-- A view filtered to the build scope where the person-case is read (macros/build_scope.sql):
-- in a daily build it holds the scope's rows only, which int_stage_deadlines recomputes.
with person_cases as (
    select * from {{ ref('person_cases') }}
    where {{ in_build_scope('person_case_id') }}
),

returns as (
    select * from {{ ref('int_supplementary_investigations_counted') }}
),

review_clock as (
    -- the current review segment: from receipt or the last re-transfer, and stopped by a
    -- return that is still out (no re-transfer yet)
    select
        proc_case_no,
        max(retransferred_date) as last_retransferred_date,
        max(case when retransferred_date is null then returned_date end) as open_return_date,
        count(*) as return_count
    from returns
    group by proc_case_no
),

reviews as (
    select
        pc.person_case_id,
        greatest(pc.prosecution_received_date, rc.last_retransferred_date) as stage_start,
        least(pc.prosecution_concluded_date, rc.open_return_date) as stage_end,
        coalesce(pc.speedy_procedure, false) and coalesce(pc.guilty_plea, false) as speedy,
        coalesce(pc.review_extended, false) as review_extended,
        pc.recommended_months,
        coalesce(rc.return_count, 0) as return_count
    from person_cases as pc
    left join review_clock as rc on rc.proc_case_no = pc.proc_case_no
    where pc.prosecution_received_date is not null
),

arrest_reviews as (
    select
        person_case_id, arrest_review_received_date, arrest_review_concluded_date,
        {{ held_on('ar.person_case_id', 'ar.arrest_review_received_date') }} as detained
    from person_cases as ar
    where arrest_review_received_date is not null
)

-- art. 91's 7 days bind when the suspect is detained; for one not detained the SPP's
-- rules allow 15 days (人民检察院刑事诉讼规则: 未被拘留的 ... 十五日以内)
select
    person_case_id, 'arrest_review' as stage, 1 as occurrence,
    arrest_review_received_date as stage_start,
    arrest_review_concluded_date as stage_end,
    0 as base_months,
    case when detained then {{ legal_var('cpl_91_arrest_review_days') }}
        else {{ legal_var('spp_rules_arrest_review_not_detained_days') }} end as base_days,
    0 as limit_months,
    case when detained then {{ legal_var('cpl_91_arrest_review_days') }}
        else {{ legal_var('spp_rules_arrest_review_not_detained_days') }} end as limit_days,
    0 as extension_count,
    detained as in_custody,
    case when detained then 'CPL art. 91' else 'CPL art. 91; SPP rules' end as article
from arrest_reviews

union all

select
    person_case_id, 'prosecution_review', 1, stage_start, stage_end,
    case when speedy then 0 else {{ legal_var('cpl_172_prosecution_review_months') }} end,
    case when speedy then {{ legal_var('cpl_172_speedy_review_days') }} else 0 end,
    case when speedy then 0 else {{ legal_var('cpl_172_prosecution_review_months') }} end,
    case
        when speedy and recommended_months > {{ legal_var('cpl_172_speedy_long_sentence_months') }}
            then {{ legal_var('cpl_172_speedy_review_long_days') }}
        when speedy then {{ legal_var('cpl_172_speedy_review_days') }}
        when review_extended then {{ legal_var('cpl_172_review_extension_days') }}
        else 0
    end,
    case when review_extended and not speedy then 1 else 0 end,
    {{ held_on('rv.person_case_id', 'rv.stage_start') }},
    case when return_count > 0 then 'CPL arts. 172, 175' else 'CPL art. 172' end
from reviews as rv

union all

select
    pc.person_case_id, 'supplementary_investigation', r.return_number,
    r.returned_date, r.retransferred_date,
    {{ legal_var('cpl_175_supplementary_investigation_months') }}, 0,
    {{ legal_var('cpl_175_supplementary_investigation_months') }}, 0,
    0,
    {{ held_on('pc.person_case_id', 'r.returned_date') }},
    'CPL art. 175'
from returns as r
inner join person_cases as pc on pc.proc_case_no = r.proc_case_no
