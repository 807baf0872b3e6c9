{%- set business_key = ['police_case_no', 'suspect_seq'] %}
{{ config(**staging_config(business_key)) }}  -- incremental by key: macros/current_versions.sql
with

source as (
    select * from {{ source('police', 'suspects') }}
),

renamed as (
    select
        police_case_no,
        cast(suspect_seq as {{ dbt.type_string() }}) as suspect_seq,
        {{ protected_columns('id_number') }},
        {{ protected_columns('name') }},
        sex,
        birth_date,
        {{ protected_columns('phone') }},
        {{ protected_columns('address') }},
        updated_at,
        {{ raw_metadata_columns() }}
    from source
),

current_version as (
    {{ current_versions('renamed', business_key, 'updated_at') }}
)

select * from current_version
