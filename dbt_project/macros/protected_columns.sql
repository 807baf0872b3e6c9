{#-
  The columns ingestion writes for one PII field of a contract (docs/raw-layer.md):
  ciphertext, masked display form, and the keyed tokens / ID facts derived from it.
  Staging passes them through unchanged; one list here instead of one per staging model.
-#}
{% macro protected_columns(field) -%}
    {%- set generated = {
        'id_number': ['id_number_enc', 'id_number_masked', 'id_token', 'id_status',
                      'id_birth_date', 'id_region_code'],
        'name': ['name_enc', 'name_masked', 'name_token', 'name_pinyin_token'],
        'phone': ['phone_enc', 'phone_masked'],
        'address': ['address_enc', 'address_masked'],
    } -%}
    {{ generated[field] | join(',\n        ') }}
{%- endmacro %}
