-- Each legal aid assignment (法律援助) on the person-case whose case number (any
-- department's) and ID token it names: the declared key only, since a legal aid record
-- has no date to window on. Several matches (co-numbered cases of one person) take the
-- smallest person_case_id, so the pick is stable; no match leaves person_case_id null.
-- Relinked in full every build (≈ 1.4 s at 1 M persons); only the links that differ are
-- written and kept (__changes), so the fingerprint follows the person-cases whose legal aid
-- moved.
{{ config(**logged_incremental(unique_key='_row_id')) }}
{{ config(replace_differing=true) }}
with

case_numbers as (
    select s.person_case_id, s.id_token, k.case_no
    from {{ ref('int_person_cases_spined') }} as s
    inner join (
        select person_case_id, police_case_no as case_no from {{ ref('int_police_person_cases') }}
        {%- for col in ['arrest_review_no', 'proc_case_no', 'indictment_no'] %}
        union all
        select person_case_id, {{ col }} from {{ ref('int_procuratorate_stages_pivoted') }}
        {%- endfor %}
        {%- for col in ['court_case_no', 'appeal_case_no'] %}
        union all
        select person_case_id, {{ col }} from {{ ref('int_court_stages_pivoted') }}
        {%- endfor %}
    ) as k on k.person_case_id = s.person_case_id
),

ranked as (
    select
        a._row_id,
        n.person_case_id,
        row_number() over (partition by a._row_id order by n.person_case_id) as pick
    from {{ ref('stg_justice__legal_aid') }} as a
    left join case_numbers as n on n.case_no = a.case_ref and n.id_token = a.id_token
)

select _row_id, person_case_id
from ranked
where pick = 1
