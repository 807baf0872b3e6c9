{#- The raw layer's evidence columns every staging model keeps (docs/raw-layer.md), and the
    build that made the row current: a row merged in an earlier build keeps that build's id
    (macros/current_versions.sql), so `_staged_in_build = build_id()` selects exactly the
    versions this build added, on a retry of the same build too. -#}
{% macro raw_metadata_columns() -%}
    _batch_id,
        _business_date,
        _extracted_at,
        _contract_version,
        _source_file,
        _line,
        _row_id,
        '{{ build_id() }}' as _staged_in_build
{%- endmacro %}
