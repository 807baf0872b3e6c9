-- One row per person (person_token) of person_cases with the newest masked display forms
-- (security-baseline §3). The forms were computed at ingestion from values decrypted in
-- memory (shared_exchange.ingest.protect): no clear PII and no ciphertext reaches this mart.
-- The chosen record is the newest police suspect record, else the newest record of any other
-- department; all forms and the evidence come from that one record.
-- Incremental by person: a daily build recomputes the tokens of rows that became current in
-- this build, of person-cases that changed (their token before and after: `sealed` and the
-- set of persons follow the person-cases), and of persons whose chosen row is no longer
-- current (replaced by a version under another token). Removing a row that was not chosen
-- changes no pick (the order is total); persons left with no person-case are deleted.
{%- set candidate_models = [
    ('police', 'stg_police__suspects'),
    ('procuratorate', 'stg_procuratorate__prosecution_reviews'),
    ('procuratorate', 'stg_procuratorate__arrest_reviews'),
    ('court', 'stg_court__judgments'),
    ('justice', 'stg_justice__community_corrections'),
] %}
-- depends_on: {{ ref('int_person_case_changes') }}
{{ config(**keyed_incremental(
    unique_key='person_token',
    cleanup="delete from {{ this }} where person_token not in (
        select person_token from {{ ref('person_cases') }} where person_token is not null)"
)) }}
with

{% if is_incremental() %}
recomputed as (
    {%- for _, model in candidate_models %}
    select id_token as person_token from {{ ref(model) }}
    where _staged_in_build = '{{ build_id() }}'
    union
    {%- endfor %}
    select person_token from {{ ref('int_person_case_changes') }}
    where changed_in_build = '{{ build_id() }}'
    union
    select previous_person_token from {{ ref('int_person_case_changes') }}
    where changed_in_build = '{{ build_id() }}'
    union
    select person_token from {{ this }}
    where row_id not in (
        {%- for _, model in candidate_models %}
        select _row_id from {{ ref(model) }}{{ ' union all' if not loop.last }}
        {%- endfor %})
),
{% endif %}

candidates as (
    select
        id_token as person_token, 'police' as source, 1 as source_priority,
        id_number_masked, name_masked, phone_masked, address_masked, sex,
        coalesce(birth_date, id_birth_date) as birth_date,
        updated_at, _business_date, _extracted_at, _batch_id, _line, _row_id
    from {{ ref('stg_police__suspects') }}
    {#- departments without phone, address or a delivered birth date: one shape each -#}
    {%- for source, model in candidate_models[1:] %}
    union all
    select
        id_token, '{{ source }}', 2, id_number_masked, name_masked,
        cast(null as {{ dbt.type_string() }}), cast(null as {{ dbt.type_string() }}),
        cast(null as {{ dbt.type_string() }}), id_birth_date,
        updated_at, _business_date, _extracted_at, _batch_id, _line, _row_id
    from {{ ref(model) }}
    {%- endfor %}
),

persons as (
    -- the persons the warehouse knows; sealed if any of their person-cases is (CPL art. 286)
    select person_token, bool_or(sealed) as sealed
    from {{ ref('person_cases') }}
    where person_token is not null
    {%- if is_incremental() %}
        and person_token in (select person_token from recomputed)
    {%- endif %}
    group by person_token
),

ranked as (
    select
        c.*,
        p.sealed,
        row_number() over (
            partition by c.person_token
            order by c.source_priority, {{ newest_first('c.updated_at') }}, c._row_id desc
        ) as identity_rank
    from candidates as c
    inner join persons as p on p.person_token = c.person_token
),

final as (
    select
        person_token,
        id_number_masked,
        name_masked,
        phone_masked,
        address_masked,
        cast(extract(year from birth_date) as integer) as birth_year,
        case sex when '1' then 'M' when '2' then 'F' end as sex,
        sealed,
        source,
        _batch_id as batch_id,
        _row_id as row_id,
        _business_date as business_date
    from ranked
    where identity_rank = 1
)

select * from final
