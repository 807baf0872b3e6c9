-- Candidate findings of the data reconciliations (domain.md §3): a court case with no
-- procuratorate record, a person whose ID or name token differs between departments in
-- the same person-case (int_identity_mismatches), and a police charge that differs from
-- the court's.
with person_cases as (
    select * from {{ ref('person_cases') }}
)

select
    'orphan_court_case' as detector, person_case_id, court_case_no as finding_key,
    'court case ' || court_case_no || ' has no procuratorate record (prosecution review)'
        as rule,
    cast(null as date) as due_date, cast(null as date) as resolved_on,
    court_filed_date as detected_on,
    {{ string_list(['court.judgments']) }} as evidence_sources
from person_cases
where court_case_no is not null and proc_case_no is null

union all

select
    'identity_mismatch', i.person_case_id, 'tokens',
    'the same person-case carries '
    || case when i.id_tokens > 1 then cast(i.id_tokens as {{ dbt.type_string() }}) || ' ID numbers' else '' end
    || case when i.id_tokens > 1 and i.name_tokens > 1 then ' and ' else '' end
    || case when i.name_tokens > 1 then cast(i.name_tokens as {{ dbt.type_string() }}) || ' names' else '' end
    || ' across departments',
    null, null, pc.last_business_date,
    i.sources
from {{ ref('int_identity_mismatches') }} as i
inner join person_cases as pc on pc.person_case_id = i.person_case_id
where i.id_tokens > 1 or i.name_tokens > 1

union all

select
    'charge_mismatch', person_case_id, 'charge',
    'police charge differs from the court''s',
    null, null, court_filed_date,
    {{ string_list(['police.cases', 'court.judgments']) }}
from person_cases
where charge is not null and court_charge is not null and charge <> court_charge
