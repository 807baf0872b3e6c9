{{ config(materialized=view_or_table()) }}  -- a table on Spark: macros/cross_db/incremental.sql
with

source as (
    select * from {{ source('procuratorate', 'supplementary_investigations') }}
),

renamed as (
    select
        proc_case_no,
        returned_date,
        retransferred_date,
        sequence,
        {{ raw_metadata_columns() }}
    from source
),

current_version as (
    -- no updated_at in this file: the newest delivery wins
    {{ current_versions('renamed', ['proc_case_no', 'sequence']) }}
)

select * from current_version
