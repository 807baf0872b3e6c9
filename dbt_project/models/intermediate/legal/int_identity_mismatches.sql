-- The person-cases whose delivered records carry more than one ID token or more than one
-- name token (rows without the field do not count): the identity_mismatch reconciliation
-- (int_findings_reconciliation). Incremental by person-case: a person-case's records
-- change only in a build whose scope has it, so a daily build recounts the scope instead
-- of grouping every record (3 s at 1 M).
{{ config(**scoped_incremental()) }}
with records as (
    select * from {{ ref('int_person_case_records') }}
    where person_case_id is not null and {{ in_build_scope('person_case_id') }}
),

-- two tokens differ somewhere (min <> max): cheap; the counts and sources only for those
mismatched as (
    select person_case_id
    from records
    where id_token is not null or name_token is not null
    group by person_case_id
    having min(id_token) <> max(id_token) or min(name_token) <> max(name_token)
)

select
    person_case_id,
    count(distinct id_token) as id_tokens,
    count(distinct name_token) as name_tokens,
    {{ ordered_list_agg('source', ['source'], distinct=true,
                        where='id_token is not null or name_token is not null') }} as sources
from records
where person_case_id in (select person_case_id from mismatched)
group by person_case_id
