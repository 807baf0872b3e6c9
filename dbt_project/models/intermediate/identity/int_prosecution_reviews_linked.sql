-- Each prosecution review (审查起诉) linked to a police person-case by 公安案件编号 + ID
-- token (declared), else token in window, else probabilistically; a person-case another
-- review names by declared key is that review's (one_to_one). Unlinked reviews
-- (self-investigated or unmatched) start their own procuratorate person-case.
-- Incremental: a daily build relinks the reviews a change can reach (macros/identity/relink.sql);
-- the block columns are kept because the reviews are the targets of later hops.
{%- set win = var('link_windows').prosecution_review %}
{%- set inputs = ['int_police_person_cases'] %}
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
    from {{ ref('stg_procuratorate__prosecution_reviews') }}
),

{{ relinked('candidates', touched_blocks(changes_of(ref(inputs[0])),
                                         'police_case_no'), everything,
             with_token_of_new=true) }},

reviews as (
    select * from {{ ref('stg_procuratorate__prosecution_reviews') }}
    {%- if not everything %}
    where _row_id in (select record_id from relinked)
    {%- endif %}
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
),

{#- one review per police person-case: the declared-key links of the reviews not relinked
    (those of the relinked reviews' persons) still claim their targets -#}
{%- set kept_claims = none if everything else
    "select person_case_id, _row_id from " ~ this ~ " where link_method = 'declared_key'"
    ~ " and id_token in (select id_token from relinked)"
    ~ " and _row_id not in (select record_id from relinked)" %}
{{ link_person_records('relinked', 'targets', 'police', narrow=not everything,
                       one_to_one=true, kept_claims=kept_claims) }},

final as (
    select
        r._row_id,
        r.proc_case_no,
        r.id_token,
        coalesce(
            l.right_id,
            {{ surrogate_key(["'procuratorate'", 'r.proc_case_no', 'coalesce(r.id_token, r._row_id)']) }}
        ) as person_case_id,
        case when l.right_id is null then 'procuratorate' else 'police' end as origin,
        coalesce(l.link_method, 'unlinked') as link_method,
        l.link_confidence,
        l.match_weight,
        r.police_case_no,
        r.indictment_no,
        r.name_token,
        r.name_pinyin_token,
        r.id_birth_date as birth_date,
        r.id_region_code as region_code
    from reviews as r
    left join police_links as l on l.left_id = r._row_id
)

select * from final
