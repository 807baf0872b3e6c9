-- Each arrest review (审查逮捕) linked to a person-case: a police suspect (公安案件编号 + ID
-- token, else token in window, else probabilistic) or, for self-investigated cases, a
-- procuratorate person-case of the same person reviewed for prosecution later.
-- Incremental: a daily build relinks the reviews a change can reach (macros/identity/relink.sql).
{%- set win = var('link_windows').arrest_review %}
{%- set inputs = ['int_police_person_cases', 'int_prosecution_reviews_linked'] %}
{%- set everything = relink_everything(inputs) %}
{{ config(**logged_incremental('_row_id', versions_of=['proc_case_no', 'id_token'],
                              relinked_from=inputs)) }}
with

candidates as (
    select
        _row_id as record_id,
        police_case_no as link_key,
        id_token,
        id_status,
        id_birth_date,
        name_token,
        name_pinyin_token,
        id_birth_date as birth_date,
        id_region_code as region_code,
        cast(null as {{ dbt.type_string() }}) as charge,
        received_date as record_date,
        _staged_in_build as staged_in_build
    from {{ ref('stg_procuratorate__arrest_reviews') }}
),

{% set touched -%}
    {{ touched_blocks(changes_of(ref(inputs[0])), 'police_case_no') }}
    union all
    {{ touched_blocks(changes_of(ref(inputs[1])), 'police_case_no') }}
{%- endset -%}
{{ relinked('candidates', touched, everything) }},

reviews as (
    select * from {{ ref('stg_procuratorate__arrest_reviews') }}
    {%- if not everything %}
    where _row_id in (select record_id from relinked)
    {%- endif %}
),

procuratorate_person_cases as (
    select l.person_case_id, p.*
    from {{ ref('int_prosecution_reviews_linked') }} as l
    inner join {{ ref('stg_procuratorate__prosecution_reviews') }} as p on p._row_id = l._row_id
    where l.origin = 'procuratorate'
),

targets as (
    select
        person_case_id as record_id,
        police_case_no as link_key,
        id_token, id_status, id_birth_date, name_token, name_pinyin_token, birth_date,
        region_code, charge,
        filed_date as record_date,
        {{ add_days('filed_date', win[0]) }} as window_start,
        {{ add_days('filed_date', win[1]) }} as window_end
    from {{ ref('int_police_person_cases') }}
    union all
    -- the arrest review precedes the prosecution review: the window runs backwards
    select
        person_case_id, police_case_no, id_token, id_status, id_birth_date, name_token,
        name_pinyin_token, id_birth_date, id_region_code, cast(null as {{ dbt.type_string() }}),
        received_date,
        {{ add_days('received_date', -win[1]) }},
        {{ add_days('received_date', -win[0]) }}
    from procuratorate_person_cases
),

{{ link_person_records('relinked', 'targets', 'spine', narrow=not everything) }},

final as (
    select
        r._row_id,
        r.proc_case_no,
        r.id_token,
        l.right_id as person_case_id,
        coalesce(l.link_method, 'unlinked') as link_method,
        l.link_confidence,
        l.match_weight
    from reviews as r
    left join spine_links as l on l.left_id = r._row_id
)

select * from final
