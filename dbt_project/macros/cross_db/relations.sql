{#- Set operations and column lists over whole relations. -#}

{#- Every column but `columns`: `select {{ star_except([...]) }}`. -#}
{% macro star_except(columns) -%}
    {{ return(adapter.dispatch('star_except', 'shared_exchange')(columns)) }}
{%- endmacro %}

{% macro default__star_except(columns) -%}
    * exclude ({{ columns | join(', ') }})
{%- endmacro %}

{% macro spark__star_except(columns) -%}
    * except ({{ columns | join(', ') }})
{%- endmacro %}


{#- UNION ALL of `relations` matched by column name; a column missing from a relation is
    NULL there. Columns come in first-seen order (DuckDB's UNION ALL BY NAME order). -#}
{% macro union_all_by_name(relations) -%}
    {{ return(adapter.dispatch('union_all_by_name', 'shared_exchange')(relations)) }}
{%- endmacro %}

{% macro default__union_all_by_name(relations) -%}
    {%- for relation in relations %}
    select * from {{ relation }}
    {% if not loop.last %}union all by name{% endif %}
    {%- endfor %}
{%- endmacro %}

{% macro spark__union_all_by_name(relations) -%}
    {%- if not execute -%}
        {#- parsing: the relations may not exist yet; only the refs matter here -#}
        {{ return(shared_exchange.default__union_all_by_name(relations)) }}
    {%- endif -%}
    {%- set names = [] -%}
    {%- set types = {} -%}
    {%- set present = [] -%}
    {%- for relation in relations -%}
        {%- set cols = {} -%}
        {%- for col in adapter.get_columns_in_relation(shared_exchange._catalog_relation(relation)) -%}
            {%- if col.name not in types -%}
                {%- do names.append(col.name) -%}
                {%- do types.update({col.name: col.data_type}) -%}
            {%- endif -%}
            {%- do cols.update({col.name: true}) -%}
        {%- endfor -%}
        {%- if not cols -%}
            {{ exceptions.raise_compiler_error(
                "union_all_by_name: no columns found for " ~ relation ~ "; is it built?") }}
        {%- endif -%}
        {%- do present.append(cols) -%}
    {%- endfor -%}
    {%- for relation in relations -%}
    {%- set cols = present[loop.index0] %}
    select
        {%- for name in names %}
        {% if name in cols %}{{ name }}{% else %}cast(null as {{ types[name] }}) as {{ name }}{% endif %}
        {{- ',' if not loop.last }}
        {%- endfor %}
    from {{ relation }}
    {% if not loop.last %}union all{% endif %}
    {%- endfor %}
{%- endmacro %}


{#- The catalog relation behind `relation`. In a unit test a ref is the fixture CTE
    `__dbt__cte__<model>`, which has no catalog entry (and the unit-test context has no
    graph); its columns are those of the built model, found in this project's schemas
    (the target schema and its layers, see generate_schema_name). -#}
{% macro _catalog_relation(relation) -%}
    {%- set name = (relation.identifier if relation.identifier is defined else relation) | string -%}
    {%- if not name.startswith('__dbt__cte__') -%}
        {{ return(relation) }}
    {%- endif -%}
    {%- set model_name = name[12:] -%}
    {%- set layers = run_query("show databases like '" ~ target.schema ~ "*'") -%}
    {%- for schema in layers.columns[0].values() | sort -%}
        {%- set found = adapter.get_relation(database=target.database, schema=schema,
                                             identifier=model_name) -%}
        {%- if found is not none %}{{ return(found) }}{% endif -%}
    {%- endfor -%}
    {{ exceptions.raise_compiler_error("union_all_by_name: model " ~ model_name
        ~ " is not built in the " ~ target.schema ~ "* schemas") }}
{%- endmacro %}
