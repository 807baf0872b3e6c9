{#- The config of a model kept up to date by key: `config(**keyed_incremental(...))`.

    DuckDB: incremental, delete+insert on `unique_key`, and `cleanup` (a post-hook that drops
    rows whose source no longer yields them). Spark: Parquet tables support neither DELETE nor
    MERGE (that needs Delta/Iceberg jars), and insert_overwrite without a partition column
    would replace the table with only the touched rows; so the model is a full table there,
    which is what a full refresh computes — the same rows. -#}
{% macro keyed_incremental(unique_key, cleanup=none) -%}
    {{ return(adapter.dispatch('keyed_incremental', 'shared_exchange')(unique_key, cleanup)) }}
{%- endmacro %}

{% macro default__keyed_incremental(unique_key, cleanup) -%}
    {%- set config = {
        'materialized': 'incremental',
        'unique_key': unique_key,
        'incremental_strategy': 'delete+insert',
        'on_schema_change': 'append_new_columns',
    } -%}
    {%- if cleanup %}{% do config.update({'post_hook': cleanup}) %}{% endif -%}
    {{ return(config) }}
{%- endmacro %}

{% macro spark__keyed_incremental(unique_key, cleanup) -%}
    {{ return({'materialized': 'table'}) }}
{%- endmacro %}
