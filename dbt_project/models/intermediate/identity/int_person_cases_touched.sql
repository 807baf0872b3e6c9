-- The person-cases whose identity-layer rows (the pivots, the spine, person_cases) a daily
-- build recomputes: those whose police suspect row or linked department record changed (the
-- hops' change logs, old and new versions), whose measures or transfers became current
-- (every delivered version: a corrected measure may name another suspect) and whose
-- prosecution's 退回补充侦查 did. A null key: every person-case (a first or full build, or an
-- input rebuilt in full or retried: what changed is not known). macros/build_scope.sql.
{%- set hops = ['int_arrest_reviews_linked', 'int_prosecution_reviews_linked',
                'int_first_instance_judgments_linked', 'int_second_instance_judgments_linked',
                'int_justice_records_linked'] %}
{%- set police = ref('int_police_person_cases') %}
{%- set measures = ref('stg_police__measures') %}
{%- set transfers = ref('stg_police__transfers') %}
{%- set returns = ref('stg_procuratorate__supplementary_investigations') %}
{%- for hop in hops %}{% set _ = ref(hop) %}{% endfor %}
{{ config(**recomputed_from_changes()) }}

{% if changes_unknown(['int_police_person_cases'] + hops) -%}
select cast(null as {{ dbt.type_string() }}) as scope_key
{%- else -%}
with

police_versions as (
    select police_case_no, cast(suspect_seq as {{ dbt.type_string() }}) as suspect_seq
    from {{ source('police', 'measures') }}
    where document_no in (
        select document_no from {{ measures }} where _staged_in_build = '{{ build_id() }}')
    union
    select police_case_no, suspect_seq from {{ measures }}
    where _staged_in_build = '{{ build_id() }}'
    union
    select police_case_no, suspect_seq from {{ transfers }}
    where _staged_in_build = '{{ build_id() }}'
),

touched as (
    -- suspects rewritten: their own row or their case's row became current
    select person_case_id from {{ changes_of(police) }}
    union all
    select p.person_case_id from {{ police }} as p
    inner join police_versions as v
        on v.police_case_no = p.police_case_no and v.suspect_seq = p.suspect_seq
    union all
    select l.person_case_id from {{ ref('int_prosecution_reviews_linked') }} as l
    where l.proc_case_no in (
        select proc_case_no from {{ returns }} where _staged_in_build = '{{ build_id() }}')
    {%- for hop in hops %}
    {%- set columns = adapter.get_columns_in_relation(ref(hop)) | map(attribute='name') | list %}
    union all
    {{ changed_keys(ref(hop), 'person_case_id', columns) }}
    {%- endfor %}
)

select distinct person_case_id as scope_key
from touched
where person_case_id is not null
{%- endif %}
