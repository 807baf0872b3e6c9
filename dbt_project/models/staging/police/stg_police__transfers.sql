{{ config(materialized=view_or_table()) }}  -- a table on Spark: macros/cross_db/incremental.sql
with

source as (
    select * from {{ source('police', 'transfers') }}
),

renamed as (
    select
        police_case_no,
        cast(suspect_seq as {{ dbt.type_string() }}) as suspect_seq,
        transfer_date,
        receiving_procuratorate,
        {{ raw_metadata_columns() }}
    from source
),

current_version as (
    -- no updated_at in this file: the newest delivery wins
    {{ current_versions('renamed', ['police_case_no', 'suspect_seq']) }}
)

select * from current_version
