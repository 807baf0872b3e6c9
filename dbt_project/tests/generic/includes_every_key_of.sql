{#- The relationships test seen from the parent: every non-null `parent_column` of the model
    `parent` (same schema as the tested model) is a `column_name` of the tested model.

    Declared on the child, which already refs the parent, and the parent is named, not
    ref()'d: a test that ref()s the parent is picked by `--select +parent` (dbt's default
    eager indirect selection) even when the child is not in the build, and then fails on a
    missing table. Used for person_cases.person_token → person_identities. -#}
{% test includes_every_key_of(model, column_name, parent, parent_column) %}
{%- set parent_relation = api.Relation.create(
        database=model.database, schema=model.schema, identifier=parent) %}
select p.{{ parent_column }} as missing_key
from {{ parent_relation }} as p
left join {{ model }} as m on m.{{ column_name }} = p.{{ parent_column }}
where p.{{ parent_column }} is not null
    and m.{{ column_name }} is null
{% endtest %}
