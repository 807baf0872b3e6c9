-- Every delivered row that belongs to a person-case, with the identity tokens it carries
-- (macros/scope/person_case_rows.sql), kept as a table for the legal models (detector
-- evidence, identity_mismatch, commitments, the parole ratio). Incremental by person-case
-- (macros/build_scope.sql): a daily build rewrites the build scope's rows only. That equals
-- a full computation: a person-case outside the scope kept its fingerprint, so the same row
-- ids, and a row id's columns never change (raw is append-only; key rotation and erasure,
-- which rewrite raw, make the next build a full refresh).
{{ config(**scoped_incremental()) }}
{{ person_case_rows(only=build_scope_keys()) }}
