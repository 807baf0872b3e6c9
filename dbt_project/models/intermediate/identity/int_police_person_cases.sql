-- The spine's police part: one row per suspect in a police case, with the case's facts.
-- Incremental by person-case: a daily build rewrites the suspects whose own row or whose
-- case's row became current in this build (_staged_in_build); a suspect's key (case number
-- + 嫌疑人编号, both required) never goes away, so no other row can change. The rows it
-- replaced are kept for the linking hops that take police suspects as targets.
{{ config(**logged_incremental('person_case_id')) }}
with

suspects as (
    select * from {{ ref('stg_police__suspects') }}
),

cases as (
    select * from {{ ref('stg_police__cases') }}
),

final as (
    select
        {{ surrogate_key(["'police'", 's.police_case_no', 's.suspect_seq']) }} as person_case_id,
        s.police_case_no,
        s.suspect_seq,
        s.id_token,
        s.id_status,
        s.name_token,
        s.name_pinyin_token,
        -- the clear 出生日期 survives a typo in the ID's birth digits
        coalesce(s.birth_date, s.id_birth_date) as birth_date,
        s.id_birth_date,
        s.id_region_code as region_code,
        s.sex,
        c.charge,
        c.filed_date,
        c.county_code,
        c.city_code,
        c.major_suspect,
        c.status as case_status,
        greatest(s._business_date, c._business_date) as last_business_date,
        s._batch_id,
        s._row_id
    from suspects as s
    left join cases as c on c.police_case_no = s.police_case_no
    {%- if is_incremental() %}
    where s._staged_in_build = '{{ build_id() }}'
        or s.police_case_no in (
            select police_case_no from cases where _staged_in_build = '{{ build_id() }}')
    {%- endif %}
)

select * from final
