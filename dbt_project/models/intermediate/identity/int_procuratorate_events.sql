{{ config(materialized='view') }}
-- Procuratorate timeline events: arrest and prosecution reviews (received / concluded) and
-- each 退回补充侦查 (returned / re-transferred), on the person-case they were linked to.
with

arrest as (
    select l.person_case_id, r.*, k.conclusion_code
    from {{ ref('int_arrest_reviews_linked') }} as l
    inner join {{ ref('stg_procuratorate__arrest_reviews') }} as r on r._row_id = l._row_id
    left join {{ ref('review_conclusions') }} as k on k.conclusion = r.conclusion
),

prosecution as (
    select l.person_case_id, r.*, k.conclusion_code
    from {{ ref('int_prosecution_reviews_linked') }} as l
    inner join {{ ref('stg_procuratorate__prosecution_reviews') }} as r on r._row_id = l._row_id
    left join {{ ref('review_conclusions') }} as k on k.conclusion = r.conclusion
),

supplementary as (
    select p.person_case_id, p.id_token, p.id_birth_date, s.*
    from prosecution as p
    inner join {{ ref('stg_procuratorate__supplementary_investigations') }} as s
        on s.proc_case_no = p.proc_case_no
),

{%- set review_key = ['coalesce(r.proc_case_no, r._row_id)', 'coalesce(r.id_token, r._row_id)'] %}

final as (
    {%- for kind, rel in [('arrest_review', 'arrest'), ('prosecution_review', 'prosecution')] %}
    select
        {{ surrogate_key(["'" ~ kind ~ "'"] + review_key + ["'received'"]) }} as event_id,
        person_case_id, '{{ kind }}_received' as event_type, received_date as event_date,
        cast(received_date as timestamp) as event_at, cast(null as {{ dbt.type_string() }}) as detail,
        _batch_id as batch_id, _row_id as row_id, _business_date, id_birth_date as birth_date
    from {{ rel }} as r
    union all
    select
        {{ surrogate_key(["'" ~ kind ~ "'"] + review_key + ["'concluded'"]) }},
        person_case_id, '{{ kind }}_concluded', concluded_date,
        cast(concluded_date as timestamp), conclusion_code, _batch_id, _row_id, _business_date,
        id_birth_date
    from {{ rel }} as r
    union all
    {%- endfor %}
    {%- for slot, col in [('returned', 'returned_date'), ('retransferred', 'retransferred_date')] %}
    select
        {{ surrogate_key(["'supplementary'", 'r.proc_case_no', 'coalesce(r.id_token, r._row_id)',
                          'r.sequence', "'" ~ slot ~ "'"]) }},
        person_case_id, 'supplementary_investigation_{{ slot }}', {{ col }},
        cast({{ col }} as timestamp), cast(sequence as {{ dbt.type_string() }}),
        _batch_id, _row_id, _business_date, id_birth_date
    from supplementary as r
    {{ 'union all' if not loop.last }}
    {%- endfor %}
)

select *, 'procuratorate' as source from final
