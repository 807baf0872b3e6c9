"""case_events built incrementally (late and out-of-order batches) equals a full rebuild."""

from __future__ import annotations

import json
import shutil

import duckdb
import pytest

from shared_exchange.warehouse.compare import compare_marts
from shared_exchange.warehouse.dbt import BUILD, build_command, run_dbt

pytestmark = pytest.mark.integration
# what the build DAG runs on a copy of yesterday's build: no seeds, they are in it
DAILY = build_command(BUILD, full_refresh=False, from_base=True)


def _events(db) -> set[tuple]:
    with duckdb.connect(str(db), read_only=True) as con:
        return set(con.execute(
            "select event_id, person_case_id, person_token, police_case_no, court_case_no, "
            "event_type, event_date, detail, batch_id, row_id, sealed, event_seq "
            "from case_events").fetchall())


def test_late_batches_update_the_right_rows(synthetic_home, core_select, tmp_path):
    raw = synthetic_home.raw
    held = tmp_path / "held"
    # Hold back the court's and justice's later batches plus one early procuratorate batch,
    # so they arrive "late" and out of order after a first build.
    moved = []
    for source, keep in (("court", 20), ("justice", 20), ("procuratorate", 3)):
        for table_dir in (raw / source).iterdir():
            files = sorted(p for p in table_dir.glob("*.parquet") if p.name != "_schema.parquet")
            late = files[keep:] if source != "procuratorate" else files[keep:keep + 1]
            for path in late:
                target = held / source / table_dir.name / path.name
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.move(path, target)
                moved.append((target, path))
    assert moved, "the sample has no later batches to hold back"
    incremental = tmp_path / "incremental.duckdb"
    run_dbt(["build", *core_select], synthetic_home, incremental)
    before = _events(incremental)
    for target, path in moved:
        shutil.move(target, path)
    run_dbt(["build", *core_select], synthetic_home, incremental)
    after = _events(incremental)
    full = tmp_path / "full.duckdb"
    run_dbt(["build", *core_select, "--full-refresh"], synthetic_home, full)
    assert after != before
    assert after == _events(full)


def _generated_and_ingested(tmp_path):
    """A small deployment: 300 generated persons over 12 days, every source ingested."""
    from shared_exchange import SOURCES
    from shared_exchange.config import load_settings
    from shared_exchange.ingest.load import ingest_source
    from shared_exchange.synth import generate

    settings = load_settings(tmp_path / "home")
    generate(settings, persons=300, days=12, seed=5)
    for source in SOURCES:
        ingest_source(settings, source)
    return settings


def _hold_back(raw, held, late_sources=(("procuratorate", 2),)) -> list[tuple]:
    """Move the last batch of every table and one early batch per late source aside."""
    moved = []
    for table_dir in sorted(p for p in raw.glob("*/*") if p.is_dir()):
        files = sorted(p for p in table_dir.glob("*.parquet") if p.name != "_schema.parquet")
        picks = set(files[-1:])
        for source, index in late_sources:
            if table_dir.parent.name == source and len(files) > index + 1:
                picks.add(files[index])
        for path in picks:
            target = held / table_dir.parent.name / table_dir.name / path.name
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.move(path, target)
            moved.append((target, path))
    return moved


