-- Each 退回补充侦查 of a prosecution review, numbered in date order, with the running
-- count (CPL art. 175: each at most one month, at most twice). The delivered 次数
-- (sequence) is kept, but the order of the return dates is what counts: a department's
-- own numbering may restart or skip. A view: its windows over the returns (≈ 125 k rows
-- at 1 M persons) cost its readers little, where a table was rewritten every build.
with returns as (
    select
        proc_case_no,
        sequence as delivered_sequence,
        cast(returned_date as date) as returned_date,
        cast(retransferred_date as date) as retransferred_date,
        _batch_id,
        _row_id
    from {{ ref('stg_procuratorate__supplementary_investigations') }}
)

select
    *,
    row_number() over (
        partition by proc_case_no order by returned_date, delivered_sequence
    ) as return_number,
    count(*) over (partition by proc_case_no) as return_count,
    max(retransferred_date) over (partition by proc_case_no) as last_retransferred_date,
    row_number() over (
        partition by proc_case_no order by returned_date, delivered_sequence
    ) > {{ legal_var('cpl_175_max_supplementary_investigations') }} as over_limit
from returns
