-- Each second-instance (刑终) defendant row linked to the first-instance row it reviews:
-- same 起诉书文号 + ID token, else token in window, else probabilistic.
-- Incremental: a daily build relinks the defendants a change can reach (macros/identity/relink.sql).
{%- set win = var('link_windows').second_instance %}
{%- set inputs = ['int_first_instance_judgments_linked'] %}
{%- set everything = relink_everything(inputs) %}
{{ config(**logged_incremental('_row_id', versions_of=['court_case_no', 'id_token'],
                              relinked_from=inputs)) }}
with

candidates as (
    select
        _row_id as record_id,
        indictment_no as link_key,
        id_token, id_status, id_birth_date, name_token, name_pinyin_token,
        id_birth_date as birth_date,
        id_region_code as region_code,
        charge,
        filed_date as record_date,
        _staged_in_build as staged_in_build
    from {{ ref('stg_court__judgments') }}
    where instance = 'second'
),

{{ relinked('candidates', touched_blocks(changes_of(ref(inputs[0])), 'indictment_no'), everything) }},

appeals as (
    select * from {{ ref('stg_court__judgments') }}
    where instance = 'second'
    {%- if not everything %} and _row_id in (select record_id from relinked){% endif %}
),

targets as (
    select
        j._row_id as record_id,
        j.indictment_no as link_key,
        j.id_token, j.id_status, j.id_birth_date, j.name_token, j.name_pinyin_token,
        j.id_birth_date as birth_date,
        j.id_region_code as region_code,
        j.charge,
        coalesce(j.closed_date, j.filed_date) as record_date,
        {{ add_days('coalesce(j.closed_date, j.filed_date)', win[0]) }} as window_start,
        {{ add_days('coalesce(j.closed_date, j.filed_date)', win[1]) }} as window_end,
        f.person_case_id
    from {{ ref('stg_court__judgments') }} as j
    inner join {{ ref('int_first_instance_judgments_linked') }} as f on f._row_id = j._row_id
),

{{ link_person_records('relinked', 'targets', 'first', narrow=not everything) }},

final as (
    select
        a._row_id,
        a.court_case_no,
        a.id_token,
        t.record_id as first_instance_row_id,
        coalesce(
            t.person_case_id,
            {{ surrogate_key(["'court'", 'a.court_case_no', 'coalesce(a.id_token, a._row_id)']) }}
        ) as person_case_id,
        case when t.person_case_id is null then 'court' else 'linked' end as origin,
        coalesce(l.link_method, 'unlinked') as link_method,
        l.link_confidence,
        l.match_weight,
        a.name_token,
        a.name_pinyin_token,
        a.id_birth_date as birth_date,
        a.id_region_code as region_code
    from appeals as a
    left join first_links as l on l.left_id = a._row_id
    left join targets as t on t.record_id = l.right_id
)

select * from final
