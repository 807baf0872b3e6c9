-- Which department delivered data for which business date (from the staging rows'
-- _business_date): the as-of date and the scoreboards' departments_included use it.
{{ config(materialized='table') }}

{%- set staged = {
    'police': ['stg_police__cases', 'stg_police__suspects', 'stg_police__measures',
               'stg_police__transfers'],
    'procuratorate': ['stg_procuratorate__arrest_reviews',
                      'stg_procuratorate__prosecution_reviews',
                      'stg_procuratorate__supplementary_investigations'],
    'court': ['stg_court__judgments', 'stg_court__enforcements'],
    'justice': ['stg_justice__community_corrections', 'stg_justice__custody_events'],
} %}

{%- for department, models in staged.items() %}
{%- for model in models %}
select distinct '{{ department }}' as department, cast(_business_date as date) as business_date
from {{ ref(model) }}
{% if not loop.last %}union{% endif %}
{%- endfor %}
{% if not loop.last %}union{% endif %}
{%- endfor %}
