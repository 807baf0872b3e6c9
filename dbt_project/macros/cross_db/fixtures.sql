{#- Unit-test fixtures give list columns as YAML lists (`evidence_sources: [court.judgments]`).
    dbt renders the Python list as `['court.judgments']`: DuckDB's list literal, a syntax
    error on Spark. On Spark a list becomes `array(...)`; every other value is cast as
    dbt-spark does. -#}
{% macro spark__safe_cast(field, type) -%}
    {%- if field is iterable and field is not string and field is not mapping -%}
        {%- set items = [] -%}
        {%- for value in field -%}
            {%- if value is none -%}{% do items.append('null') %}
            {%- elif value is string -%}
                {%- do items.append(dbt.string_literal(dbt.escape_single_quotes(value))) -%}
            {%- else -%}{% do items.append(value | string) %}
            {%- endif -%}
        {%- endfor -%}
        cast(array({{ items | join(', ') }}) as {{ type }})
    {%- else -%}
        {{ dbt.spark__safe_cast(field, type) }}
    {%- endif -%}
{%- endmacro %}