def test_daily_build_equals_a_full_rebuild_on_every_mart(tmp_path):
    """The scoped daily build (macros/build_scope.sql) recomputes only what changed, yet every
    published mart equals a full rebuild row for row — late batches included."""
    settings = _generated_and_ingested(tmp_path)
    moved = _hold_back(settings.raw, tmp_path / "held")
    assert moved
    yesterday = tmp_path / "yesterday.duckdb"
    run_dbt(list(BUILD), settings, yesterday)
    today = tmp_path / "today.duckdb"  # a new build starts as a copy of the published one
    shutil.copyfile(yesterday, today)
    for target, path in moved:
        shutil.move(target, path)
    run_dbt(DAILY, settings, today)
    ran = json.loads((settings.warehouse / "dbt" / "target" / "run_results.json").read_text())
    assert not [r for r in ran["results"] if r["unique_id"].startswith("seed.")]
    # the same day again, its first attempt dying after the facts and before the scoreboards
    # (the build DAG retries a failed layer in the same build file)
    retried = tmp_path / "retried.duckdb"
    shutil.copyfile(yesterday, retried)
    run_dbt([*DAILY, "--exclude", "scoreboard_daily", "scoreboard_monthly",
             "scoreboard_quarterly"], settings, retried)
    run_dbt(DAILY, settings, retried)
    full = tmp_path / "full.duckdb"
    run_dbt([*BUILD, "--full-refresh"], settings, full)

    for daily in (today, retried):
        report = compare_marts(daily, full)
        assert report.ok, f"{daily.name}: {report.summary()}"
    with duckdb.connect(str(today), read_only=True) as con:
        scope = con.execute("select count(*) from intermediate.int_build_scope").fetchone()[0]
        cases = con.execute("select count(*) from person_cases").fetchone()[0]
        changes = con.execute("select count(distinct _build) from "
                              "intermediate.int_scoreboard_facts__changes").fetchone()[0]
    assert 0 < scope < cases / 2, "the daily build recomputed everything"
    assert changes == 1


def _redeliver(raw, source: str, table: str, row_id: str, column: str, corrected: str,
               business_date: str | None = None, also: dict[str, str] | None = None,
               batch_no: int = 1):
    """Deliver a corrected version of one raw row in a new batch: ``column`` set to the SQL
    expression ``corrected`` (and each column of ``also`` to its expression), a later
    extraction (by default the same business date, so no stage date or last_business_date
    of person_cases moves with it), a new row id. The corrected value of ``column``."""
    batch = f"{source}-29991231-{batch_no:02d}"
    dated = f", date '{business_date}' as _business_date" if business_date else ""
    dated += "".join(f", {expression} as {name}" for name, expression in (also or {}).items())
    new_row_id = f"{batch}/{table}.jsonl/1"
    files = [str(p) for p in (raw / source / table).glob("*.parquet")
             if p.name != "_schema.parquet"]
    target = raw / source / table / f"{batch}.parquet"
    with duckdb.connect() as con:
        con.execute(f"""
            copy (
                select * replace (
                    {corrected} as {column},
                    '{batch}' as _batch_id,
                    _extracted_at + interval 1 day as _extracted_at,
                    '{new_row_id}' as _row_id{dated})
                from read_parquet(?, union_by_name = true)
                where _row_id = ?
            ) to '{target}' (format parquet)""", [files, row_id])
        moved = con.execute(f"select {column} from read_parquet('{target}')").fetchall()
    assert len(moved) == 1, f"{row_id} not found in {source}.{table}"
    return moved[0][0]


def _review_link(db, proc_case_no: str) -> tuple:
    """(person_case_id, link_method, police_case_no) of a prosecution review's link."""
    with duckdb.connect(str(db), read_only=True) as con:
        return con.execute(
            "select l.person_case_id, l.link_method, p.police_case_no "
            "from intermediate.int_prosecution_reviews_linked as l "
            "left join intermediate.int_police_person_cases as p "
            "on p.person_case_id = l.person_case_id where l.proc_case_no = ?",
            [proc_case_no]).fetchone()


def _daily_and_rebuild(settings, tmp_path, yesterday):
    """Today's daily build (a copy of yesterday's, built again) and a full rebuild of the
    same data, both with the standing weights: (today, full)."""
    today = tmp_path / "today.duckdb"
    shutil.copyfile(yesterday, today)
    run_dbt([*DAILY, *STANDING_WEIGHTS], settings, today)
    full = tmp_path / "full.duckdb"
    run_dbt([*BUILD, *STANDING_WEIGHTS, "--full-refresh"], settings, full)
    return today, full


# Name weights that stand for the week (the sample's last day is a Saturday: the week does
# not turn overnight), counted however few the persons: the daily build relinks selectively.
STANDING_WEIGHTS = ["--vars",
                    "{link_name_frequency_period: week, link_name_frequency_min_persons: 1}"]
LINKING_HOPS = ["int_prosecution_reviews_linked", "int_arrest_reviews_linked",
                "int_first_instance_judgments_linked", "int_second_instance_judgments_linked",
                "int_justice_records_linked"]


