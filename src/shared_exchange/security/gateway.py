"""The analysts' SQL gateway: check, rewrite onto secure views, run read-only, audit (§3).

Every published mart a query names is replaced by a *secure view* built for the caller: a
subquery that projects each column in the form the role may see (clear, masked by
:mod:`masking`'s SQL, or not at all) and filters the rows (own region for case officers;
sealed juvenile rows only with ``sealed_access`` and a legal purpose). A query therefore
never touches a clear value it may not see, whatever it does with it: a filter, join,
GROUP BY, ORDER BY or CTE over a masked column sees the masked form only, and a count over
sealed rows counts none of them. Everything else is refused by :mod:`sql_guard` or here.
Each decision (allowed, rewritten, denied) is an audit event.
"""

from __future__ import annotations

import logging
import secrets
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
from sqlglot import exp
from sqlglot.errors import OptimizeError, SqlglotError
from sqlglot.optimizer.qualify import qualify
from sqlglot.optimizer.scope import traverse_scope

from shared_exchange.config import PROJECT_ROOT, Settings
from shared_exchange.duck import connect
from shared_exchange.security.classification import Catalog, load_catalog
from shared_exchange.security.gateway_audit import record_decision
from shared_exchange.security.policy import Policy, load_policy
from shared_exchange.security.secure_views import (
    Access,
    SecureView,
    build_view,
    check_access,
)
from shared_exchange.security.sql_guard import (
    DIALECT,
    QueryRefused,
    fingerprint,
    parse_read_query,
)

__all__ = ["Gateway", "QueryRefused", "QueryResult", "connect_read_only"]

log = logging.getLogger(__name__)

READ_ONLY_CONFIG: dict[str, Any] = {
    "enable_external_access": False,  # no files, no ATTACH, no httpfs, no COPY TO
    "autoload_known_extensions": False,
    "autoinstall_known_extensions": False,
    "allow_community_extensions": False,
    "allow_unsigned_extensions": False,
    "lock_configuration": True,  # a SET that slipped through could not loosen the above
}


@dataclass(frozen=True)
class QueryResult:
    columns: list[str]
    rows: list[tuple[Any, ...]]
    decision: str  # "allowed" | "rewritten"
    rewritten_sql: str
    fingerprint: str
    truncated: bool = False
    masked_columns: tuple[str, ...] = ()
    datasets: tuple[str, ...] = ()


@dataclass
class _Plan:
    sql: str
    views: dict[str, SecureView] = field(default_factory=dict)
    columns: set[str] = field(default_factory=set)

    @property
    def rewritten(self) -> bool:
        return any(v.rewrites for v in self.views.values())

    @property
    def masked(self) -> list[str]:
        return sorted(c for c in self.columns
                      if self.views[c.split(".")[0]].forms.get(c.split(".", 1)[1], "clear")
                      != "clear")

    @property
    def sealed(self) -> bool:
        return any(v.sealed_visible for v in self.views.values())


def connect_read_only(database: Path, memory_limit: str = "4GB") -> duckdb.DuckDBPyConnection:
    """A read-only connection with external access and extension loading disabled, and
    DuckDB's memory bounded (its default is 80 % of the machine)."""
    return connect(database, read_only=True, memory_limit=memory_limit, config=READ_ONLY_CONFIG)


