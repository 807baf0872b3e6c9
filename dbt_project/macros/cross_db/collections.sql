{#- Lists (arrays) and records (structs) as SQL literals. `items` are SQL expressions;
    string_list quotes plain strings. -#}
{% macro array_of(items) -%}
    {{ return(adapter.dispatch('array_of', 'shared_exchange')(items)) }}
{%- endmacro %}

{% macro default__array_of(items) -%}
    [{{ items | join(', ') }}]
{%- endmacro %}

{% macro spark__array_of(items) -%}
    array({{ items | join(', ') }})
{%- endmacro %}


{% macro string_list(values) -%}
    {%- set quoted = [] -%}
    {%- for value in values %}{% do quoted.append("'" ~ value ~ "'") %}{% endfor -%}
    {{ shared_exchange.array_of(quoted) }}
{%- endmacro %}


{#- `fields`: list of (name, SQL expression) pairs, in order. -#}
{% macro struct_of(fields) -%}
    {{ return(adapter.dispatch('struct_of', 'shared_exchange')(fields)) }}
{%- endmacro %}

{% macro default__struct_of(fields) -%}
    { {%- for name, expr in fields %}'{{ name }}': {{ expr }}{{ ', ' if not loop.last }}{% endfor -%} }
{%- endmacro %}

{% macro spark__struct_of(fields) -%}
    named_struct({%- for name, expr in fields %}'{{ name }}', {{ expr }}{{ ', ' if not loop.last }}{% endfor -%})
{%- endmacro %}


{% macro list_has(list_expr, value) -%}
    {{ return(adapter.dispatch('list_has', 'shared_exchange')(list_expr, value)) }}
{%- endmacro %}

{% macro default__list_has(list_expr, value) -%}
    list_contains({{ list_expr }}, {{ value }})
{%- endmacro %}

{% macro spark__list_has(list_expr, value) -%}
    array_contains({{ list_expr }}, {{ value }})
{%- endmacro %}


{#- One row per element of a list, as a select-list item. -#}
{% macro explode_list(list_expr) -%}
    {{ return(adapter.dispatch('explode_list', 'shared_exchange')(list_expr)) }}
{%- endmacro %}

{% macro default__explode_list(list_expr) -%}
    unnest({{ list_expr }})
{%- endmacro %}

{% macro spark__explode_list(list_expr) -%}
    explode({{ list_expr }})
{%- endmacro %}


{#- JSON text of a list/struct value; null fields are written as null on both engines. -#}
{% macro json_text(expr) -%}
    {{ return(adapter.dispatch('json_text', 'shared_exchange')(expr)) }}
{%- endmacro %}

{% macro default__json_text(expr) -%}
    to_json({{ expr }})
{%- endmacro %}

{% macro spark__json_text(expr) -%}
    to_json({{ expr }}, map('ignoreNullFields', 'false'))
{%- endmacro %}

{#- A 64-bit fingerprint of a whole row (by its alias) and further values, for change
    detection only (int_person_case_changes); DuckDB's hash, Spark's xxhash64. -#}
{% macro row_fingerprint(row_alias, extra=[]) -%}
    {{ return(adapter.dispatch('row_fingerprint', 'shared_exchange')(row_alias, extra)) }}
{%- endmacro %}

{% macro default__row_fingerprint(row_alias, extra) -%}
    hash({{ row_alias }}{% for e in extra %}, {{ e }}{% endfor %})
{%- endmacro %}

{% macro spark__row_fingerprint(row_alias, extra) -%}
    xxhash64(struct({{ row_alias }}.*){% for e in extra %}, {{ e }}{% endfor %})
{%- endmacro %}

{#- An order-independent fingerprint of a group's values (a multiset: the sum of their 64-bit
    hashes, exact, so duplicates count): cheaper than hashing a sorted list. -#}
{% macro multiset_hash(expr) -%}
    {{ return(adapter.dispatch('multiset_hash', 'shared_exchange')(expr)) }}
{%- endmacro %}

{% macro default__multiset_hash(expr) -%}
    sum(hash({{ expr }}))
{%- endmacro %}

{% macro spark__multiset_hash(expr) -%}
    sum(cast(xxhash64({{ expr }}) as decimal(38, 0)))
{%- endmacro %}