def test_a_correction_of_one_row_reaches_every_mart(tmp_path):
    """A batch that only corrects a police transfer's receiving procuratorate (no column of
    person_cases), a legal aid assignment's date, a police case's charge, a 退回补充侦查's
    date and a coercive measure's suspect (it moves to another person-case) changes the
    marts in the daily build as in a rebuild. The name weights stand, so the identity layer
    recomputes only the person-cases it touched (int_person_cases_touched) and the build
    scope's fingerprint only those: each correction must reach them."""
    settings = _generated_and_ingested(tmp_path)
    yesterday = tmp_path / "yesterday.duckdb"
    run_dbt([*BUILD, *STANDING_WEIGHTS], settings, yesterday)
    with duckdb.connect(str(yesterday), read_only=True) as con:
        as_of = str(con.execute("select as_of_date from intermediate.int_as_of_date").fetchone()[0])
        aid, case, returned = (con.execute(
            "select row_id from case_events where event_type = ? and person_case_id is not null "
            "order by row_id limit 1", [event]).fetchone()[0]
            for event in ("legal_aid_assigned", "case_filed",
                          "supplementary_investigation_returned"))
        # a transfer in another case than the corrected one, so only the transfer reaches it
        transfer = con.execute(
            "select row_id from case_events where event_type = 'transferred_for_prosecution' "
            "and person_case_id is not null and police_case_no not in ("
            "    select police_case_no from case_events where row_id = ?) "
            "order by row_id limit 1", [case]).fetchone()[0]
        # a suspect's only detention (in a case nothing else corrects) and a suspect of
        # another case, who takes it over
        measure, case_no, seq = con.execute(
            "select m._row_id, s.police_case_no, s.suspect_seq "
            "from staging.stg_police__measures as m "
            "join intermediate.int_police_person_cases as s "
            "    on s.police_case_no <> m.police_case_no "
            "where m.measure_type = 'JL' and m.police_case_no not in ("
            "    select police_case_no from case_events where row_id in (?, ?, ?, ?)) "
            "and not exists (select 1 from staging.stg_police__measures as o "
            "    where o.police_case_no = m.police_case_no and o.suspect_seq = m.suspect_seq "
            "    and o.measure_type = 'JL' and o._row_id <> m._row_id) "
            "order by m._row_id, s.person_case_id limit 1",
            [transfer, aid, case, returned]).fetchone()
    corrected = {
        "transferred_for_prosecution": _redeliver(
            settings.raw, "police", "transfers", transfer, "receiving_procuratorate",
            "receiving_procuratorate || '（更正）'", business_date=as_of),
        "legal_aid_assigned": _redeliver(
            settings.raw, "justice", "legal_aid", aid, "assigned_date", "assigned_date - 3",
            business_date=as_of),
    }
    # the case's row alone: its suspects' person-cases must follow (int_police_person_cases)
    charge = _redeliver(settings.raw, "police", "cases", case, "charge",
                        "case when charge = '盗窃罪' then '诈骗罪' else '盗窃罪' end",
                        business_date=as_of)
    _redeliver(settings.raw, "procuratorate", "supplementary_investigations", returned,
               "returned_date", "returned_date - 1", business_date=as_of)
    # the suspect who loses the measure is found only through its delivered versions
    _redeliver(settings.raw, "police", "measures", measure, "police_case_no", f"'{case_no}'",
               business_date=as_of, also={"suspect_seq": f"'{seq}'"})
    today, full = _daily_and_rebuild(settings, tmp_path, yesterday)

    report = compare_marts(today, full)
    assert report.ok, report.summary()
    with duckdb.connect(str(today), read_only=True) as con:
        events = dict(con.execute(
            "select event_type, case event_type when 'legal_aid_assigned' then "
            "cast(event_date as varchar) else detail end "
            "from case_events where batch_id like '%-29991231-01' "
            "and event_type in ('transferred_for_prosecution', 'legal_aid_assigned')"
        ).fetchall())
        charges = con.execute(
            "select distinct p.charge from person_cases as p join case_events as e "
            "on e.police_case_no = p.police_case_no "
            "where e.row_id like 'police-29991231-01/cases.jsonl/%'"
        ).fetchall()
        touched, everything = con.execute(
            "select count(*), count(*) - count(scope_key) "
            "from intermediate.int_person_cases_touched").fetchone()
        cases = con.execute("select count(*) from person_cases").fetchone()[0]
        # relinked in full, written where they differ: the corrected assignment's old
        # version goes, its new one comes (replace_differing)
        aid_log = con.execute("select _change, count(*) from "
                              "intermediate.int_legal_aid_linked__changes group by 1").fetchall()
    assert events == {event: str(value) for event, value in corrected.items()}
    assert charges == [(charge,)]
    assert everything == 0 and 0 < touched < cases / 2, (touched, cases)
    assert sorted(aid_log) == [("added", 1), ("removed", 1)]
    assert _rows(today, "int_legal_aid_linked") == _rows(full, "int_legal_aid_linked")


