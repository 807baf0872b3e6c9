{{ config(materialized='table') }}
-- The keys this build recomputes in every scoped model (macros/build_scope.sql): the
-- person-cases whose fingerprint changed in this build, every person-case sharing a case
-- number with one of them before or after the change (co-defendants share the review and
-- trial clocks, which are computed per case), and those court cases as 'court:<no>' (rows
-- kept per court case, e.g. 审限内结案率). When every person-case changed (a first or full
-- build), a null key: everything, which the scoped views read too.
{%- set changes = ref('int_person_case_changes') %}
{%- set unchanged = run_query("select count(*) from " ~ changes ~ " where changed_in_build <> '"
                              ~ build_id() ~ "'").columns[0].values()[0]
                    if execute and load_relation(changes) is not none else 1 %}
{% if unchanged == 0 -%}
select cast(null as {{ dbt.type_string() }}) as scope_key
{%- else -%}
with

changed as (
    select *
    from {{ changes }}
    where changed_in_build = '{{ build_id() }}'
),

person_cases as (
    select person_case_id, police_case_no, proc_case_no, court_case_no, appeal_case_no
    from {{ ref('person_cases') }}
),

court_case_nos as (
    select court_case_no as case_no from changed
    union select appeal_case_no from changed
    union select previous_court_case_no from changed
    union select previous_appeal_case_no from changed
)

select person_case_id as scope_key from changed
union
select 'court:' || case_no from court_case_nos where case_no is not null
union
select person_case_id from person_cases
where police_case_no in (
    select police_case_no from changed union select previous_police_case_no from changed)
union
select person_case_id from person_cases
where proc_case_no in (
    select proc_case_no from changed union select previous_proc_case_no from changed)
union
select person_case_id from person_cases
where court_case_no in (select case_no from court_case_nos)
    or appeal_case_no in (select case_no from court_case_nos)
{%- endif %}
