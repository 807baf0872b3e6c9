-- int_person_case_rows kept as a table for the legal models (detector evidence,
-- identity_mismatch, commitments, the parole ratio). Incremental by person-case
-- (macros/build_scope.sql): a daily build rewrites the build scope's rows only. That equals
-- the whole view: a person-case outside the scope kept its fingerprint, so the same row ids,
-- and a row id's columns never change (raw is append-only; key rotation and erasure, which
-- rewrite raw, make the next build a full refresh).
{{ config(**scoped_incremental()) }}
select *
from {{ ref('int_person_case_rows') }}
where {{ in_build_scope('person_case_id') }}
