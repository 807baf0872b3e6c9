{%- set business_key = ['court_case_no', 'id_token'] %}
{{ config(**staging_config(business_key)) }}  -- incremental by key: macros/current_versions.sql
with

source as (
    select * from {{ source('court', 'judgments') }}
),

renamed as (
    select
        court_case_no,
        filed_date,
        nullif(trim(indictment_no), '') as indictment_no,
        procedure,
        closed_date,
        effective_date,
        coalesce(extended_months, 0) as extended_months,
        updated_at,
        {{ protected_columns('id_number') }},
        {{ protected_columns('name') }},
        charge,
        nullif(verdict, '') as verdict,
        nullif(penalty, '') as penalty,
        sentence_months,
        coalesce(suspended, false) as suspended,
        probation_months,
        fine,
        recommendation_adopted,
        {{ raw_metadata_columns() }},
        case
            when court_case_no like '%刑初%' then 'first'
            when court_case_no like '%刑终%' then 'second'
            else 'other'
        end as instance,
        {{ court_division_code('court_case_no') }} as county_code,
        {{ city_of(court_division_code('court_case_no')) }} as city_code
    from source
),

current_version as (
    {{ current_versions('renamed', business_key, 'updated_at') }}
)

select * from current_version
