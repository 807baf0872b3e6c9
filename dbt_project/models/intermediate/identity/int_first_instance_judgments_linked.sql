-- Each first-instance (刑初) defendant row linked to a prosecution review by 起诉书文号 +
-- ID token (declared), else token in window, else probabilistic; it joins that review's
-- person-case. Unlinked defendants (no procuratorate record) start a court person-case.
{%- set win = var('link_windows').first_instance %}
with

judgments as (
    select * from {{ ref('stg_court__judgments') }}
    where instance <> 'second'
),

candidates as (
    select
        _row_id as record_id,
        indictment_no as link_key,
        id_token,
        name_token,
        name_pinyin_token,
        id_birth_date as birth_date,
        id_region_code as region_code,
        charge,
        filed_date as record_date
    from judgments
),

targets as (
    select
        p._row_id as record_id,
        p.indictment_no as link_key,
        p.id_token, p.name_token, p.name_pinyin_token,
        p.id_birth_date as birth_date,
        p.id_region_code as region_code,
        pc.charge,
        coalesce(p.concluded_date, p.received_date) as record_date,
        {{ add_days('coalesce(p.concluded_date, p.received_date)', win[0]) }} as window_start,
        {{ add_days('coalesce(p.concluded_date, p.received_date)', win[1]) }} as window_end,
        l.person_case_id
    from {{ ref('stg_procuratorate__prosecution_reviews') }} as p
    inner join {{ ref('int_prosecution_reviews_linked') }} as l on l._row_id = p._row_id
    left join {{ ref('int_police_person_cases') }} as pc on pc.person_case_id = l.person_case_id
    union all
    -- police suspects with no prosecution review (a missing procuratorate record): by person
    -- only, since no key is shared; such a case still shows as having no procuratorate record
    select
        pc.person_case_id, cast(null as {{ dbt.type_string() }}),
        pc.id_token, pc.name_token, pc.name_pinyin_token, pc.birth_date, pc.region_code,
        pc.charge, pc.filed_date,
        pc.filed_date,
        {{ add_days('pc.filed_date', var('link_windows').police_to_court[1]) }},
        pc.person_case_id
    from {{ ref('int_police_person_cases') }} as pc
    where pc.person_case_id not in (
        select person_case_id from {{ ref('int_prosecution_reviews_linked') }})
),

{{ link_person_records('candidates', 'targets', 'review') }},

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
        l.match_weight
    from judgments as j
    left join review_links as l on l.left_id = j._row_id
    left join targets as t on t.record_id = l.right_id
)

select * from final
