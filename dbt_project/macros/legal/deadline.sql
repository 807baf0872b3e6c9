{#-
  The deadline (last day on which the act is still in time) of a period (CPL art. 105).

  The period ends at the end of its last day (add_period). If that day is a holiday —
  a public holiday or a weekend day that is not a 调休 working day — the deadline moves to
  the next working day, EXCEPT while the person is in custody: then it never moves.
  `calendar` is a relation with (calendar_date, is_working_day); default ref('int_legal_calendar').
-#}
{% macro next_working_day(day, calendar=none) %}
  {%- set calendar = calendar or ref('int_legal_calendar') -%}
  (select min(cal.calendar_date) from {{ calendar }} as cal
    where cal.calendar_date >= {{ day }} and cal.is_working_day)
{% endmacro %}

{% macro shift_deadline(last_day, in_custody, calendar=none) %}
  (case
    when {{ last_day }} is null then null
    when coalesce({{ in_custody }}, false) then {{ last_day }}
    else coalesce({{ next_working_day(last_day, calendar) }}, {{ last_day }})
  end)
{% endmacro %}

{% macro deadline(start, n, unit, in_custody, calendar=none) %}
  {{ shift_deadline(add_period(start, n, unit), in_custody, calendar) }}
{% endmacro %}
