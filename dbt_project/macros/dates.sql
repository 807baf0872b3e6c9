{#- Portable date helpers: thin wrappers over dbt's cross-database macros that always
    return DATE / whole days, so models read the same on DuckDB and Spark. -#}
{% macro add_days(date_expr, days) -%}
    cast({{ dbt.dateadd('day', days, date_expr) }} as date)
{%- endmacro %}

{% macro add_years(date_expr, years) -%}
    cast({{ dbt.dateadd('year', years, date_expr) }} as date)
{%- endmacro %}

{% macro days_between(start_date, end_date) -%}
    {{ dbt.datediff(start_date, end_date, 'day') }}
{%- endmacro %}
