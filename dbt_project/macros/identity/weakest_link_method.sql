{#- The weakest of several link methods: probabilistic < person_token_window < declared_key;
    'none' when nothing was linked (a person-case known to one department only). -#}
{% macro weakest_link_method(columns) -%}
    case
    {%- for method in ['probabilistic', 'person_token_window', 'declared_key'] %}
        when {% for col in columns %}{{ col }} = '{{ method }}'{{ ' or ' if not loop.last }}{% endfor %}
            then '{{ method }}'
    {%- endfor %}
        else 'none'
    end
{%- endmacro %}
