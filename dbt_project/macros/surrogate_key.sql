{#- Stable surrogate key: md5 of the parts joined by '|' (nulls as ''), same on DuckDB/Spark. -#}
{% macro surrogate_key(parts) -%}
    md5(concat_ws('|'
    {%- for part in parts %}, coalesce(cast({{ part }} as {{ dbt.type_string() }}), ''){% endfor -%}
    ))
{%- endmacro %}