def _rows(db, model: str) -> set[tuple]:
    with duckdb.connect(str(db), read_only=True) as con:
        return set(con.execute(f"select * from intermediate.{model}").fetchall())


def test_daily_relinking_reaches_every_record_a_change_touches(tmp_path):
    """The identity hops relink only the records sharing a block key with a changed record,
    before or after the change (macros/identity/relink.sql), yet every mart equals a
    rebuild. Corrected today: a police suspect's identity (ID, name, birth date: a judgment
    linked to it by token shares no block key with the corrected version, only with the
    version it replaces) and a review's indictment number (its judgment loses the declared
    key); and the last day's batches arrive."""
    settings = _generated_and_ingested(tmp_path)
    moved = _hold_back(settings.raw, tmp_path / "held", late_sources=())
    yesterday = tmp_path / "yesterday.duckdb"
    run_dbt([*BUILD, *STANDING_WEIGHTS], settings, yesterday)
    with duckdb.connect(str(yesterday), read_only=True) as con:
        as_of = con.execute("select as_of_date from intermediate.int_as_of_date").fetchone()[0]
        # a police suspect with no prosecution review, linked to a first-instance judgment
        suspect = con.execute(
            "select s._row_id from intermediate.int_police_person_cases as s "
            "join intermediate.int_first_instance_judgments_linked as j "
            "on j.prosecution_review_row_id = s.person_case_id "
            "order by s._row_id limit 1").fetchone()[0]
        review = con.execute(
            "select r._row_id from intermediate.int_prosecution_reviews_linked as r "
            "join intermediate.int_first_instance_judgments_linked as j "
            "on j.prosecution_review_row_id = r._row_id "
            "where j.link_method = 'declared_key' order by r._row_id limit 1").fetchone()[0]
    for target, path in moved:
        shutil.move(target, path)
    _redeliver(settings.raw, "police", "suspects", suspect, "id_token", "id_token || 'x'",
               business_date=str(as_of), also={
                   "name_token": "name_token || 'x'",
                   "name_pinyin_token": "name_pinyin_token || 'x'",
                   "birth_date": "birth_date + 4000",
                   "id_birth_date": "id_birth_date + 4000",
                   "id_region_code": "'339999'"})
    _redeliver(settings.raw, "procuratorate", "prosecution_reviews", review, "indictment_no",
               "indictment_no || '（更正）'", business_date=str(as_of))
    today, full = _daily_and_rebuild(settings, tmp_path, yesterday)

    report = compare_marts(today, full)
    assert report.ok, report.summary()
    for hop in LINKING_HOPS:  # the links themselves, not only what the marts show of them
        assert _rows(today, hop) == _rows(full, hop), hop
    with duckdb.connect(str(today), read_only=True) as con:
        weights = con.execute("select distinct computed_in_build "
                              "from intermediate.int_name_frequencies").fetchall()
        added, total = con.execute(
            "select (select count(*) from intermediate"
            ".int_first_instance_judgments_linked__changes where _change = 'added'), "
            "(select count(*) from intermediate.int_first_instance_judgments_linked)").fetchone()
        relinked = con.execute(
            "select link_method from intermediate.int_first_instance_judgments_linked "
            "where prosecution_review_row_id like '%-29991231-01/%'").fetchall()
    assert weights == [("yesterday",)], "the weights were recomputed: everything relinked"
    assert 0 < added < total / 2, (added, total)
    assert relinked and relinked != [("declared_key",)]


