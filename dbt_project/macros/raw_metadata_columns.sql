{#- The raw layer's evidence columns every staging model keeps (docs/raw-layer.md). -#}
{% macro raw_metadata_columns() -%}
    _batch_id,
        _business_date,
        _extracted_at,
        _contract_version,
        _source_file,
        _line,
        _row_id
{%- endmacro %}
