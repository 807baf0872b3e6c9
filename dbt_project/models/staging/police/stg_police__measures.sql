{%- set business_key = ['document_no'] %}
{{ config(**staging_config(business_key)) }}  -- incremental by key: macros/current_versions.sql
with

source as (
    select * from {{ source('police', 'measures') }}
),

renamed as (
    select
        police_case_no,
        cast(suspect_seq as {{ dbt.type_string() }}) as suspect_seq,
        measure_type,
        start_at,
        end_at,
        document_no,
        updated_at,
        {{ raw_metadata_columns() }},
        cast(start_at as date) as start_date,
        cast(end_at as date) as end_date
    from source
),

current_version as (
    {{ current_versions('renamed', business_key, 'updated_at') }}
)

select * from current_version
