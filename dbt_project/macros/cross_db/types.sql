{#- The project writes column types in DuckDB's names (source `data_type`, seed
    `column_types`); Spark spells some differently and refuses VARCHAR without a length. -#}
{% macro spark_type(type_name) -%}
    {%- set t = (type_name | string | trim | lower) -%}
    {%- set renamed = {
        'varchar': 'string', 'text': 'string', 'string': 'string',
        'blob': 'binary', 'bytea': 'binary',
        'integer': 'int', 'int4': 'int', 'int8': 'bigint', 'hugeint': 'decimal(38,0)',
        'double': 'double', 'float8': 'double', 'real': 'float', 'float4': 'float',
        'bool': 'boolean',
        'timestamp': 'timestamp_ntz', 'datetime': 'timestamp_ntz',
    } -%}
    {{- renamed.get(t, t) -}}
{%- endmacro %}


{#- dbt-spark's seed loading with the seed's column_types translated by spark_type, so the
    seeds' YAML stays in one (DuckDB) spelling. -#}
{% macro _with_spark_column_types(model) -%}
    {%- set translated = {} -%}
    {%- for name, type_name in (model['config'].get('column_types') or {}).items() -%}
        {%- do translated.update({name: shared_exchange.spark_type(type_name)}) -%}
    {%- endfor -%}
    {%- set config = model['config'].copy() -%}
    {%- do config.update({'column_types': translated}) -%}
    {%- set patched = model.copy() -%}
    {%- do patched.update({'config': config}) -%}
    {{- return(patched) -}}
{%- endmacro %}

{% macro spark__create_csv_table(model, agate_table) -%}
    {{ return(dbt.spark__create_csv_table(
        shared_exchange._with_spark_column_types(model), agate_table)) }}
{%- endmacro %}

{% macro spark__load_csv_rows(model, agate_table) -%}
    {{ return(dbt.spark__load_csv_rows(
        shared_exchange._with_spark_column_types(model), agate_table)) }}
{%- endmacro %}
