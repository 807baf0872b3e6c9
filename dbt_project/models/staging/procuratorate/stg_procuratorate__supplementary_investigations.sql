{%- set business_key = ['proc_case_no', 'sequence'] %}
{{ config(**staging_config(business_key)) }}  -- incremental by key: macros/current_versions.sql
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
    {{ current_versions('renamed', business_key) }}
)

select * from current_version
