{%- set business_key = ['id_token', 'court_case_no'] %}
{{ config(**staging_config(business_key)) }}  -- incremental by key: macros/current_versions.sql
with

source as (
    select * from {{ source('justice', 'community_corrections') }}
),

renamed as (
    select
        {{ protected_columns('id_number') }},
        {{ protected_columns('name') }},
        correction_type,
        nullif(trim(court_case_no), '') as court_case_no,
        effective_date,
        reported_date,
        start_date,
        end_date,
        status,
        status_date,
        county_code,
        updated_at,
        {{ raw_metadata_columns() }},
        {{ city_of('county_code') }} as city_code
    from source
),

current_version as (
    {{ current_versions('renamed', business_key, 'updated_at') }}
)

select * from current_version
