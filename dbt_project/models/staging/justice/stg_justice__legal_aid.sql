{{ config(materialized=view_or_table()) }}  -- a table on Spark: macros/cross_db/incremental.sql
with

source as (
    select * from {{ source('justice', 'legal_aid') }}
),

renamed as (
    select
        {{ protected_columns('id_number') }},
        trim(case_ref) as case_ref,
        stage,
        assigned_date,
        updated_at,
        {{ raw_metadata_columns() }}
    from source
),

current_version as (
    {{ current_versions('renamed', ['id_token', 'case_ref', 'stage'], 'updated_at') }}
)

select * from current_version
