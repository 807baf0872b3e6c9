{#- Layers get plain schema names (staging, intermediate, seeds); marts stay in the target
    schema (main) so tools query `person_cases`, not `main_marts.person_cases`. -#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {%- if custom_schema_name is none -%}
        {{ target.schema }}
    {%- else -%}
        {{ custom_schema_name | trim }}
    {%- endif -%}
{%- endmacro %}
