-- Community corrections, custody (prison/detention-centre) events and court enforcement
-- cases linked to the court defendant row they execute: 案号 (court_case_no, first or
-- second instance) + ID token, else token in window, else probabilistic.
{%- set win = var('link_windows').justice %}
with

corrections as (
    select * from {{ ref('stg_justice__community_corrections') }}
),

custody_events as (
    select * from {{ ref('stg_justice__custody_events') }}
),

enforcements as (
    select * from {{ ref('stg_court__enforcements') }}
),

candidates as (
    select 'community_correction' as record_type, _row_id as record_id,
        court_case_no as link_key, id_token, name_token, name_pinyin_token,
        id_birth_date as birth_date, id_region_code as region_code,
        cast(null as {{ dbt.type_string() }}) as charge,
        coalesce(effective_date, start_date, reported_date, status_date) as record_date
    from corrections
    union all
    select 'custody_event', _row_id, court_case_no, id_token,
        cast(null as {{ dbt.type_string() }}), cast(null as {{ dbt.type_string() }}),
        id_birth_date, id_region_code, cast(null as {{ dbt.type_string() }}), event_date
    from custody_events
    union all
    select 'enforcement', _row_id, court_case_no, id_token,
        cast(null as {{ dbt.type_string() }}), cast(null as {{ dbt.type_string() }}),
        id_birth_date, id_region_code, cast(null as {{ dbt.type_string() }}), filed_date
    from enforcements
),

court_rows as (
    select _row_id, person_case_id from {{ ref('int_first_instance_judgments_linked') }}
    union all
    select _row_id, person_case_id from {{ ref('int_second_instance_judgments_linked') }}
),

targets as (
    select
        j._row_id as record_id,
        j.court_case_no as link_key,
        j.id_token, j.name_token, j.name_pinyin_token,
        j.id_birth_date as birth_date,
        j.id_region_code as region_code,
        j.charge,
        j.filed_date as record_date,
        {{ add_days('j.filed_date', win[0]) }} as window_start,
        {{ add_days('j.filed_date', win[1]) }} as window_end,
        c.person_case_id
    from {{ ref('stg_court__judgments') }} as j
    inner join court_rows as c on c._row_id = j._row_id
),

{{ link_person_records('candidates', 'targets', 'court') }},

final as (
    select
        c.record_type,
        c.record_id as _row_id,
        c.link_key as court_case_no,
        c.id_token,
        t.record_id as judgment_row_id,
        t.person_case_id,
        coalesce(l.link_method, 'unlinked') as link_method,
        l.link_confidence,
        l.match_weight
    from candidates as c
    left join court_links as l on l.left_id = c.record_id
    left join targets as t on t.record_id = l.right_id
)

select * from final
