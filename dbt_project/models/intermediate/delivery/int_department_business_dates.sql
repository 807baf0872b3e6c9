-- Which department delivered data for which business date (the raw rows' _business_date):
-- the as-of date and the scoreboards' departments_included use it. Read from the raw
-- sources, not staging: a date's delivery counts even when a later version superseded
-- its rows, and one column of the raw files is cheap where staging ranks every version.
{{ config(materialized='table') }}

{%- set delivered = {
    'police': ['cases', 'suspects', 'measures', 'transfers'],
    'procuratorate': ['arrest_reviews', 'prosecution_reviews', 'supplementary_investigations'],
    'court': ['judgments', 'enforcement'],
    'justice': ['community_corrections', 'custody_events'],
} %}

{%- for department, tables in delivered.items() %}
{%- for table in tables %}
select distinct '{{ department }}' as department, cast(_business_date as date) as business_date
from {{ source(department, table) }}
{% if not loop.last %}union{% endif %}
{%- endfor %}
{% if not loop.last %}union{% endif %}
{%- endfor %}
