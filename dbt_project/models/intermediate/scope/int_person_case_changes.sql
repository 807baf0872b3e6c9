{{ config(**keyed_incremental(unique_key='person_case_id')) }}
-- One row per person-case: the fingerprint of what the legal layer reads about it (its
-- person_cases row and the delivered rows behind it), its case numbers, and the build in
-- which the fingerprint last changed. A person-case that disappears keeps a row with a
-- null fingerprint, changed in the build that removed it, so its legal rows go too.
-- previous_* keep the case numbers and person token before the change: a co-defendant left
-- behind in the old court case must be recomputed as well (int_build_scope), and so must
-- the person the person-case was moved away from (person_identities).
-- A daily build fingerprints only the person-cases the identity layer touched and those whose
-- legal aid link changed (int_legal_aid_linked is relinked in full and logs the difference):
-- no other person-case's row or delivered rows can have changed.
{%- set touched = build_scope_keys('int_person_cases_touched') %}
{%- set legal_aid = ref('int_legal_aid_linked') %}
{%- set only = 'select scope_key from fingerprinted' if touched else none %}
with

{% if touched -%}
fingerprinted as (
    {{ touched }}
    union
    {{ changed_keys(legal_aid, 'person_case_id', ['_row_id', 'person_case_id']) }}
),

{% endif -%}
records as (
    select person_case_id, {{ multiset_hash('_row_id') }} as rows_hash
    from ({{ person_case_rows(only=only) }}) as delivered
    group by person_case_id
),

current_cases as (
    select
        pc.person_case_id,
        {{ row_fingerprint('pc', ['r.rows_hash']) }} as fingerprint,
        pc.police_case_no,
        pc.proc_case_no,
        pc.court_case_no,
        pc.appeal_case_no,
        pc.person_token
    from {{ ref('person_cases') }} as pc
    left join records as r on r.person_case_id = pc.person_case_id
    where {{ in_keys('pc.person_case_id', only) }}
)

{% if is_incremental() %}
, previous as (
    select * from {{ this }}
    where {{ in_keys('person_case_id', only) }}
)

select
    c.person_case_id,
    c.fingerprint,
    c.police_case_no,
    c.proc_case_no,
    c.court_case_no,
    c.appeal_case_no,
    c.person_token,
    {%- for key in ['police_case_no', 'proc_case_no', 'court_case_no', 'appeal_case_no',
                    'person_token'] %}
    -- a retried build keeps the keys from before its first attempt
    case when p.changed_in_build = '{{ build_id() }}' then p.previous_{{ key }}
        else p.{{ key }} end as previous_{{ key }},
    {%- endfor %}
    '{{ build_id() }}' as changed_in_build
from current_cases as c
left join previous as p on p.person_case_id = c.person_case_id
where p.fingerprint is distinct from c.fingerprint

union all

select
    p.person_case_id,
    null,
    null,
    null,
    null,
    null,
    null,
    p.police_case_no,
    p.proc_case_no,
    p.court_case_no,
    p.appeal_case_no,
    p.person_token,
    '{{ build_id() }}'
from previous as p
where p.fingerprint is not null
    and p.person_case_id not in (select person_case_id from current_cases)
{% else %}
select
    person_case_id,
    fingerprint,
    police_case_no,
    proc_case_no,
    court_case_no,
    appeal_case_no,
    person_token,
    cast(null as {{ dbt.type_string() }}) as previous_police_case_no,
    cast(null as {{ dbt.type_string() }}) as previous_proc_case_no,
    cast(null as {{ dbt.type_string() }}) as previous_court_case_no,
    cast(null as {{ dbt.type_string() }}) as previous_appeal_case_no,
    cast(null as {{ dbt.type_string() }}) as previous_person_token,
    '{{ build_id() }}' as changed_in_build
from current_cases
{% endif %}
