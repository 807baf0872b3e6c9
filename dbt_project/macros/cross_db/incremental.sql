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

{#- Like keyed_incremental, but rows are replaced by the `replace_rows` strategy
    (macros/build_scope.sql), which keeps what it replaced and what replaced it in
    <model>__changes for the models downstream (changes_of); `versions_of`: the columns of the
    record's business key, whose older versions are replaced too (replace_versions_of);
    `relinked_from`: an identity hop's inputs (macros/identity/relink.sql). -#}
{% macro logged_incremental(unique_key, versions_of=none, relinked_from=none) -%}
    {{ return(adapter.dispatch('logged_incremental', 'shared_exchange')(
        unique_key, versions_of, relinked_from)) }}
{%- endmacro %}

{% macro default__logged_incremental(unique_key, versions_of, relinked_from) -%}
    {%- set config = shared_exchange.default__keyed_incremental(unique_key, none) -%}
    {%- do config.update({'incremental_strategy': 'replace_rows', 'keep_replaced': true,
                          'pre_hook': '{{ drop_changes() }}'}) -%}
    {%- if versions_of %}{% do config.update({'replace_versions_of': versions_of}) %}{% endif -%}
    {%- if relinked_from %}{% do config.update({'relinked_from': relinked_from}) %}{% endif -%}
    {{ return(config) }}
{%- endmacro %}

{% macro spark__logged_incremental(unique_key, versions_of, relinked_from) -%}
    {{ return({'materialized': 'table'}) }}
{%- endmacro %}

{#- A model recomputed all at once or kept as it is: any recomputed row replaces the table
    (replace_rows with replace_all_when_any). Spark: a full table, recomputed every build. -#}
{% macro recomputed_or_kept() -%}
    {{ return(adapter.dispatch('recomputed_or_kept', 'shared_exchange')()) }}
{%- endmacro %}

{% macro default__recomputed_or_kept() -%}
    {{ return({'materialized': 'incremental', 'incremental_strategy': 'replace_rows',
               'replace_all_when_any': true, 'on_schema_change': 'append_new_columns'}) }}
{%- endmacro %}

{% macro spark__recomputed_or_kept() -%}
    {{ return({'materialized': 'table'}) }}
{%- endmacro %}

{#- A table recomputed in full every build that reads change logs: changes_of answers only in
    an incremental run, so it is recomputed_or_kept whose rows are always all replaced
    (replace_all). Spark: a full table (no change logs there). -#}
{% macro recomputed_from_changes() -%}
    {{ return(adapter.dispatch('recomputed_from_changes', 'shared_exchange')()) }}
{%- endmacro %}

{% macro default__recomputed_from_changes() -%}
    {%- set config = shared_exchange.default__recomputed_or_kept() -%}
    {%- do config.update({'replace_all': true}) -%}
    {{ return(config) }}
{%- endmacro %}

{% macro spark__recomputed_from_changes() -%}
    {{ return({'materialized': 'table'}) }}
{%- endmacro %}
