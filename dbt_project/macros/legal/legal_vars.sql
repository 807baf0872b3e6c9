{#-
  Legal parameters: one place for every time limit and threshold the legal marts use.
  Each is a dbt var declared once, in the legal block of dbt_project.yml `vars:`, named
  after its source of law (cpl_<article>_...) or marked (project choice); override with --vars.
  Units: *_days are days, *_months calendar months (CPL art. 105). Documented in
  models/marts/legal/_legal__docs.md.
-#}
{% macro legal_var(name) %}
  {%- set value = var(name, none) -%}
  {%- if value is none -%}
    {{ exceptions.raise_compiler_error("legal_var: unknown legal parameter '" ~ name ~ "'; declare it in the legal block of dbt_project.yml vars") }}
  {%- endif -%}
  {{ return(value) }}
{% endmacro %}
