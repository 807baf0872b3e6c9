{#- Human text of a limit of `months` months and `days` days, e.g. '1 month 15 days'. -#}
{% macro period_text(months, days) %}
  trim(
    case when coalesce({{ months }}, 0) > 0
      then cast({{ months }} as {{ dbt.type_string() }}) || case when {{ months }} = 1 then ' month' else ' months' end
      else '' end
    || case when coalesce({{ days }}, 0) > 0
      then ' ' || cast({{ days }} as {{ dbt.type_string() }}) || case when {{ days }} = 1 then ' day' else ' days' end
      else '' end
  )
{% endmacro %}

{#- Evidence reference of one staging row: {source, batch_id, row_id}. -#}
{% macro evidence_ref(source, relation_alias) %}
  {{ struct_of([('source', "'" ~ source ~ "'"), ('batch_id', relation_alias ~ '._batch_id'),
                ('row_id', relation_alias ~ '._row_id')]) }}
{% endmacro %}