def test_a_review_naming_a_police_case_takes_it_from_a_token_link(tmp_path):
    """One review per police person-case (`one_to_one`, the prosecution hop). Yesterday a
    review whose police case number was lost linked by token to the nearer of its person's
    two police cases. Today another review of that person names that case: the old review
    shares no block key with a changed police record, yet the daily relink must move it to
    the other case (the reviews sharing a token with a new one), as a rebuild does."""
    settings = _generated_and_ingested(tmp_path)
    probe = tmp_path / "probe.duckdb"
    run_dbt([*BUILD, *STANDING_WEIGHTS, "--select", "+int_prosecution_reviews_linked"],
            settings, probe)
    with duckdb.connect(str(probe), read_only=True) as con:
        review, proc_case_no, token, case_a, received = con.execute(
            "select r._row_id, r.proc_case_no, r.id_token, r.person_case_id, s.received_date "
            "from intermediate.int_prosecution_reviews_linked as r "
            "join staging.stg_procuratorate__prosecution_reviews as s on s._row_id = r._row_id "
            "where r.link_method = 'declared_key' order by r._row_id limit 1").fetchone()
        # another person's police case whose window holds the review: made the same person's
        suspect, = con.execute(
            "select _row_id from intermediate.int_police_person_cases "
            "where person_case_id <> ? and id_token <> ? "
            "and ? between filed_date - 7 and filed_date + 1095 "
            "order by _row_id limit 1", [case_a, token, received]).fetchone()
    _redeliver(settings.raw, "police", "suspects", suspect, "id_token", f"'{token}'")
    _redeliver(settings.raw, "procuratorate", "prosecution_reviews", review, "police_case_no",
               "cast(null as varchar)")
    yesterday = tmp_path / "yesterday.duckdb"
    run_dbt([*BUILD, *STANDING_WEIGHTS], settings, yesterday)
    taken, method, taken_key = _review_link(yesterday, proc_case_no)
    assert method == "person_token_window", (taken, method)
    with duckdb.connect(str(yesterday), read_only=True) as con:
        as_of = con.execute("select as_of_date from intermediate.int_as_of_date").fetchone()[0]
    # a new review (another 部门受案号) of the same person names the case the old one took,
    # delivered for the as-of date (an earlier date would recompute the weights: everything
    # would be relinked)
    _redeliver(settings.raw, "procuratorate", "prosecution_reviews", review, "police_case_no",
               f"'{taken_key}'", business_date=str(as_of),
               also={"proc_case_no": "proc_case_no || '-2'"}, batch_no=2)
    today, full = _daily_and_rebuild(settings, tmp_path, yesterday)

    assert _review_link(today, f"{proc_case_no}-2")[:2] == (taken, "declared_key")
    moved_to, method, _ = _review_link(today, proc_case_no)
    assert moved_to != taken and method == "person_token_window"
    for hop in LINKING_HOPS:
        assert _rows(today, hop) == _rows(full, hop), hop
    report = compare_marts(today, full)
    assert report.ok, report.summary()
    with duckdb.connect(str(today), read_only=True) as con:
        weights = con.execute("select distinct computed_in_build "
                              "from intermediate.int_name_frequencies").fetchall()
    assert weights == [("yesterday",)], "the weights were recomputed: everything relinked"


