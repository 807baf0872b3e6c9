-- Every scoreboard cell: rate within [0, 1], numerator ≤ denominator, suppressed cells
-- publish no counts, and one row per period, region and indicator.
{% for board in ['scoreboard_daily', 'scoreboard_monthly', 'scoreboard_quarterly'] %}
select '{{ board }}' as board, period_start, region_level, region_code, indicator,
    'invalid cell' as problem
from {{ ref(board) }}
where rate < 0 or rate > 1 or numerator > denominator
    or (suppressed and (numerator is not null or denominator is not null or rate is not null))
union all
select '{{ board }}', period_start, region_level, region_code, indicator, 'duplicate cell'
from {{ ref(board) }}
group by period_start, region_level, region_code, indicator
having count(*) > 1
{% if not loop.last %}union all{% endif %}
{% endfor %}
