{#-
  Ranking direction of each scoreboard indicator: 'asc' ranks the lowest value first
  (fewer problems, less custody, faster), 'desc' the highest first. 不捕率/不诉率 have no
  "better" direction in law; they rank highest first (少捕慎诉慎押) and the docs say so.
-#}
{% macro indicator_direction(indicator_sql) %}
  case
    when {{ indicator_sql }} like 'detector_%' or {{ indicator_sql }} like 'median_days_%'
      or {{ indicator_sql }} in ('pretrial_detention_rate', 'post_arrest_non_prosecution_rate')
      then 'asc'
    else 'desc'
  end
{% endmacro %}

{#-
  A scoreboard (晾晒) for one period type ('day', 'month', 'quarter'): every indicator of
  int_scoreboard_facts by period and by city and county, ranked within period, level and
  indicator, with the previous period's rate and the change. Small cells that include
  sealed juveniles are suppressed (CPL art. 286; small_cell_threshold, project choice).
  Daily boards cover the business dates loaded.
  Incremental (DuckDB): a daily build recomputes the periods whose facts changed in this
  build (int_scoreboard_facts__changes: removed vs added rows) or whose departments_included
  changed, and the period after each (its previous_value); the rest is kept.
-#}
{% macro scoreboard(period_type) %}
{%- set threshold = legal_var('small_cell_threshold') -%}
{%- set step = {'day': "interval 1 day", 'month': "interval 1 month", 'quarter': "interval 3 month"}[period_type] -%}
{%- set incremental = model.resource_type != 'unit_test' and is_incremental() -%}
{%- set changes = changes_of(ref('int_scoreboard_facts')) if incremental else none -%}
{%- set fact_columns = 'indicator, unit_id, event_date, county_code, city_code, in_numerator, '
                       ~ 'measure_days, sealed' -%}
with

departments as (
    select
        cast(date_trunc('{{ period_type }}', business_date) as date) as period_start,
        {{ sorted_string_agg('department', ',') }} as departments_included
    from {{ ref('int_department_business_dates') }}
    group by 1
),

{%- if incremental %}
changed_facts as (
    {%- if changes is none %}
    -- the facts were rebuilt in full: every period may have changed
    select event_date from {{ ref('int_scoreboard_facts') }}
    {%- else %}
    -- a retried build: every period (the first attempt's changes are no longer known)
    select {{ fact_columns }} from {{ ref('int_scoreboard_facts') }}
    where exists (select 1 from {{ changes }} where _change = 'retry')
    union all
    (select {{ fact_columns }} from {{ changes }} where _change = 'removed'
     except
     select {{ fact_columns }} from {{ changes }} where _change = 'added')
    union all
    (select {{ fact_columns }} from {{ changes }} where _change = 'added'
     except
     select {{ fact_columns }} from {{ changes }} where _change = 'removed')
    {%- endif %}
),

touched as (
    select distinct cast(date_trunc('{{ period_type }}', event_date) as date) as period_start
    from changed_facts
    where event_date is not null
    union
    select d.period_start
    from departments as d
    left join (select distinct period_start, departments_included from {{ this }}) as t
        on t.period_start = d.period_start
    where t.departments_included is distinct from d.departments_included
),

recomputed as (
    select period_start from touched
    union
    select cast(period_start + {{ step }} as date) from touched
),
{%- endif %}

facts as (
    select
        f.*,
        cast(date_trunc('{{ period_type }}', f.event_date) as date) as period_start
    from {{ ref('int_scoreboard_facts') }} as f
    where f.event_date is not null
    {%- if period_type == 'day' %}
        and f.event_date in (select business_date from {{ ref('int_department_business_dates') }})
    {%- endif %}
    {%- if incremental %}
        -- the recomputed periods and the ones before them (previous_value)
        and (cast(date_trunc('{{ period_type }}', f.event_date) as date) in (
                select period_start from recomputed)
            or cast(date_trunc('{{ period_type }}', f.event_date) + {{ step }} as date) in (
                select period_start from recomputed))
    {%- endif %}
),

by_region as (
    select *, 'county' as region_level, county_code as region_code from facts
    where county_code is not null
    union all
    select *, 'city', city_code from facts
    where city_code is not null
),

cells as (
    select
        period_start,
        region_level,
        region_code,
        indicator,
        count(distinct case when in_numerator then unit_id end) as numerator,
        count(distinct unit_id) as denominator,
        median(measure_days) as median_days
    from by_region
    group by all
),

valued as (
    select
        *,
        cast(period_start + {{ step }} - interval 1 day as date) as period_end,
        cast(period_start - {{ step }} as date) as previous_start,
        -- every small non-empty cell, not only those holding sealed persons: suppressing
        -- only sealed cells would itself reveal that a sealed juvenile record is there
        (numerator between 1 and {{ threshold }} - 1)
            or (denominator between 1 and {{ threshold }} - 1) as primary_suppressed,
        case
            when indicator like 'median_days_%' then 'days'
            when indicator like 'detector_%' then 'per_10k_cases'
            else 'ratio'
        end as unit
    from cells
),

protected as (
    -- secondary suppression: when a city has exactly one suppressed county cell, the city
    -- total minus the other counties would reveal it, so the smallest other county cell of
    -- that city is suppressed too
    select
        *,
        primary_suppressed or (
            region_level = 'county'
            and count(*) filter (where primary_suppressed) over city_cells = 1
            and not primary_suppressed
            and row_number() over (
                partition by period_start, indicator, substr(region_code, 1, 4),
                    primary_suppressed
                order by denominator, numerator, region_code
            ) = 1
        ) as suppressed
    from valued
    window city_cells as (
        partition by period_start, indicator, region_level, substr(region_code, 1, 4)
    )
),

published as (
    select
        period_start, period_end, previous_start, region_level, region_code, indicator,
        unit, suppressed,
        case when not suppressed and unit <> 'days' then numerator end as numerator,
        case when not suppressed then denominator end as denominator,
        case when not suppressed and unit <> 'days' and denominator > 0
            then cast(numerator as double) / denominator end as rate,
        case
            when suppressed then null
            when unit = 'days' then cast(median_days as double)
            when unit = 'per_10k_cases'
                then {{ legal_var('per_cases_rate_base') }} * cast(numerator as double) / denominator
            else cast(numerator as double) / denominator
        end as value
    from protected
),

regions as (
    select region_code, region_name from {{ ref('regions') }}
)

select
    '{{ period_type }}' as period_type,
    p.period_start,
    p.period_end,
    p.region_level,
    p.region_code,
    r.region_name,
    p.indicator,
    p.unit,
    p.numerator,
    p.denominator,
    p.rate,
    p.value,
    case when p.value is not null then rank() over (
        partition by p.period_start, p.region_level, p.indicator, p.value is null
        order by case when {{ indicator_direction('p.indicator') }} = 'asc'
            then p.value else -p.value end
    ) end as rank,
    {{ indicator_direction('p.indicator') }} as rank_direction,
    prev.value as previous_value,
    prev.rate as previous_rate,
    p.value - prev.value as change_vs_previous,
    p.suppressed,
    d.departments_included
from published as p
left join published as prev
    on prev.period_start = p.previous_start
    and prev.region_level = p.region_level
    and prev.region_code = p.region_code
    and prev.indicator = p.indicator
left join regions as r
    on r.region_code = case when p.region_level = 'city' then p.region_code || '00'
        else p.region_code end
left join departments as d on d.period_start = p.period_start
{%- if incremental %}
where p.period_start in (select period_start from recomputed)
{%- endif %}
{% endmacro %}

{#- The config of a scoreboard: incremental by period on DuckDB (a period that no longer has
    any fact is dropped by the cleanup), a full table on Spark (macros/cross_db/incremental.sql). -#}
{% macro scoreboard_config(period_type) -%}
    {{ return(keyed_incremental(
        unique_key='period_start',
        cleanup="delete from {{ this }} where period_start not in (
            select cast(date_trunc('" ~ period_type ~ "', event_date) as date)
            from {{ ref('int_scoreboard_facts') }} where event_date is not null)")) }}
{%- endmacro %}
