-- The scoreboards' counts: per period (day, month, quarter), region (county, city),
-- indicator and, for the median_days_* indicators, each number of days: the distinct units
-- counted and those in the numerator. A detector's cell holds its findings' units that are
-- not 'active' in the cell; its denominator is the cell's 'active' units plus those
-- (macros/legal/scoreboard.sql). Counts add up over scope keys (a unit belongs to one), so a
-- daily build adds what int_scoreboard_facts__changes added and subtracts what it removed,
-- instead of recounting years of facts; a first build, a full refresh, or a build whose
-- facts were rebuilt or retried (what changed is then unknown) counts everything.
{%- set changes = scoreboard_fact_changes() %}
{%- set delta = changes is not none %}
{{ config(**keyed_incremental(unique_key='cell_key',
                              cleanup="delete from {{ this }} where units = 0 and numerator = 0")) }}
{{ config(pre_hook="{% if is_incremental() and scoreboard_fact_changes() is none %}"
                   "delete from {{ this }}{% endif %}") }}
with

facts as (
    {%- if delta %}
    select *, case _change when 'added' then 1 else -1 end as sign
    from {{ changes }}
    {%- else %}
    select *, 1 as sign
    from {{ ref('int_scoreboard_facts') }}
    {%- endif %}
),

{{ scoreboard_cell_counts('facts') }}

{%- if delta %}
, summed as (
    select
        c.cell_key, c.period_type, c.period_start, c.region_level, c.region_code, c.indicator,
        c.measure_days,
        coalesce(t.units, 0) + c.units as units,
        coalesce(t.numerator, 0) + c.numerator as numerator
    from cell_counts as c
    left join {{ this }} as t on t.cell_key = c.cell_key
)

select * from summed
{%- else %}
select * from cell_counts
{%- endif %}
