{#- Layers get plain schema names (staging, intermediate, seeds); marts stay in the target
    schema (main) so tools query `person_cases`, not `main_marts.person_cases`.
    On Spark every schema is a database of a metastore other projects share: layers are
    prefixed with the target schema (shared_exchange_staging, …) so they never collide. -#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {{ return(adapter.dispatch('layer_schema_name', 'shared_exchange')(custom_schema_name)) }}
{%- endmacro %}

{% macro default__layer_schema_name(custom_schema_name) -%}
    {%- if custom_schema_name is none -%}
        {{ target.schema }}
    {%- else -%}
        {{ custom_schema_name | trim }}
    {%- endif -%}
{%- endmacro %}

{% macro spark__layer_schema_name(custom_schema_name) -%}
    {%- if custom_schema_name is none -%}
        {{ target.schema }}
    {%- else -%}
        {{ target.schema }}_{{ custom_schema_name | trim }}
    {%- endif -%}
{%- endmacro %}
