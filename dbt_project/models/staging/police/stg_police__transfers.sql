{%- set business_key = ['police_case_no', 'suspect_seq'] %}
{{ config(**staging_config(business_key)) }}  -- incremental by key: macros/current_versions.sql
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
    {{ current_versions('renamed', business_key) }}
)

select * from current_version
