{#- dbt's `unique`, checked where a build can have broken it: a duplicate needs a row the
    build rewrote (rewritten_in_build), so only the values of those rows are counted, against
    the whole table. A first or full build counts every value. -#}
{% test unique_in_build(model, column_name, scope_column='person_case_id') %}
{%- set rewritten = rewritten_in_build(scope_column, model.database) %}
select {{ column_name }} as unique_field, count(*) as n_records
from {{ model }}
where {{ column_name }} is not null
{%- if rewritten != 'true' %}
    and {{ column_name }} in (select {{ column_name }} from {{ model }} where {{ rewritten }})
{%- endif %}
group by {{ column_name }}
having count(*) > 1
{% endtest %}
