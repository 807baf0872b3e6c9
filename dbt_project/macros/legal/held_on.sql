{#-
  True when the person-case was in custody (刑事拘留 or 逮捕 in force, not yet released or
  replaced by 取保/监居) on `day`. Custody stages never get the art. 105 holiday shift.
  Pass qualified column names (alias.column): inside the subquery a bare name would
  resolve to the custody table's own column.
-#}
{% macro held_on(person_case_id, day) %}
  exists (
    select 1 from {{ ref('int_custody_periods') }} as held
    where held.person_case_id = {{ person_case_id }}
      and held.period_kind in ('detention', 'arrest_custody')
      and held.start_date <= {{ day }}
      and (held.period_end is null or held.period_end > {{ day }})
  )
{% endmacro %}
