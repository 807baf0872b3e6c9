-- Police custody and non-custodial stages with the limit that applies (CPL arts. 79, 91,
-- 156, 158, 159). One row per person-case, stage and occurrence of the measure.
-- A view filtered to the build scope where the person-case is read (macros/build_scope.sql):
-- in a daily build it holds the scope's rows only, which int_stage_deadlines recomputes.
with periods as (
    select * from {{ ref('int_custody_periods') }}
    where {{ in_build_scope('person_case_id') }}
),

person_cases as (
    select person_case_id, major_suspect, transfer_date from {{ ref('person_cases') }}
    where {{ in_build_scope('person_case_id') }}
),

joined as (
    select periods.*, person_cases.major_suspect, person_cases.transfer_date
    from periods
    inner join person_cases on periods.person_case_id = person_cases.person_case_id
),

staged as (
    select
        person_case_id,
        'detention_to_arrest_request' as stage,
        occurrence,
        start_date as stage_start,
        arrest_request_or_end as stage_end,
        0 as base_months,
        {{ legal_var('cpl_91_detention_days') }} as base_days,
        0 as limit_months,
        case
            when extension_count = 0 then {{ legal_var('cpl_91_detention_days') }}
            when coalesce(major_suspect, false)
                then {{ legal_var('cpl_91_major_suspect_detention_days') }}
            else {{ legal_var('cpl_91_detention_extended_days') }}
        end as limit_days,
        extension_count,
        extension_evidence,
        true as in_custody,
        'CPL art. 91' as article,
        _batch_id, _row_id
    from joined
    where period_kind = 'detention'

    union all

    select
        person_case_id,
        'investigation_custody',
        occurrence,
        start_date,
        -- custody in investigation ends at release or at transfer for prosecution review
        least(period_end, case when transfer_date >= start_date then transfer_date end),
        {{ legal_var('cpl_156_investigation_custody_months') }},
        0,
        {{ legal_var('cpl_156_investigation_custody_months') }}
        + case when extension_count >= 1 then {{ legal_var('cpl_156_first_extension_months') }}
            else 0 end
        + case when extension_count >= 2 then {{ legal_var('cpl_158_second_extension_months') }}
            else 0 end
        + case when extension_count >= 3 then {{ legal_var('cpl_159_third_extension_months') }}
            else 0 end,
        0,
        extension_count,
        extension_evidence,
        true,
        'CPL arts. 156, 158, 159',
        _batch_id, _row_id
    from joined
    where period_kind = 'arrest_custody'

    union all

    select
        person_case_id,
        case period_kind when 'bail' then 'bail' else 'residential_surveillance' end,
        occurrence,
        start_date,
        period_end,
        case period_kind when 'bail' then {{ legal_var('cpl_79_bail_months') }}
            else {{ legal_var('cpl_79_residential_surveillance_months') }} end,
        0,
        case period_kind when 'bail' then {{ legal_var('cpl_79_bail_months') }}
            else {{ legal_var('cpl_79_residential_surveillance_months') }} end,
        0,
        0,
        null,
        false,
        'CPL art. 79',
        _batch_id, _row_id
    from joined
    where period_kind in ('bail', 'residential_surveillance')
)

select
    {{ star_except(['_batch_id', '_row_id']) }},
    {{ array_of([evidence_ref('police.measures', 'staged')]) }} as evidence
from staged