class Gateway:
    """``Gateway(settings).query(sql, actor=…, role=…, purpose=…)`` → :class:`QueryResult`."""

    def __init__(self, settings: Settings, policy: Policy | None = None, *,
                 catalog: Catalog | None = None, database: Path | None = None) -> None:
        self.settings = settings
        self.policy = policy or load_policy()
        self.catalog = catalog or load_catalog(PROJECT_ROOT / "dbt_project")
        self._database = database
        self._lock = threading.Lock()
        self._conn: duckdb.DuckDBPyConnection | None = None
        self._conn_target: Path | None = None
        self._tables: dict[str, tuple[str, dict[str, str]]] = {}
        self._views: dict[tuple[str, str | None, bool, str], SecureView] = {}

    # -- connection to the current published build --
    def _connection(self) -> duckdb.DuckDBPyConnection:
        target = Path(self._database or self.settings.published_db).resolve()
        with self._lock:
            if self._conn is None or target != self._conn_target:
                if not target.exists():
                    raise QueryRefused(f"no published warehouse at {target}; publish a build "
                                       "first", "unavailable")
                if self._conn is not None:
                    self._conn.close()
                self._conn = connect_read_only(target, self.settings.duckdb_memory_limit)
                self._conn_target = target
                self._tables = self._published_tables(self._conn)
                self._views.clear()
            return self._conn

    def _published_tables(self, conn: duckdb.DuckDBPyConnection
                          ) -> dict[str, tuple[str, dict[str, str]]]:
        """dataset → (quoted relation, {column: type}) for the policy's datasets."""
        rows = conn.execute(
            "SELECT table_schema, table_name, column_name, data_type "
            "FROM information_schema.columns ORDER BY table_schema = 'main' DESC, "
            "table_schema, table_name, ordinal_position").fetchall()
        found: dict[str, tuple[str, dict[str, str]]] = {}
        chosen_schema: dict[str, str] = {}
        for schema, table, column, dtype in rows:
            name = table.lower()
            if name not in self.policy.datasets:
                continue
            if chosen_schema.setdefault(name, schema) != schema:
                continue  # the same name in a second schema: 'main' wins, else the first
            relation = exp.table_(table, db=schema, quoted=True).sql(DIALECT)
            found.setdefault(name, (relation, {}))[1][column] = dtype
        return found

    # -- planning --
    def _plan(self, tree: exp.Query, *, role: str, purpose: str, region: str | None,
              privileges: tuple[str, ...]) -> _Plan:
        access = check_access(self.policy, role=role, purpose=purpose, region=region,
                              privileges=privileges)
        self._connection()
        scopes = traverse_scope(tree)
        selected = [pair for scope in scopes for pair in scope.selected_sources.values()]
        base = [src for _, src in selected if isinstance(src, exp.Table)]
        seen = {id(node) for node, _ in selected} | {id(t) for t in base}
        if any(id(t) not in seen for t in tree.find_all(exp.Table)):
            raise QueryRefused("a table reference the gateway cannot place in the query's "
                               "scopes; simplify the query", "scope")
        plan = _Plan(sql="")
        for table in base:
            name = self._dataset_name(table)
            if name not in plan.views:
                plan.views[name] = self._view(access, name)
            table.set("db", None)
            table.set("catalog", None)
        schema = {name: view.visible_types for name, view in plan.views.items()}
        try:
            tree = qualify(tree, schema=schema, dialect=DIALECT, validate_qualify_columns=True,
                           quote_identifiers=True, identify=True)
        except (OptimizeError, SqlglotError) as exc:
            raise QueryRefused(f"{str(exc).splitlines()[0]} — the column is hidden for role "
                               f"{role} or does not exist in the published marts",
                               "column") from None
        nonce = secrets.token_hex(8)
        placeholders: dict[str, str] = {}
        for scope in traverse_scope(tree):
            for alias, (_, src) in scope.selected_sources.items():
                if not isinstance(src, exp.Table):
                    continue
                name = src.name.lower()
                plan.columns.update(f"{name}.{c.name}" for c in scope.columns
                                    if c.table == alias)
                key = f"__sx_{nonce}_{len(placeholders)}"
                placeholders[key] = plan.views[name].sql
                src.replace(exp.Subquery(this=exp.to_identifier(key),
                                         alias=exp.TableAlias(this=exp.to_identifier(
                                             alias, quoted=True))))
        sql = tree.sql(dialect=DIALECT, comments=False)
        for key, view_sql in placeholders.items():
            sql = sql.replace(f"({key})", f"({view_sql})", 1)
        plan.sql = sql
        return plan

    def _view(self, access: Access, name: str) -> SecureView:
        """The secure view, built once per connection, access and dataset."""
        key = (access.role.name, access.region, access.sealed_visible, name)
        view = self._views.get(key)
        if view is None:
            relation, types = self._tables[name]
            view = build_view(self.policy, self.catalog, access, name, relation, types,
                              self._tables)
            if len(self._views) > 4096:
                self._views.clear()
            self._views[key] = view
        return view

    def _dataset_name(self, table: exp.Table) -> str:
        name = table.name.lower()
        db, catalog = table.text("db").lower(), table.text("catalog").lower()
        published = self._tables.get(name)
        schema_ok = not db or (published is not None and
                               published[0].lower().startswith(f'"{db}".'))
        if published is None or not schema_ok or catalog:
            raise QueryRefused(f"{table.sql(DIALECT)} is not a published mart; query one of "
                               f"{sorted(self._tables)}", "dataset")
        return name

    # -- running --
    def query(self, sql: str, *, actor: str, role: str, purpose: str,
              region: str | None = None, privileges: tuple[str, ...] | list[str] = (),
              max_rows: int = 1000, timeout_s: float = 10) -> QueryResult:
        """Check, rewrite, run and audit one query; QueryRefused (audited) when refused."""
        fp = fingerprint(sql)
        privileges = tuple(privileges)
        ctx = {"actor": actor, "role": role, "purpose": purpose, "region": region,
               "fingerprint": fp, "policy_version": self.policy.version}
        try:
            tree = parse_read_query(sql)
            plan = self._plan(tree, role=role, purpose=purpose, region=region,
                              privileges=privileges)
            columns, rows, truncated = self._run(plan.sql, max_rows, timeout_s)
        except QueryRefused as refused:
            record_decision(self.settings, ctx, "denied", refused.reason, rule=refused.rule)
            raise
        decision = "rewritten" if plan.rewritten else "allowed"
        record_decision(self.settings, ctx, decision, "", plan=plan, rows=len(rows))
        return QueryResult(columns, rows, decision, plan.sql, fp, truncated,
                           tuple(plan.masked), tuple(sorted(plan.views)))

    def _run(self, sql: str, max_rows: int, timeout_s: float
             ) -> tuple[list[str], list[tuple[Any, ...]], bool]:
        cursor = self._connection().cursor()
        timer = threading.Timer(timeout_s, cursor.interrupt)
        timer.start()
        try:
            result = cursor.execute(sql)
            rows = result.fetchmany(max_rows + 1)
            columns = [d[0] for d in result.description]
        except duckdb.InterruptException:
            raise QueryRefused(f"query ran longer than {timeout_s} s and was stopped; narrow "
                               "it or ask for a longer limit", "timeout") from None
        except duckdb.Error as exc:
            first = str(exc).splitlines()[0]
            raise QueryRefused(f"the query failed: {first}", "execution") from None
        finally:
            timer.cancel()
            cursor.close()
        return columns, rows[:max_rows], len(rows) > max_rows

    def close(self) -> None:
        with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None
