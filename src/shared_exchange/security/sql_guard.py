"""Static checks on an analyst's SQL before the gateway plans it: one read query, nothing else.

The gateway never runs the text it was given: it runs SQL regenerated from the parsed tree
(comments dropped), so a trick the parser and DuckDB would read differently cannot pass.
What this module refuses, each with a rule name the audit log records:

- ``text``: control or invisible format characters (zero-width, bidi overrides, NUL);
- ``parse``: text sqlglot cannot parse as DuckDB SQL;
- ``statements``: more than one statement;
- ``statement``: anything but a read query (COPY, ATTACH, INSTALL, LOAD, PRAGMA, SET, DDL,
  DML, SELECT … INTO, CALL, USE, EXPORT …) — anywhere in the tree, not only at its root;
- ``function``: functions that read files, settings, the environment or other databases;
- ``table_function``: any function in FROM (read_csv, query_table, glob, range …).
"""

from __future__ import annotations

import hashlib
import unicodedata

import sqlglot
from sqlglot import exp
from sqlglot.errors import SqlglotError
from sqlglot.tokens import TokenType

__all__ = ["MAX_SQL_CHARS", "QueryRefused", "fingerprint", "parse_read_query"]

MAX_SQL_CHARS = 20_000
DIALECT = "duckdb"

_FORBIDDEN_NODES: tuple[type[exp.Expr], ...] = (
    exp.DDL, exp.DML, exp.Command, exp.Pragma, exp.Set, exp.Copy, exp.Attach, exp.Detach,
    exp.Install, exp.Use, exp.Describe, exp.Summarize, exp.Create, exp.Drop, exp.Insert,
    exp.Update, exp.Delete, exp.Merge, exp.Alter, exp.Export, exp.Transaction, exp.Commit,
    exp.Rollback, exp.Kill, exp.Into, exp.Analyze, exp.LoadData, exp.Grant, exp.Revoke,
    exp.Refresh, exp.TruncateTable, exp.Cache, exp.Uncache, exp.Show, exp.Execute,
    exp.Declare,
)
# Functions that reach outside the published marts (files, settings, environment, other
# databases, metadata of hidden objects). Prefixes catch families (read_json_auto, …).
_DENIED_PREFIXES = (
    "read_", "parquet_", "duckdb_", "pragma_", "sniff_", "iceberg_", "delta_", "sqlite_",
    "postgres_", "mysql_", "http", "write_", "icu_", "arrow_", "json_execute", "excel",
)
_DENIED_NAMES = frozenset({
    "glob", "getenv", "current_setting", "query", "query_table", "checkpoint",
    "force_checkpoint", "load", "install", "export", "import", "which_secret", "set_variable",
    "getvariable", "enable_profiling", "disable_profiling", "system", "shell", "ducklake",
    "to_json_file", "current_database", "current_schemas", "current_catalog", "has_table_privilege",
})
_LITERAL_TOKENS = frozenset(t for n, t in TokenType.__members__.items()
                            if n.endswith("STRING") and "LINE" not in n) | {TokenType.NUMBER}
_ALLOWED_CONTROL = {"\t", "\n", "\r"}


class QueryRefused(Exception):
    """The gateway refused a query; ``rule`` names the check, ``reason`` says what to do."""

    def __init__(self, reason: str, rule: str = "policy") -> None:
        super().__init__(reason)
        self.reason = reason
        self.rule = rule


def fingerprint(sql: str) -> str:
    """SHA-256 of the statement's shape: keywords upper, identifiers lower, literals as ``?``.

    Literals are dropped on purpose: a hash over ``WHERE id LIKE '3301…'`` would be an
    unkeyed hash of a near-ID, which baseline §2 forbids (brute-forced in hours).
    """
    try:
        tokens = sqlglot.tokenize(sql, read=DIALECT)
        parts = ["?" if t.token_type in _LITERAL_TOKENS else
                 (t.text.lower() if t.token_type in (TokenType.VAR, TokenType.IDENTIFIER)
                  else t.text.upper()) for t in tokens]
        shape = " ".join(parts)
    except (SqlglotError, ValueError):
        shape = f"<untokenisable:{len(sql)}>"
    return hashlib.sha256(shape.encode("utf-8")).hexdigest()


def _check_text(sql: str) -> None:
    if len(sql) > MAX_SQL_CHARS:
        raise QueryRefused(f"query is {len(sql)} characters; the limit is {MAX_SQL_CHARS}",
                           "text")
    for pos, ch in enumerate(sql):
        cat = unicodedata.category(ch)
        if (cat in ("Cc", "Cf", "Co", "Cs", "Zl", "Zp") and ch not in _ALLOWED_CONTROL):
            raise QueryRefused(f"character U+{ord(ch):04X} ({cat}) at position {pos} is not "
                               "allowed in a query; retype it without invisible characters",
                               "text")


def _function_name(node: exp.Func) -> str:
    if isinstance(node, exp.Anonymous):
        return str(node.name).lower()
    return node.sql_name().lower()


def parse_read_query(sql: str) -> exp.Query:
    """The one read query in ``sql``, or QueryRefused saying which rule it broke."""
    _check_text(sql)
    try:
        statements = [s for s in sqlglot.parse(sql, read=DIALECT) if s is not None]
    except SqlglotError as exc:
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise QueryRefused(f"could not parse the query as DuckDB SQL: {first}", "parse") from None
    if len(statements) != 1:
        raise QueryRefused(f"exactly one statement is allowed; found {len(statements)}",
                           "statements")
    tree = statements[0]
    if not isinstance(tree, exp.Query):
        raise QueryRefused(f"only read queries (SELECT) are allowed, not "
                           f"{type(tree).__name__.upper()}", "statement")
    for node in tree.walk():
        if isinstance(node, _FORBIDDEN_NODES):
            raise QueryRefused(f"{type(node).__name__.upper()} is not allowed inside a query",
                               "statement")
        if isinstance(node, exp.Table) and not isinstance(node.this, exp.Identifier):
            raise QueryRefused("functions in FROM (table functions such as read_csv) are "
                               "not allowed; query a published mart by name", "table_function")
        if isinstance(node, exp.Func):
            name = _function_name(node)
            if name in _DENIED_NAMES or name.startswith(_DENIED_PREFIXES):
                raise QueryRefused(f"function {name}() is not allowed through the gateway",
                                   "function")
    if tree.args.get("into") is not None:
        raise QueryRefused("SELECT … INTO is not allowed", "statement")
    return tree
