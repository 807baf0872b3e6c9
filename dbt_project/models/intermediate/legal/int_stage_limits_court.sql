-- Court and execution stages with the limit that applies: first instance (CPL art. 208,
-- extensions from the court's extended_months), 简易 (art. 220), 速裁 (art. 225), second
-- instance (art. 243) and the community-correction report (社区矫正法 art. 21).
-- The trial limit is the court case's: its "likely sentence" (可能判处) is judged ex ante,
-- from the prosecutor's recommendation (else the sentence given), the highest among the
-- case's defendants.
-- A view filtered to the build scope where the person-case is read (macros/build_scope.sql):
-- in a daily build it holds the scope's rows only, which int_stage_deadlines recomputes.
with person_cases as (
    select
        *,
        max(coalesce(recommended_months, sentence_months)) over (
            partition by coalesce(court_case_no, person_case_id)
        ) as likely_sentence_months
    from {{ ref('person_cases') }}
    -- the scope holds every defendant of a court case it holds one of
    where {{ in_build_scope('person_case_id') }}
),

appeals as (
    select court_case_no, min(filed_date) as filed_date, max(closed_date) as closed_date,
        max(coalesce(extended_months, 0)) as extended_months
    from {{ ref('stg_court__judgments') }}
    group by court_case_no
)

select
    person_case_id,
    case procedure
        when '简易' then 'summary_trial'
        when '速裁' then 'speedy_trial'
        else 'first_instance'
    end as stage,
    1 as occurrence,
    court_filed_date as stage_start,
    court_closed_date as stage_end,
    case when procedure in ('简易', '速裁') then 0
        else {{ legal_var('cpl_208_first_instance_months') }} end as base_months,
    case procedure
        when '简易' then {{ legal_var('cpl_220_summary_trial_days') }}
        when '速裁' then {{ legal_var('cpl_225_speedy_trial_days') }}
        else 0
    end as base_days,
    case
        when procedure = '简易'
            and likely_sentence_months > {{ legal_var('cpl_220_summary_long_sentence_months') }}
            then {{ legal_var('cpl_220_summary_long_months') }}
        when procedure in ('简易', '速裁') then 0
        else {{ legal_var('cpl_208_first_instance_months') }} + coalesce(trial_extended_months, 0)
    end as limit_months,
    case
        when procedure = '简易'
            and likely_sentence_months > {{ legal_var('cpl_220_summary_long_sentence_months') }}
            then {{ legal_var('cpl_220_summary_long_days') }}
        when procedure = '简易' then {{ legal_var('cpl_220_summary_trial_days') }}
        when procedure = '速裁'
            and likely_sentence_months > {{ legal_var('cpl_225_speedy_long_sentence_months') }}
            then {{ legal_var('cpl_225_speedy_trial_long_days') }}
        when procedure = '速裁' then {{ legal_var('cpl_225_speedy_trial_days') }}
        else 0
    end as limit_days,
    case when procedure not in ('简易', '速裁') and coalesce(trial_extended_months, 0) > 0
        then 1 else 0 end as extension_count,
    {{ held_on('trial.person_case_id', 'trial.court_filed_date') }} as in_custody,
    case procedure when '简易' then 'CPL art. 220' when '速裁' then 'CPL art. 225'
        else 'CPL art. 208' end as article
from person_cases as trial
where court_filed_date is not null

union all

select
    pc.person_case_id, 'second_instance', 1, a.filed_date, a.closed_date,
    {{ legal_var('cpl_243_second_instance_months') }}, 0,
    {{ legal_var('cpl_243_second_instance_months') }} + a.extended_months, 0,
    case when a.extended_months > 0 then 1 else 0 end,
    {{ held_on('pc.person_case_id', 'a.filed_date') }},
    'CPL art. 243'
from person_cases as pc
inner join appeals as a on a.court_case_no = pc.appeal_case_no

union all

-- 缓刑/管制 take effect with the judgment; 假释 with the parole ruling
select
    person_case_id, 'correction_report', 1,
    case when correction_type = '假释' then correction_effective_date
        else judgment_effective_date end,
    correction_reported_date,
    0, {{ legal_var('correction_law_21_report_days') }},
    0, {{ legal_var('correction_law_21_report_days') }},
    0, false, '社区矫正法 art. 21'
from person_cases
where (correction_type = '假释' and correction_effective_date is not null)
    or (judgment_effective_date is not null and verdict = '有罪'
        and (coalesce(suspended, false) or penalty = '管制'))
