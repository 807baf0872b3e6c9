{#-
  True when the person-case was in custody (刑事拘留 or 逮捕 in force, not yet released or
  replaced by 取保/监居) on `day`. Custody stages never get the art. 105 holiday shift.
  Pass qualified column names (alias.column): inside the subquery a bare name would
  resolve to the custody table's own column.
-#}
{% macro held_on(person_case_id, day) %}
  {{- return(adapter.dispatch('held_on', 'shared_exchange')(person_case_id, day)) -}}
{% endmacro %}

{% macro _held_on_where(person_case_id, day) %}
    where held.person_case_id = {{ person_case_id }}
      and held.period_kind in ('detention', 'arrest_custody')
      and held.start_date <= {{ day }}
      and (held.period_end is null or held.period_end > {{ day }})
{% endmacro %}

{% macro default__held_on(person_case_id, day) %}
  exists (
    select 1 from {{ ref('int_custody_periods') }} as held
    {{- shared_exchange._held_on_where(person_case_id, day) }}
  )
{% endmacro %}

{#- Spark 4.3 fails to plan some correlated EXISTS in a select list ("key not found" in the
    optimizer); a correlated count is planned as a join and means the same. -#}
{% macro spark__held_on(person_case_id, day) %}
  ((select count(*) from {{ ref('int_custody_periods') }} as held
    {{- shared_exchange._held_on_where(person_case_id, day) }}) > 0)
{% endmacro %}
