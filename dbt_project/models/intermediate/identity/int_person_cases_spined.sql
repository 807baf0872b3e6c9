-- The person-case spine: every police suspect, plus each prosecution review and each court
-- defendant that could not be linked to an earlier department's record (self-investigated
-- cases, or records whose keys and identity were both too damaged to link).
-- Incremental: a daily build recomputes the person-cases it touched (int_person_cases_touched).
{{ config(**scoped_incremental(scope='int_person_cases_touched')) }}
{%- set touched = build_scope_keys('int_person_cases_touched') %}
with

police as (
    select
        person_case_id, 'police' as origin, id_token, id_status, sex, birth_date,
        region_code, police_case_no, suspect_seq, charge, filed_date,
        county_code, city_code, major_suspect, case_status, last_business_date
    from {{ ref('int_police_person_cases') }}
    where {{ in_keys('person_case_id', touched) }}
),

procuratorate as (
    select
        l.person_case_id, 'procuratorate', p.id_token, p.id_status,
        cast(null as {{ dbt.type_string() }}), p.id_birth_date, p.id_region_code,
        cast(null as {{ dbt.type_string() }}), cast(null as {{ dbt.type_string() }}),
        cast(null as {{ dbt.type_string() }}), p.received_date,
        r.region_code, r.city_code,
        false, cast(null as {{ dbt.type_string() }}), p._business_date
    from {{ ref('int_prosecution_reviews_linked') }} as l
    inner join {{ ref('stg_procuratorate__prosecution_reviews') }} as p on p._row_id = l._row_id
    -- self-investigated cases have no police unit: the region is the handling procuratorate's
    left join {{ ref('regions') }} as r
        on r.region_level = 'county'
        and p.handling_unit = concat(r.city_name, r.region_name, '人民检察院')
    where l.origin = 'procuratorate' and {{ in_keys('l.person_case_id', touched) }}
),

court_rows as (
    select _row_id, person_case_id from {{ ref('int_first_instance_judgments_linked') }}
    where origin = 'court' and {{ in_keys('person_case_id', touched) }}
    union all
    select _row_id, person_case_id from {{ ref('int_second_instance_judgments_linked') }}
    where origin = 'court' and {{ in_keys('person_case_id', touched) }}
),

court as (
    select
        c.person_case_id, 'court', j.id_token, j.id_status,
        cast(null as {{ dbt.type_string() }}), j.id_birth_date, j.id_region_code,
        cast(null as {{ dbt.type_string() }}), cast(null as {{ dbt.type_string() }}),
        j.charge, j.filed_date, j.county_code, j.city_code, false,
        cast(null as {{ dbt.type_string() }}), j._business_date
    from court_rows as c
    inner join {{ ref('stg_court__judgments') }} as j on j._row_id = c._row_id
),

final as (
    select * from police
    union all
    select * from procuratorate
    union all
    select * from court
)

select * from final
