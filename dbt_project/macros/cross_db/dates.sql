{#- Date arithmetic that always returns DATE / whole days on every engine.
    DuckDB keeps dbt's cross-database macros (the results the project was built on);
    Spark gets its native date functions (dbt-spark's dateadd goes through unix seconds,
    which depends on the session time zone). -#}
{% macro add_days(date_expr, days) -%}
    {{ return(adapter.dispatch('add_days', 'shared_exchange')(date_expr, days)) }}
{%- endmacro %}

{% macro default__add_days(date_expr, days) -%}
    cast({{ dbt.dateadd('day', days, date_expr) }} as date)
{%- endmacro %}

{% macro spark__add_days(date_expr, days) -%}
    date_add(cast({{ date_expr }} as date), cast({{ days }} as int))
{%- endmacro %}


{#- Calendar months: the same day of the target month, else its last day (2022-01-31 + 1
    month = 2022-02-28) on both engines. -#}
{% macro add_months(date_expr, months) -%}
    {{ return(adapter.dispatch('add_months', 'shared_exchange')(date_expr, months)) }}
{%- endmacro %}

{% macro default__add_months(date_expr, months) -%}
    cast({{ dbt.dateadd('month', months, date_expr) }} as date)
{%- endmacro %}

{% macro spark__add_months(date_expr, months) -%}
    add_months(cast({{ date_expr }} as date), cast({{ months }} as int))
{%- endmacro %}


{% macro add_years(date_expr, years) -%}
    {{ return(adapter.dispatch('add_years', 'shared_exchange')(date_expr, years)) }}
{%- endmacro %}

{% macro default__add_years(date_expr, years) -%}
    cast({{ dbt.dateadd('year', years, date_expr) }} as date)
{%- endmacro %}

{% macro spark__add_years(date_expr, years) -%}
    add_months(cast({{ date_expr }} as date), 12 * cast({{ years }} as int))
{%- endmacro %}


{#- Whole days from start_date to end_date (end − start). -#}
{% macro days_between(start_date, end_date) -%}
    {{ return(adapter.dispatch('days_between', 'shared_exchange')(start_date, end_date)) }}
{%- endmacro %}

{% macro default__days_between(start_date, end_date) -%}
    {{ dbt.datediff(start_date, end_date, 'day') }}
{%- endmacro %}

{% macro spark__days_between(start_date, end_date) -%}
    datediff(cast({{ end_date }} as date), cast({{ start_date }} as date))
{%- endmacro %}


{#- Monday = 1 … Sunday = 7 (ISO 8601). -#}
{% macro iso_weekday(date_expr) -%}
    {{ return(adapter.dispatch('iso_weekday', 'shared_exchange')(date_expr)) }}
{%- endmacro %}

{% macro default__iso_weekday(date_expr) -%}
    isodow({{ date_expr }})
{%- endmacro %}

{% macro spark__iso_weekday(date_expr) -%}
    (weekday({{ date_expr }}) + 1)
{%- endmacro %}


{#- A FROM item with one row per day in [start, end): `<alias>(<column>)`. -#}
{% macro day_series(start_date, end_date, alias, column) -%}
    {{ return(adapter.dispatch('day_series', 'shared_exchange')(start_date, end_date, alias, column)) }}
{%- endmacro %}

{% macro default__day_series(start_date, end_date, alias, column) -%}
    range({{ start_date }}, {{ end_date }}, interval 1 day) as {{ alias }}({{ column }})
{%- endmacro %}

{% macro spark__day_series(start_date, end_date, alias, column) -%}
    (select explode(sequence({{ start_date }}, date_sub({{ end_date }}, 1), interval 1 day))
        as {{ column }}) as {{ alias }}
{%- endmacro %}
