{{ config(materialized=view_or_table()) }}  -- a table on Spark: macros/cross_db/incremental.sql
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
    {{ current_versions('renamed', ['police_case_no'], 'updated_at') }}
)

select * from current_version
