{#- Make the raw layer (docs/raw-layer.md) readable as the sources of the project.

    DuckDB reads each table's per-batch Parquet directly through the source's
    meta.external_location (read_parquet(..., union_by_name=true)): nothing to do.
    Spark: one external Parquet table per source table, at
    <raw root>/<source>/<table>/, with the columns and types of the generated sources YAML
    (so a column absent from older batches reads as NULL, like union_by_name). The raw root is
    $SHARED_EXCHANGE_SPARK_RAW_URI (e.g. hdfs:///shared-exchange/raw on a cluster), else
    $SHARED_EXCHANGE_HOME/raw. The tables are dropped and re-declared on every run (dropping an
    external table never deletes its files), so new batches and new contract columns are
    picked up. Run it before the models: `dbt run-operation register_raw_sources` or as an
    on-run-start hook (`{% do shared_exchange.register_raw_sources() %}`). -#}
{% macro register_raw_sources() -%}
    {{ return(adapter.dispatch('register_raw_sources', 'shared_exchange')()) }}
{%- endmacro %}

{% macro default__register_raw_sources() -%}
{%- endmacro %}

{% macro spark__register_raw_sources() -%}
    {%- if not execute %}{{ return('') }}{% endif -%}
    {%- set home_raw = env_var('SHARED_EXCHANGE_HOME', '') ~ '/raw' -%}
    {%- set root = env_var('SHARED_EXCHANGE_SPARK_RAW_URI', home_raw) | trim -%}
    {%- if root in ('', '/raw') -%}
        {{ exceptions.raise_compiler_error(
            "register_raw_sources: set SHARED_EXCHANGE_HOME (or SHARED_EXCHANGE_SPARK_RAW_URI) "
            ~ "to the home whose raw/ layer Spark should read") }}
    {%- endif -%}
    {%- set schemas = [] -%}
    {%- for node in graph.sources.values() if node.package_name == project_name -%}
        {%- if node.schema not in schemas -%}
            {%- do run_query('create database if not exists ' ~ node.schema) -%}
            {%- do schemas.append(node.schema) -%}
        {%- endif -%}
        {%- set relation = api.Relation.create(schema=node.schema, identifier=node.identifier) -%}
        {%- set location = (root.rstrip('/') ~ '/' ~ node.source_name ~ '/' ~ node.name)
                           | replace("'", "\\'") -%}
        {%- set ddl -%}
            create table {{ relation }} (
            {%- for col in node.columns.values() %}
                {{ adapter.quote(col.name) }} {{ shared_exchange.spark_type(col.data_type) }}
                {{- ',' if not loop.last }}
            {%- endfor %}
            )
            using parquet
            location '{{ location }}'
        {%- endset -%}
        {%- do run_query('drop table if exists ' ~ relation) -%}
        {%- do run_query(ddl) -%}
        {%- do log('raw source ' ~ relation ~ ' -> ' ~ location, info=false) -%}
    {%- endfor -%}
{%- endmacro %}
