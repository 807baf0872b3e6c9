{{ config(materialized=view_or_table()) }}  -- a table on Spark: macros/cross_db/incremental.sql
with

source as (
    select * from {{ source('police', 'suspects') }}
),

renamed as (
    select
        police_case_no,
        cast(suspect_seq as {{ dbt.type_string() }}) as suspect_seq,
        id_number_enc,
        id_number_masked,
        id_token,
        id_status,
        id_birth_date,
        id_region_code,
        name_enc,
        name_masked,
        name_token,
        name_pinyin_token,
        sex,
        birth_date,
        phone_enc,
        phone_masked,
        address_enc,
        address_masked,
        updated_at,
        {{ raw_metadata_columns() }}
    from source
),

current_version as (
    {{ current_versions('renamed', ['police_case_no', 'suspect_seq'], 'updated_at') }}
)

select * from current_version
