{{ config(materialized=view_or_table()) }}  -- a table on Spark: macros/cross_db/incremental.sql
with

source as (
    select * from {{ source('justice', 'custody_events') }}
),

renamed as (
    select
        {{ protected_columns('id_number') }},
        nullif(trim(court_case_no), '') as court_case_no,
        event,
        event_date,
        institution_code,
        months_reduced,
        updated_at,
        {{ raw_metadata_columns() }}
    from source
),

current_version as (
    {{ current_versions('renamed', ['id_token', 'court_case_no', 'event', 'event_date'],
                        'updated_at') }}
)

select * from current_version
