"""Write small, internally consistent marts into a DuckDB build (tokens are random hex)."""

from __future__ import annotations

import secrets
from pathlib import Path

import duckdb

MARTS = ("person_cases", "case_events", "person_identities", "time_limit_checks",
         "detector_findings",
         "scoreboard_daily", "scoreboard_monthly", "scoreboard_quarterly")


def write_marts(path: Path, persons: int = 60, sealed_every: int = 10) -> None:
    """Marts in the ``main`` schema as dbt writes them; every gate passes on these."""
    con = duckdb.connect(str(path))
    tokens = [secrets.token_hex(16) for _ in range(persons)]
    con.execute("create or replace temp table tokens as select unnest(?) as tok, "
                "generate_subscripts(?, 1) as i", [tokens, tokens])
    con.execute(f"""
        create or replace table person_cases as
        select printf('pc-%05d', i) as person_case_id, tok as person_token,
               i % {sealed_every} = 0 as sealed, '3301' as city_code, '330106' as county_code,
               date '2022-03-01' + (i % 20)::integer as filed_date
        from tokens;
        create or replace table case_events as
        select printf('%s-e%d', person_case_id, k) as event_id, person_case_id,
               filed_date + (k * 3)::integer as event_date, sealed
        from person_cases, range(3) as r(k);
        create or replace table time_limit_checks as
        select person_case_id, 'arrest_review' as stage, filed_date + 7 as deadline,
               false as breached, 0 as days_overdue, city_code, sealed
        from person_cases;
        create or replace table detector_findings as
        select printf('f-%s', person_case_id) as finding_id, person_case_id, person_token,
               'custody_overdue' as detector, city_code, 3 as days_overdue, 'open' as status,
               sealed
        from person_cases where not sealed and right(person_case_id, 1) = '3';
        create or replace table person_identities as  -- masked shapes only, no clear value
        select person_token, printf('330106********%04d', i) as id_number_masked,
               '陈*' as name_masked, printf('138****%04d', i) as phone_masked,
               '浙江省杭州市西湖区' as address_masked, 1990 as birth_year, 'M' as sex,
               sealed, 'police' as source, 'police-20220301-01' as batch_id,
               printf('police-20220301-01/suspects.jsonl/%d', i) as row_id
        from person_cases, tokens where tokens.tok = person_cases.person_token;
        insert into case_events  -- an unlinked event (a reconciliation case) is allowed
        values ('orphan-e0', null, date '2022-03-04', false);
    """)
    for period in ("daily", "monthly", "quarterly"):
        con.execute(f"""
            create or replace table scoreboard_{period} as
            select '{period}' as period_type, p as period_start, 'city' as region_level,
                   region_code, ind as indicator, 'ratio' as unit, 6 as numerator,
                   20 as denominator, 0.3 as rate, 0.3 as value, false as suppressed,
                   'court,justice,police,procuratorate' as departments_included
            from (values ('non_arrest_rate'), ('non_prosecution_rate')) as i(ind),
                 (values (date '2022-03-01'), (date '2022-03-02')) as q(p),
                 (values ('3301'), ('3302')) as r(region_code)
            union all  -- a suppressed small cell shows no numbers
            select '{period}', date '2022-03-01', 'county', '330106', 'plea_rate', 'ratio',
                   null, null, null, null, true, 'court,justice,police,procuratorate'
        """)
    con.close()
