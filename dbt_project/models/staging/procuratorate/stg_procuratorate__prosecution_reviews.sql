{%- set business_key = ['proc_case_no', 'id_token'] %}
{{ config(**staging_config(business_key)) }}  -- incremental by key: macros/current_versions.sql
with

source as (
    select * from {{ source('procuratorate', 'prosecution_reviews') }}
),

renamed as (
    select
        proc_case_no,
        -- blank for self-investigated cases
        nullif(trim(police_case_no), '') as police_case_no,
        {{ protected_columns('id_number') }},
        {{ protected_columns('name') }},
        received_date,
        concluded_date,
        nullif(conclusion, '') as conclusion,
        coalesce(guilty_plea, false) as guilty_plea,
        coalesce(speedy_procedure, false) as speedy_procedure,
        recommended_months,
        nullif(trim(indictment_no), '') as indictment_no,
        court_name,
        handling_unit,
        updated_at,
        -- optional column (blank or absent means 否)
        coalesce(review_extended, false) as review_extended,
        {{ raw_metadata_columns() }}
    from source
),

current_version as (
    {{ current_versions('renamed', business_key, 'updated_at') }}
)

select * from current_version
