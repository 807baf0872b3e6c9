{#-
  The last day of a period of `n` `unit`s that starts on `start` (CPL art. 105).

  - The starting day does not count: N days end at the end of day start + N.
  - Months are calendar months: the same day of the target month; when that day does not
    exist, the last day of the target month (2022-01-31 + 1 month = 2022-02-28; leap year:
    2024-01-31 + 1 month = 2024-02-29).
  - When the start is itself the last day of its month, the period ends on the last day of
    the target month (2022-02-28 + 1 month = 2022-03-31): the procuratorate's and police's
    counting rules say 期限起算日为本月最后一日的，至下月最后一日为一个月. Switch off with
    var cpl_105_month_end_to_month_end: false (then 2022-02-28 + 1 month = 2022-03-28).
  - Half a month is always 15 days (半个月一律按十五日计算): use add_months_days(s, 1, 15).
  `start` is a date (or timestamp: only its date counts); `n` may be an SQL expression.
-#}
{% macro add_period(start, n, unit) %}
  {{ return(adapter.dispatch('add_period', 'shared_exchange')(start, n, unit)) }}
{% endmacro %}

{% macro default__add_period(start, n, unit) %}
  {%- set day = 'cast(' ~ start ~ ' as date)' -%}
  {%- if unit in ('day', 'days') -%}
    {{ add_days(day, 'cast(' ~ n ~ ' as integer)') }}
  {%- elif unit in ('month', 'months') -%}
    {%- set same_day = add_months(day, 'cast(' ~ n ~ ' as integer)') -%}
    {%- if legal_var('cpl_105_month_end_to_month_end') -%}
    (case when {{ day }} = {{ month_end(day) }} then {{ month_end(same_day) }} else {{ same_day }} end)
    {%- else -%}
    {{ same_day }}
    {%- endif -%}
  {%- else -%}
    {{ exceptions.raise_compiler_error("add_period: unit must be 'day' or 'month', got '" ~ unit ~ "'") }}
  {%- endif -%}
{% endmacro %}

{#- Last day of the month of a date (DuckDB and Spark both have last_day). -#}
{% macro month_end(day) %}last_day({{ day }}){% endmacro %}

{#- A period of `months` calendar months followed by `days` days (e.g. 1 month 15 days). -#}
{% macro add_months_days(start, months, days) %}
  {{ add_period(add_period(start, months, 'month'), days, 'day') }}
{% endmacro %}