def test_a_review_not_relinked_keeps_its_police_case_from_one_that_is(tmp_path):
    """`kept_claims` (the prosecution hop, one_to_one). Review R1 names police case A by
    declared key; R2, the same person's other review, lost its police case number and took
    the person's other case B because R1 claims A, though A is nearer. Today a police record
    sharing a name and birth date with R2, not with R1 (R1's name was mistyped), changes:
    R2 is relinked and R1 is not. R1's claim must still keep A from R2, as in a rebuild."""
    settings = _generated_and_ingested(tmp_path)
    probe = tmp_path / "probe.duckdb"
    run_dbt([*BUILD, *STANDING_WEIGHTS, "--select", "+int_prosecution_reviews_linked"],
            settings, probe)
    with duckdb.connect(str(probe), read_only=True) as con:
        review, proc_case_no, token, case_a, received, birth, region, filed_a = con.execute(
            "select r._row_id, r.proc_case_no, r.id_token, r.person_case_id, s.received_date, "
            "s.id_birth_date, s.id_region_code, p.filed_date "
            "from intermediate.int_prosecution_reviews_linked as r "
            "join staging.stg_procuratorate__prosecution_reviews as s on s._row_id = r._row_id "
            "join intermediate.int_police_person_cases as p on p.person_case_id = r.person_case_id "
            "where r.link_method = 'declared_key' and s.id_birth_date is not null "
            "order by r._row_id limit 1").fetchone()
        name_token, pinyin_token = con.execute(
            "select name_token, name_pinyin_token "
            "from staging.stg_procuratorate__prosecution_reviews where _row_id = ?",
            [review]).fetchone()
        # B: another person's police case in the review's window, farther than A, made his
        suspect_b, = con.execute(
            "select _row_id from intermediate.int_police_person_cases "
            "where person_case_id <> ? and id_token <> ? "
            "and ? between filed_date - 7 and filed_date + 1095 "
            "and abs(? - filed_date) > abs(? - ?) "
            "order by _row_id limit 1",
            [case_a, token, received, received, received, filed_a]).fetchone()
        # T: a third person in another county, given R2's name and birth date
        suspect_t, = con.execute(
            "select _row_id from intermediate.int_police_person_cases "
            "where person_case_id <> ? and id_token <> ? and _row_id <> ? "
            "and region_code <> ? order by _row_id limit 1",
            [case_a, token, suspect_b, region]).fetchone()
        other_name = con.execute(
            "select name_token, name_pinyin_token "
            "from staging.stg_procuratorate__prosecution_reviews "
            "where name_token <> ? and name_pinyin_token <> ? limit 1",
            [name_token, pinyin_token]).fetchone()
    _redeliver(settings.raw, "police", "suspects", suspect_b, "id_token", f"'{token}'")
    as_r2 = {"name_pinyin_token": f"'{pinyin_token}'", "birth_date": f"date '{birth}'",
             "id_birth_date": f"date '{birth}'"}
    _redeliver(settings.raw, "police", "suspects", suspect_t, "name_token", f"'{name_token}'",
               also=as_r2, batch_no=2)
    # R1: the review with its name mistyped; R2: the same person's review, key lost
    _redeliver(settings.raw, "procuratorate", "prosecution_reviews", review, "name_token",
               f"'{other_name[0]}'", also={"name_pinyin_token": f"'{other_name[1]}'"})
    _redeliver(settings.raw, "procuratorate", "prosecution_reviews", review, "police_case_no",
               "cast(null as varchar)", also={"proc_case_no": "proc_case_no || '-2'"},
               batch_no=2)
    yesterday = tmp_path / "yesterday.duckdb"
    run_dbt([*BUILD, *STANDING_WEIGHTS], settings, yesterday)
    case_b = _review_link(yesterday, f"{proc_case_no}-2")[:2]
    assert _review_link(yesterday, proc_case_no)[:2] == (case_a, "declared_key")
    assert case_b[1] == "person_token_window" and case_b[0] != case_a, case_b
    with duckdb.connect(str(yesterday), read_only=True) as con:
        as_of = con.execute("select as_of_date from intermediate.int_as_of_date").fetchone()[0]
    # today T moves to yet another county: the blocks of R2's name and birth date are touched
    _redeliver(settings.raw, "police", "suspects", suspect_t, "name_token", f"'{name_token}'",
               also={**as_r2, "id_region_code": "case when id_region_code = '330102' "
                                                "then '330103' else '330102' end"},
               business_date=str(as_of), batch_no=3)
    today, full = _daily_and_rebuild(settings, tmp_path, yesterday)

    with duckdb.connect(str(today), read_only=True) as con:
        # the hop's change log holds the rows it relinked
        relinked = con.execute(
            "select distinct proc_case_no "
            "from intermediate.int_prosecution_reviews_linked__changes "
            "where proc_case_no in (?, ?)", [proc_case_no, f"{proc_case_no}-2"]).fetchall()
    assert relinked == [(f"{proc_case_no}-2",)], relinked
    assert _review_link(today, f"{proc_case_no}-2")[:2] == case_b
    for hop in LINKING_HOPS:
        assert _rows(today, hop) == _rows(full, hop), hop
