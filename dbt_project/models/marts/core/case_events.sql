{{
    config(**keyed_incremental(
        unique_key='event_id',
        cleanup="delete from {{ this }} where event_id not in (
            select event_id from {{ ref('int_case_events_unioned') }})"
    ))
}}
-- The timeline: one row per dated event from any department, ordered within its person-case.
-- Incremental: a run rewrites every person-case touched by a batch not seen before (late
-- and out-of-order batches included), so re-linked, re-sealed and re-ordered events follow;
-- the post-hook drops events whose record no longer yields them. On Spark (Parquet: no
-- DELETE/MERGE) the model is a full table instead: see macros/cross_db/incremental.sql.
with

events as (
    select * from {{ ref('int_case_events_unioned') }}
),

person_cases as (
    select person_case_id, person_token, police_case_no, court_case_no, sealed
    from {{ ref('person_cases') }}
),

{% if is_incremental() %}
touched as (
    -- person-cases with an event from a batch not loaded before …
    select distinct person_case_id
    from events
    where batch_id not in (select distinct batch_id from {{ this }})
    union
    -- … or whose person-level facts changed (e.g. sealed once the judgment arrived)
    select t.person_case_id
    from {{ this }} as t
    inner join person_cases as p on p.person_case_id = t.person_case_id
    where t.sealed is distinct from p.sealed
        or t.person_token is distinct from p.person_token
        or t.police_case_no is distinct from p.police_case_no
        or t.court_case_no is distinct from p.court_case_no
),
{% endif %}

selected as (
    select * from events
    {% if is_incremental() %}
    where person_case_id is null
        or person_case_id in (select person_case_id from touched)
    {% endif %}
),

final as (
    select
        e.event_id,
        e.person_case_id,
        p.person_token,
        p.police_case_no,
        p.court_case_no,
        e.source,
        e.event_type,
        e.event_date,
        e.event_at,
        e.detail,
        e.batch_id,
        e.row_id,
        -- unlinked records: sealed when the person was under 18 (disposition unknown)
        case
            when p.person_case_id is not null then p.sealed
            else coalesce({{ add_years('e.birth_date', var('juvenile_age_years')) }}
                > e.event_date, false)
        end as sealed,
        row_number() over (
            partition by coalesce(e.person_case_id, e.event_id)
            order by e.event_date, e.event_at,
                case e.source when 'police' then 1 when 'procuratorate' then 2
                    when 'court' then 3 else 4 end,
                e.event_type, e.event_id
        ) as event_seq,
        e._business_date as business_date
    from selected as e
    left join person_cases as p on p.person_case_id = e.person_case_id
)

select * from final
