{{ config(materialized=view_or_table()) }}  -- a table on Spark: macros/cross_db/incremental.sql
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
    {{ current_versions('renamed', ['document_no'], 'updated_at') }}
)

select * from current_version
