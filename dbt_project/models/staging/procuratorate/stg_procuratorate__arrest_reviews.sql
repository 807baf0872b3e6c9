{%- set business_key = ['proc_case_no', 'id_token'] %}
{{ config(**staging_config(business_key)) }}  -- incremental by key: macros/current_versions.sql
with

source as (
    select * from {{ source('procuratorate', 'arrest_reviews') }}
),

renamed as (
    select
        proc_case_no,
        nullif(trim(police_case_no), '') as police_case_no,
        {{ protected_columns('id_number') }},
        {{ protected_columns('name') }},
        received_date,
        concluded_date,
        nullif(conclusion, '') as conclusion,
        handling_unit,
        updated_at,
        {{ raw_metadata_columns() }}
    from source
),

current_version as (
    {{ current_versions('renamed', business_key, 'updated_at') }}
)

select * from current_version
