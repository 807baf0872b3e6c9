{%- set business_key = ['id_token', 'court_case_no', 'event', 'event_date'] %}
{{ config(**staging_config(business_key)) }}  -- incremental by key: macros/current_versions.sql
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
    {{ current_versions('renamed', business_key,
                        'updated_at') }}
)

select * from current_version
