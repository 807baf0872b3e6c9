{%- set business_key = ['police_case_no'] %}
{{ config(**staging_config(business_key)) }}  -- incremental by key: macros/current_versions.sql
with

source as (
    select * from {{ source('police', 'cases') }}
),

renamed as (
    select
        police_case_no,
        case_name,
        charge,
        filed_date,
        unit_code,
        status,
        coalesce(major_suspect, false) as major_suspect,
        updated_at,
        {{ raw_metadata_columns() }},
        -- region decode: the police unit code starts with its division code
        substr(unit_code, 1, 6) as county_code,
        {{ city_of('unit_code') }} as city_code
    from source
),

current_version as (
    {{ current_versions('renamed', business_key, 'updated_at') }}
)

select * from current_version
