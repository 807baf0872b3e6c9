-- Each first-instance (刑初) defendant row linked to a prosecution review by 起诉书文号 +
-- ID token (declared), else token in window, else probabilistic; it joins that review's
-- person-case. Unlinked defendants (no procuratorate record) start a court person-case.
-- Incremental: a daily build relinks the defendants a change can reach
-- (macros/identity/relink.sql): reviews relinked (their person-case and origin may have
-- changed) and police suspects changed or gaining or losing a review.
{%- set win = var('link_windows').first_instance %}
{%- set inputs = ['int_prosecution_reviews_linked', 'int_police_person_cases'] %}
{%- set everything = relink_everything(inputs) %}
{{ config(**logged_incremental('_row_id', versions_of=['court_case_no', 'id_token'],
                              relinked_from=inputs)) }}
with

candidates as (
    select
        _row_id as record_id,
        indictment_no as link_key,
        id_token,
        id_status,
        id_birth_date,
        name_token,
        name_pinyin_token,
        id_birth_date as birth_date,
        id_region_code as region_code,
        charge,
        filed_date as record_date,
        _staged_in_build as staged_in_build
    from {{ ref('stg_court__judgments') }}
    where instance <> 'second'
),

{% set touched -%}
    {%- set reviews = changes_of(ref(inputs[0])) -%}
    {{ touched_blocks(reviews, 'indictment_no') }}
    union all
    {{ touched_blocks(changes_of(ref(inputs[1])), 'cast(null as ' ~ dbt.type_string() ~ ')') }}
    union all
    {{ touched_blocks(ref(inputs[1]), 'cast(null as ' ~ dbt.type_string() ~ ')',
                      where='person_case_id in (select person_case_id from ' ~ reviews ~ ')') }}
{%- endset -%}
{{ relinked('candidates', touched, everything) }},

judgments as (
    select * from {{ ref('stg_court__judgments') }}
    where instance <> 'second'
    {%- if not everything %} and _row_id in (select record_id from relinked){% endif %}
),

targets as (
    select
        p._row_id as record_id,
        p.indictment_no as link_key,
        p.id_token, p.id_status, p.id_birth_date, p.name_token, p.name_pinyin_token,
        p.id_birth_date as birth_date,
        p.id_region_code as region_code,
        pc.charge,
        coalesce(p.concluded_date, p.received_date) as record_date,
        {{ add_days('coalesce(p.concluded_date, p.received_date)', win[0]) }} as window_start,
        {{ add_days('coalesce(p.concluded_date, p.received_date)', win[1]) }} as window_end,
        -- a review that did not conclude with 提起公诉 has no 起诉书文号; a prosecuted one
        -- without it lost it (a missing key)
        p.indictment_no is null and coalesce(p.conclusion, '') <> '提起公诉' as keyless,
        l.person_case_id
    from {{ ref('stg_procuratorate__prosecution_reviews') }} as p
    inner join {{ ref('int_prosecution_reviews_linked') }} as l on l._row_id = p._row_id
    left join {{ ref('int_police_person_cases') }} as pc on pc.person_case_id = l.person_case_id
    union all
    -- police suspects with no prosecution review (a missing procuratorate record): by person
    -- only, since no key is shared (keyless: a judgment that names an indictment links by
    -- token to one of these, or to a review not prosecuted, only when no review of its own
    -- matches, not even by weights); such a case still shows as having no procuratorate record
    select
        pc.person_case_id, cast(null as {{ dbt.type_string() }}),
        pc.id_token, pc.id_status, pc.id_birth_date, pc.name_token, pc.name_pinyin_token,
        pc.birth_date, pc.region_code,
        pc.charge, pc.filed_date,
        pc.filed_date,
        {{ add_days('pc.filed_date', var('link_windows').police_to_court[1]) }},
        true,
        pc.person_case_id
    from {{ ref('int_police_person_cases') }} as pc
    where pc.person_case_id not in (
        select person_case_id from {{ ref('int_prosecution_reviews_linked') }})
),

{#- not narrowed: the targets are a union of joins, which DuckDB computes whole before a
    filter on top (narrowing made this hop 2.4 → 3.6 s at 1 M) -#}
{{ link_person_records('relinked', 'targets', 'review', keyless=true) }},

final as (
    select
        j._row_id,
        j.court_case_no,
        j.id_token,
        t.record_id as prosecution_review_row_id,
        coalesce(
            t.person_case_id,
            {{ surrogate_key(["'court'", 'j.court_case_no', 'coalesce(j.id_token, j._row_id)']) }}
        ) as person_case_id,
        case when t.person_case_id is null then 'court' else 'linked' end as origin,
        coalesce(l.link_method, 'unlinked') as link_method,
        l.link_confidence,
        l.match_weight,
        j.indictment_no,
        j.name_token,
        j.name_pinyin_token,
        j.id_birth_date as birth_date,
        j.id_region_code as region_code
    from judgments as j
    left join review_links as l on l.left_id = j._row_id
    left join targets as t on t.record_id = l.right_id
)

select * from final
