{#- The current version of each record: one row per business key, newest first.

    Newest = latest `version_column` (updated_at) when the table has one; ties and tables
    without one fall back to the delivery: _business_date, _extracted_at, _batch_id, _line.
    So late and out-of-order batches resolve to the newest version, never to the last loaded.
    A null key part (e.g. no id_token for a malformed ID) never merges rows: it is replaced
    by the row id, so such a row is its own record. -#}
{% macro current_versions(relation, business_key, version_column=none) -%}
    {{ return(adapter.dispatch('current_versions', 'shared_exchange')(
        relation, business_key, version_column)) }}
{%- endmacro %}

{% macro newest_first(version_column=none) -%}
    {%- if version_column %}{{ version_column }} desc nulls last, {% endif -%}
    _business_date desc nulls last, _extracted_at desc nulls last, _batch_id desc, _line desc
{%- endmacro %}

{% macro _version_partition(business_key) -%}
    {%- for col in business_key -%}
        coalesce(cast({{ col }} as {{ dbt.type_string() }}), _row_id){{ ", " if not loop.last }}
    {%- endfor -%}
{%- endmacro %}

{% macro default__current_versions(relation, business_key, version_column) -%}
    {#- engines without QUALIFY: the extra _version_rank column (always 1) stays visible -#}
    select * from (
        select
            *,
            row_number() over (
                partition by {{ shared_exchange._version_partition(business_key) }}
                order by {{ shared_exchange.newest_first(version_column) }}
            ) as _version_rank
        from {{ relation }}
    ) as ranked
    where _version_rank = 1
{%- endmacro %}

{% macro duckdb__current_versions(relation, business_key, version_column) -%}
    select *
    from {{ relation }}
    qualify row_number() over (
        partition by {{ shared_exchange._version_partition(business_key) }}
        order by {{ shared_exchange.newest_first(version_column) }}
    ) = 1
{%- endmacro %}

{#- Spark (4.x) has QUALIFY too. -#}
{% macro spark__current_versions(relation, business_key, version_column) -%}
    {{ return(shared_exchange.duckdb__current_versions(relation, business_key, version_column)) }}
{%- endmacro %}
