{{ config(**scoped_incremental()) }}  -- daily builds recompute the build scope only
-- One row per coercive measure period of a suspect (police measures, 强制措施):
-- detention (JL), arrest custody (DB), bail (QB), residential surveillance (JJ).
-- A period ends at its own end_at, or at the first later measure that replaces it:
-- custody (JL/DB) ends at release SF or a non-custodial QB/JJ (or DB→ for JL: arrest
-- continues custody under another stage); QB/JJ end at SF, custody, or the other one.
-- YQ rows extend the custody stage in force at their start (exchange-formats.md).
-- Keyed to the person-case (police_case_no, suspect_seq) of the mart person_cases.
with person_cases as (
    select person_case_id, police_case_no, suspect_seq
    from {{ ref('person_cases') }}
    where police_case_no is not null and {{ in_build_scope('person_case_id') }}
),

measures as (
    select
        police_case_no,
        suspect_seq,
        measure_type,
        start_at,
        cast(start_at as date) as start_date,
        cast(end_at as date) as end_date,
        document_no,
        _batch_id,
        _row_id
    from {{ ref('stg_police__measures') }}
    {%- if is_incremental() %}
    -- the scope's cases only: every measure a period of theirs is bounded by is of the case
    where police_case_no in (select police_case_no from person_cases)
    {%- endif %}
),

periods as (
    select
        *,
        case measure_type
            when 'JL' then 'detention'
            when 'DB' then 'arrest_custody'
            when 'QB' then 'bail'
            when 'JJ' then 'residential_surveillance'
        end as period_kind
    from measures
    where measure_type in ('JL', 'DB', 'QB', 'JJ')
),

bounded as (
    select
        p.*,
        (
            select min(e.start_date) from measures as e
            where e.police_case_no = p.police_case_no and e.suspect_seq = p.suspect_seq
              and e.start_at > p.start_at
              and (
                  (p.measure_type = 'JL' and e.measure_type in ('DB', 'SF', 'QB', 'JJ'))
                  or (p.measure_type = 'DB' and e.measure_type in ('SF', 'QB', 'JJ'))
                  or (p.measure_type = 'QB' and e.measure_type in ('SF', 'JL', 'DB', 'JJ'))
                  or (p.measure_type = 'JJ' and e.measure_type in ('SF', 'JL', 'DB', 'QB'))
              )
        ) as replaced_date,
        (
            select min(e.start_date) from measures as e
            where e.police_case_no = p.police_case_no and e.suspect_seq = p.suspect_seq
              and e.start_at > p.start_at and e.measure_type = 'TQPB'
        ) as next_arrest_request_date
    from periods as p
),

ended as (
    select
        *,
        least(end_date, replaced_date) as period_end,
        -- the detention stage (art. 91) ends when the police request arrest, or earlier
        -- when the person is released or the measure changes
        case when period_kind = 'detention'
            then least(end_date, replaced_date, next_arrest_request_date)
        end as arrest_request_or_end
    from bounded
),

extended as (
    select
        person_cases.person_case_id,
        ended.police_case_no,
        ended.suspect_seq,
        ended.period_kind,
        ended.measure_type,
        ended.start_at,
        ended.document_no,
        ended.start_date,
        ended.period_end,
        ended.arrest_request_or_end,
        count(yq.document_no) as extension_count,
        {{ ordered_list_agg(evidence_ref('police.measures', 'yq'), ['yq.start_at'],
                            where='yq.document_no is not null') }} as extension_evidence,
        ended._batch_id,
        ended._row_id
    from ended
    inner join person_cases
        on ended.police_case_no = person_cases.police_case_no
        and ended.suspect_seq = person_cases.suspect_seq
    left join measures as yq
        on yq.measure_type = 'YQ'
        and ended.period_kind in ('detention', 'arrest_custody')
        and yq.police_case_no = ended.police_case_no
        and yq.suspect_seq = ended.suspect_seq
        and yq.start_at >= ended.start_at
        and yq.start_date <= coalesce(
            case when ended.period_kind = 'detention' then ended.arrest_request_or_end
            else ended.period_end end,
            date '9999-12-31'
        )
    group by all
)

select
    {{ star_except(['start_at', 'document_no']) }},
    row_number() over (
        partition by police_case_no, suspect_seq, period_kind order by start_at, document_no
    ) as occurrence
from extended
