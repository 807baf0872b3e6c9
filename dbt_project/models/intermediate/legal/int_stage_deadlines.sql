{{ config(**scoped_incremental()) }}  -- daily builds recompute the build scope only
-- (the int_stage_limits_* views are filtered to it where they read the person-case: DuckDB
-- does not push a filter on their union down into their joins)
{%- if model.resource_type != 'unit_test' %}
-- depends_on: {{ ref('int_build_scope') }} (the strategy's; a unit test gives no scope)
{%- endif %}
-- Every stage occurrence with its deadline (CPL art. 105): the last day of the applied
-- limit counted from the day after the start, moved to the next working day when that
-- day is a holiday and the person is NOT in custody.
with stages as (
    {{ union_all_by_name([ref('int_stage_limits_police'), ref('int_stage_limits_procuratorate'),
                          ref('int_stage_limits_court')]) }}
),

limited as (
    select
        *,
        {{ add_months_days('stage_start', 'limit_months', 'limit_days') }} as last_day
    from stages
    where stage_start is not null
)

select
    person_case_id,
    stage,
    occurrence,
    stage_start,
    stage_end,
    {{ period_text('base_months', 'base_days') }} as base_limit,
    {{ period_text('limit_months', 'limit_days') }} as applied_limit,
    limit_months,
    limit_days,
    extension_count,
    extension_evidence,
    evidence,
    in_custody,
    article,
    last_day,
    {{ shift_deadline('last_day', 'in_custody') }} as deadline
from limited
