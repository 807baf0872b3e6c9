{%- set business_key = ['id_token', 'case_ref', 'stage'] %}
{{ config(**staging_config(business_key)) }}  -- incremental by key: macros/current_versions.sql
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
    {{ current_versions('renamed', business_key, 'updated_at') }}
)

select * from current_version
