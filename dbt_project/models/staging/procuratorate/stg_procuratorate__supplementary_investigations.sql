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
    -- no updated_at in this file. A record only changes by gaining its 重新移送日期, so a
    -- version that has it is newer than one without, whatever the delivery order (a stale
    -- re-delivery of the open version must not reopen the clock); else the newest delivery
    {{ current_versions('renamed', business_key, '(retransferred_date is not null)') }}
)

select * from current_version
