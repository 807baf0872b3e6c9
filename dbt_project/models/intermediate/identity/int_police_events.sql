{{ config(materialized='view') }}
-- Police timeline events per police person-case: filing, each coercive measure, transfer.
with

person_cases as (
    select * from {{ ref('int_police_person_cases') }}
),

cases as (
    select * from {{ ref('stg_police__cases') }}
),

measures as (
    select m.*, t.event_type
    from {{ ref('stg_police__measures') }} as m
    left join {{ ref('measure_types') }} as t on t.measure_type = m.measure_type
),

transfers as (
    select * from {{ ref('stg_police__transfers') }}
),

final as (
    select
        {{ surrogate_key(["'police.cases'", 'p.police_case_no', 'p.suspect_seq', "'filed'"]) }}
            as event_id,
        p.person_case_id, 'case_filed' as event_type, c.filed_date as event_date,
        cast(c.filed_date as timestamp) as event_at, c.status as detail,
        c._batch_id as batch_id, c._row_id as row_id, c._business_date,
        p.birth_date
    from person_cases as p
    inner join cases as c on c.police_case_no = p.police_case_no
    union all
    select
        {{ surrogate_key(["'police.measures'", 'm.document_no']) }},
        p.person_case_id, coalesce(m.event_type, 'measure_other'), m.start_date,
        m.start_at, m.measure_type, m._batch_id, m._row_id, m._business_date, p.birth_date
    from person_cases as p
    inner join measures as m
        on m.police_case_no = p.police_case_no and m.suspect_seq = p.suspect_seq
    union all
    select
        {{ surrogate_key(["'police.transfers'", 't.police_case_no', 't.suspect_seq']) }},
        p.person_case_id, 'transferred_for_prosecution', t.transfer_date,
        cast(t.transfer_date as timestamp), t.receiving_procuratorate,
        t._batch_id, t._row_id, t._business_date, p.birth_date
    from person_cases as p
    inner join transfers as t
        on t.police_case_no = p.police_case_no and t.suspect_seq = p.suspect_seq
)

select *, 'police' as source from final
