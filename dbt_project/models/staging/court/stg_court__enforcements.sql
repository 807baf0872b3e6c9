{%- set business_key = ['enforcement_case_no'] %}
{{ config(**staging_config(business_key)) }}  -- incremental by key: macros/current_versions.sql
with

source as (
    select * from {{ source('court', 'enforcement') }}
),

renamed as (
    select
        enforcement_case_no,
        court_case_no,
        {{ protected_columns('id_number') }},
        filed_date,
        closed_date,
        amount_due,
        amount_recovered,
        nullif(closure, '') as closure,
        updated_at,
        {{ raw_metadata_columns() }}
    from source
),

current_version as (
    {{ current_versions('renamed', business_key, 'updated_at') }}
)

select * from current_version
