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

{#- The columns of time_limit_checks whose change changes a person-case's scoreboard facts
    (an open stage's verdict and days count only once it closes). The facts recompute the
    person-cases whose rows changed on them, and time_limit_checks logs only those
    (log_changed_on): its open stages come back every day with one more day used. -#}
{% macro scoreboard_check_columns() -%}
    {{ return(['person_case_id', 'court_case_no', 'city_code', 'county_code', 'stage',
               'occurrence', 'stage_start', 'stage_end', 'sealed',
               'case when stage_end is not null then breached end',
               'case when stage_end is not null then days_used end']) }}
{%- endmacro %}

{#- The facts' change log when this build replaced only some of them (the cells then add
    and subtract), else none: first build, full refresh, facts rebuilt, or a retried build
    (the first attempt's changes are no longer known). -#}
{% macro scoreboard_fact_changes() -%}
    {%- if model.resource_type == 'unit_test' or not is_incremental() -%}{{ return(none) }}{%- endif -%}
    {%- set changes = changes_of(ref('int_scoreboard_facts')) -%}
    {%- if changes is none -%}{{ return(none) }}{%- endif -%}
    {%- set retried = run_query("select count(*) from " ~ changes
                                ~ " where _change = 'retry'").columns[0].values()[0] -%}
    {{ return(changes if retried == 0 else none) }}
{%- endmacro %}

{#- The six ways a fact is counted: each period type at each region level. -#}
{% macro scoreboard_cell_shapes() -%}
    {%- set shapes = [] -%}
    {%- for period_type in ['day', 'month', 'quarter'] -%}
        {%- for level, column in [('county', 'county_code'), ('city', 'city_code')] -%}
            {%- do shapes.append({'period_type': period_type, 'level': level,
                                  'region': column}) -%}
        {%- endfor -%}
    {%- endfor -%}
    {{ return(shapes) }}
{%- endmacro %}

{% macro period_start_of(period_type, date_column) -%}
    {%- if period_type == 'day' -%}{{ date_column }}
    {%- else -%}cast(date_trunc('{{ period_type }}', {{ date_column }}) as date){%- endif -%}
{%- endmacro %}

{#- CTE `cell_counts` over fact rows carrying `sign` (+1 counted, -1 taken away): distinct
    units and distinct units in the numerator per cell and sign, summed over the signs.
    Distinct counts add up over scope keys because a unit belongs to one scope key. A
    detector's finding counts in its cell's `units` only where the same person-case is not
    'active' there (the denominator is active ∪ found; findings are few, so only their
    person-cases' activity is looked at). -#}
{% macro scoreboard_cell_counts(facts) -%}
found_activity as (
    select distinct sign, unit_id, event_date, county_code, city_code
    from {{ facts }}
    where indicator = 'active'
        and unit_id in (select unit_id from {{ facts }} where indicator like 'detector_%')
),

counted_rows as (
    {%- for shape in scoreboard_cell_shapes() %}
    {%- set period = period_start_of(shape.period_type, 'f.event_date') %}
    select
        f.sign, '{{ shape.period_type }}' as period_type, {{ period }} as period_start,
        '{{ shape.level }}' as region_level, f.{{ shape.region }} as region_code,
        f.indicator, f.measure_days, f.unit_id, f.in_numerator,
        a.unit_id is not null as found_while_active
    from {{ facts }} as f
    left join (
        select distinct sign, unit_id, {{ shape.region }} as region_code,
            {{ period_start_of(shape.period_type, 'event_date') }} as period_start
        from found_activity
    ) as a
        on f.indicator like 'detector_%' and a.sign = f.sign and a.unit_id = f.unit_id
        and a.region_code = f.{{ shape.region }} and a.period_start = {{ period }}
    where f.event_date is not null and f.{{ shape.region }} is not null
    {{- "\n    union all" if not loop.last }}
    {%- endfor %}
),

cell_counts as (
    select
        concat_ws('|', period_type, cast(period_start as {{ dbt.type_string() }}),
            region_level, region_code, indicator,
            coalesce(cast(measure_days as {{ dbt.type_string() }}), '')) as cell_key,
        period_type, period_start, region_level, region_code, indicator, measure_days,
        cast(sum(sign * units) as bigint) as units,
        cast(sum(sign * numerator) as bigint) as numerator
    from (
        select
            sign, period_type, period_start, region_level, region_code, indicator,
            measure_days,
            count(distinct case when not found_while_active then unit_id end) as units,
            count(distinct case when in_numerator then unit_id end) as numerator
        from counted_rows
        group by sign, period_type, period_start, region_level, region_code, indicator,
            measure_days
    ) as by_sign
    group by period_type, period_start, region_level, region_code, indicator, measure_days
)
{%- endmacro %}

{#-
  A scoreboard (晾晒) for one period type ('day', 'month', 'quarter') from
  int_scoreboard_cells: every indicator by period and by city and county, ranked within
  period, level and indicator, with the previous period's rate and the change. Small cells
  are suppressed (CPL art. 286; small_cell_threshold, project choice). Daily boards cover
  the business dates loaded. The cells are small next to the facts, so each build
  recomputes the boards whole; the counting follows the facts incrementally (cells).
-#}
{% macro scoreboard(period_type) %}
{%- set threshold = legal_var('small_cell_threshold') -%}
{%- set step = {'day': "interval 1 day", 'month': "interval 1 month", 'quarter': "interval 3 month"}[period_type] -%}
with

departments as (
    select
        cast(date_trunc('{{ period_type }}', business_date) as date) as period_start,
        {{ sorted_string_agg('department', ',') }} as departments_included
    from {{ ref('int_department_business_dates') }}
    group by 1
),

period_cells as (
    select *
    from {{ ref('int_scoreboard_cells') }}
    where period_type = '{{ period_type }}' and units + numerator > 0
    {%- if period_type == 'day' %}
        and period_start in (select business_date from {{ ref('int_department_business_dates') }})
    {%- endif %}
),

active as (
    select period_start, region_level, region_code, units
    from period_cells
    where indicator = 'active'
),

detector_cells as (
    -- every detector in every cell with activity, and wherever it found something
    select
        coalesce(d.period_start, a.period_start) as period_start,
        coalesce(d.region_level, a.region_level) as region_level,
        coalesce(d.region_code, a.region_code) as region_code,
        coalesce(d.indicator, a.indicator) as indicator,
        coalesce(d.numerator, 0) as numerator,
        coalesce(a.units, 0) + coalesce(d.units, 0) as denominator,
        cast(null as double) as median_days
    from (select * from period_cells where indicator like 'detector_%') as d
    full outer join (
        select active.*, 'detector_' || codes.detector as indicator
        from active
        cross join (select {{ explode_list(detector_codes()) }} as detector) as codes
    ) as a
        on a.period_start = d.period_start and a.region_level = d.region_level
        and a.region_code = d.region_code and a.indicator = d.indicator
),

positioned as (
    -- the median from the counts per number of days (the middle one or two units)
    select
        *,
        sum(units) over (partition by period_start, region_level, region_code, indicator
                         order by measure_days rows between unbounded preceding and current row)
            as through,
        sum(units) over (partition by period_start, region_level, region_code, indicator)
            as total
    from period_cells
    where measure_days is not null and units > 0
),

medians as (
    select
        period_start, region_level, region_code, indicator,
        (min(measure_days) filter (where through >= floor((total + 1) / 2))
            + min(measure_days) filter (where through >= floor(total / 2) + 1)) / 2.0
            as median_days
    from positioned
    group by period_start, region_level, region_code, indicator
),

other_cells as (
    select
        c.period_start, c.region_level, c.region_code, c.indicator,
        sum(c.numerator) as numerator,
        sum(c.units) as denominator,
        max(m.median_days) as median_days
    from period_cells as c
    left join medians as m
        on m.period_start = c.period_start and m.region_level = c.region_level
        and m.region_code = c.region_code and m.indicator = c.indicator
    where c.indicator <> 'active' and c.indicator not like 'detector_%'
    group by c.period_start, c.region_level, c.region_code, c.indicator
),

cells as (
    select * from detector_cells
    union all
    select * from other_cells
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
{% endmacro %}

