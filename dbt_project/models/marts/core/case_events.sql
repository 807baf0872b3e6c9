-- The timeline: one row per dated event from any department, ordered within its person-case.
-- Incremental by person-case (macros/build_scope.sql): a daily build recomputes the events
-- of the build scope, whose fingerprint covers every row that yields an event and the
-- person_cases row (macros/scope/person_case_rows.sql), so re-linked, re-sealed, re-ordered and
-- withdrawn events follow; events of unlinked records have no person-case and are
-- recomputed every build (replace_unkeyed). On Spark (Parquet: no DELETE/MERGE) the model
-- is a full table instead: see macros/cross_db/incremental.sql.
{{ config(**scoped_incremental()) }}
{{ config(replace_unkeyed=true) }}
with

-- every department's events (macros/events/), each filtered to the scope where its
-- person-case is read, and null-dated slots dropped
selected as (
    {%- for events in [police_events(), procuratorate_events(), court_events(),
                       justice_events()] %}
    select * from ({{ events }}) as department_events
    where event_date is not null
    {{ 'union all' if not loop.last }}
    {%- endfor %}
),

person_cases as (
    select person_case_id, person_token, police_case_no, court_case_no, sealed
    from {{ ref('person_cases') }}
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
