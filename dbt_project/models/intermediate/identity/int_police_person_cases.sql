-- The spine's police part: one row per suspect in a police case, with the case's facts.
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
)

select * from final
