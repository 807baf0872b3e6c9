{#- Aggregates whose spelling differs between engines. -#}

{#- The list of `expr` over the group, ordered by `order_by` (SQL expressions, ascending),
    over the rows where `where` holds; `distinct` keeps each value once (then order_by must
    be [expr]). NULL, not an empty list, when no row qualifies (DuckDB's list() semantics). -#}
{% macro ordered_list_agg(expr, order_by, where=none, distinct=false) -%}
    {{ return(adapter.dispatch('ordered_list_agg', 'shared_exchange')(
        expr, order_by, where, distinct)) }}
{%- endmacro %}

{% macro default__ordered_list_agg(expr, order_by, where, distinct) -%}
    list({{ 'distinct ' if distinct }}{{ expr }} order by {{ order_by | join(', ') }})
    {%- if where %} filter (where {{ where }}){% endif %}
{%- endmacro %}

{% macro spark__ordered_list_agg(expr, order_by, where, distinct) -%}
    {%- set filter_clause = ' filter (where ' ~ where ~ ')' if where else '' -%}
    {%- if distinct -%}
        {%- if order_by | length != 1 or order_by[0] != expr -%}
            {{ exceptions.raise_compiler_error(
                "ordered_list_agg: with distinct, order_by must be [expr]") }}
        {%- endif -%}
        {%- set agg = 'array_sort(collect_set(' ~ expr ~ ')' ~ filter_clause ~ ')' -%}
    {%- else -%}
        {#- sort (order keys…, value) records, then keep the values -#}
        {%- set keyed = [] -%}
        {%- for key in order_by %}{% do keyed.append(('k' ~ loop.index, key)) %}{% endfor -%}
        {%- do keyed.append(('v', expr)) -%}
        {%- set agg = 'transform(array_sort(collect_list(' ~ shared_exchange.spark__struct_of(keyed)
            ~ ')' ~ filter_clause ~ '), r -> r.v)' -%}
    {%- endif -%}
    case when size({{ agg }}) > 0 then {{ agg }} end
{%- endmacro %}


{#- Distinct values joined by `sep`, in ascending order. -#}
{% macro sorted_string_agg(expr, sep) -%}
    {{ return(adapter.dispatch('sorted_string_agg', 'shared_exchange')(expr, sep)) }}
{%- endmacro %}

{% macro default__sorted_string_agg(expr, sep) -%}
    string_agg(distinct {{ expr }}, '{{ sep }}' order by {{ expr }})
{%- endmacro %}

{% macro spark__sorted_string_agg(expr, sep) -%}
    array_join(array_sort(collect_set({{ expr }})), '{{ sep }}')
{%- endmacro %}
