"""Column lineage over the compiled models: no column is declared below its inputs (就高从严).

For every model, sqlglot traces each output column of the compiled SQL back to the
columns of the relations it reads (sources, staging, intermediate models). A column's
effective level is the highest of its own declared level and its inputs' effective
levels, recursively down to the sources; a declared level below its inputs' is a
:class:`Violation` that names the lineage path. Counts are the one derivation that
declassifies: ``count(…)`` reveals how many, never which, so a count's inputs do not
raise its level (documented in docs/security.md). Output columns with no YAML meta are
violations too.

Run after ``dbt compile``; exit status 1 on any violation::

    python -m shared_exchange.security.lineage dbt_project/target/manifest.json
"""

from __future__ import annotations

import argparse
import logging
import re
import sys
from functools import cache
from pathlib import Path
from typing import Any

import sqlglot
from sqlglot import exp
from sqlglot.errors import SqlglotError
from sqlglot.lineage import Node, lineage
from sqlglot.optimizer.qualify import qualify

from shared_exchange.security.classification import (
    Catalog,
    DatasetMeta,
    Violation,
    catalog_from_manifest,
    check_classification,
    level_rank,
    load_manifest,
)

__all__ = ["check_lineage", "main"]

log = logging.getLogger(__name__)
DIALECT = "duckdb"
_RAW_PATH = re.compile(r"/raw/([^/]+)/([^/]+)/")


def _relation_key(parts: list[str]) -> str:
    return ".".join(p.strip('"').lower() for p in parts if p)


class _Lineage:
    def __init__(self, manifest: dict[str, Any], compiled_dir: Path | None) -> None:
        self.manifest = manifest
        self.catalog: Catalog = catalog_from_manifest(manifest)
        self.compiled_dir = compiled_dir
        self.by_relation: dict[str, str] = {}
        for ds in self.catalog.datasets.values():
            if ds.relation and "(" not in ds.relation:  # external sources: see _parse
                self.by_relation[_relation_key(ds.relation.split("."))] = ds.name
        # Seeds are project lookups (house style): general unless their YAML says more.
        self.seeds: dict[str, dict[str, str]] = {}
        for node in manifest.get("nodes", {}).values():
            if node.get("resource_type") == "seed" and node.get("relation_name"):
                name = f"seed:{node['name']}"
                self.by_relation[_relation_key(node["relation_name"].split("."))] = name
                self.seeds[name] = {c: (col.get("meta") or {}).get("level", "general")
                                    for c, col in (node.get("columns") or {}).items()}
        self.violations: list[Violation] = []
        self._graph: dict[str, dict[str, list[tuple[str, str]]]] = {}

    # -- compiled SQL, with raw-layer table functions turned back into their sources --
    def _compiled(self, ds: DatasetMeta) -> str | None:
        node = next((n for n in self.manifest.get("nodes", {}).values()
                     if n.get("resource_type") == "model" and n["name"] == ds.name), {})
        if node.get("compiled_code"):
            return node["compiled_code"]
        if self.compiled_dir and ds.compiled_path:
            rel = Path(ds.compiled_path)
            rel = Path(*rel.parts[2:]) if rel.parts[:2] == ("target", "compiled") else rel
            path = self.compiled_dir / rel
            if path.exists():
                return path.read_text(encoding="utf-8")
        return None

    def _parse(self, sql: str) -> exp.Expression:
        tree = sqlglot.parse_one(sql, read=DIALECT)
        for table in list(tree.find_all(exp.Table)):
            if isinstance(table.this, exp.Func):
                path = table.this.find(exp.Literal)
                found = _RAW_PATH.search(path.this) if path is not None else None
                if found and f"{found[1]}.{found[2]}" in self.catalog.datasets:
                    alias = table.alias or found[2]
                    table.replace(exp.table_(f"{found[1]}__{found[2]}", db="raw_layer",
                                             catalog="raw", alias=alias))
                    self.by_relation[f"raw.raw_layer.{found[1]}__{found[2]}"] = \
                        f"{found[1]}.{found[2]}"
                elif table.this.find(exp.Column) is None:
                    self._generated(table)
        _name_duplicate_projections(tree)
        _align_unions_by_name(tree, self._schema())
        return tree

    def _generated(self, table: exp.Table) -> None:
        """A table function that reads no column (``range(date '2019-01-01', …) as t(d)``).

        It generates values from literals alone, so it is a constant relation of level
        general, like a seed; left as it is, sqlglot cannot name it and it would grade up
        to core as an unknown relation.
        """
        alias = table.args.get("alias")
        columns = [c.name.lower() for c in alias.columns] if alias is not None else []
        function = (table.this.sql_name() if not isinstance(table.this, exp.Anonymous)
                    else table.this.name).lower()
        name = f"{function}_{len(self.seeds)}"
        self.seeds[f"generated:{name}"] = {c: "general" for c in columns or [function]}
        self.by_relation[f"const.generated.{name}"] = f"generated:{name}"
        replacement = exp.table_(name, db="generated", catalog="const")
        if alias is not None:
            replacement.set("alias", alias.copy())
        table.replace(replacement)

    def _schema(self) -> dict[str, Any]:
        schema: dict[str, Any] = {}
        for key, name in self.by_relation.items():
            parts = key.split(".")
            if name in self.seeds:
                cols = {c: "TEXT" for c in self.seeds[name]}
            else:
                cols = {c: (m.data_type or "TEXT") for c, m in
                        self.catalog.datasets[name].columns.items()}
            if not cols:
                continue
            node = schema
            for part in parts[:-1]:
                node = node.setdefault(part, {})
            node[parts[-1]] = cols
        return schema

    # -- per-model graph: output column → [(input dataset, input column)] --
    def inputs(self, model: str) -> dict[str, list[tuple[str, str]]]:
        if model in self._graph:
            return self._graph[model]
        ds = self.catalog.datasets[model]
        self._graph[model] = {}
        sql = self._compiled(ds)
        if sql is None:
            self.violations.append(Violation("lineage", f"{ds.path} (model {model})",
                                             "no compiled SQL; run `dbt compile` first"))
            return {}
        try:
            tree = self._parse(sql)
            nodes = lineage(None, tree, self._schema(), dialect=DIALECT)
        except SqlglotError as exc:
            self.violations.append(Violation(
                "lineage", f"{ds.path} (model {model})",
                f"sqlglot could not trace the compiled SQL: {str(exc).splitlines()[0]}"))
            return {}
        graph = {name.lower(): self._leaves(node) for name, node in nodes.items()}
        for column in sorted(set(graph) - set(ds.columns)):
            self.violations.append(Violation(
                "undocumented", f"{ds.path} (model {model})",
                f"column {column} is produced by the SQL but has no meta level/pi"))
        self._graph[model] = graph
        return graph

    def _leaves(self, node: Node) -> list[tuple[str, str]]:
        found: list[tuple[str, str]] = []
        stack = [node]
        while stack:
            current = stack.pop()
            expr = current.expression
            if isinstance(expr, exp.Alias) and _only_counted(expr.this):
                continue  # a count reveals how many, not which: it does not inherit
            if isinstance(expr, exp.Table):
                parts = [expr.text("catalog"), expr.text("db"), expr.name]
                dataset = self.by_relation.get(_relation_key(parts))
                if dataset is None:
                    dataset = self.by_relation.get(_relation_key(parts[1:]), f"?{parts[-1]}")
                found.append((dataset, current.name.split(".")[-1].strip('"').lower()))
            stack.extend(current.downstream)
        return found

    # -- effective levels --
    def _declared(self, dataset: str, column: str) -> str:
        if dataset in self.seeds:
            return self.seeds[dataset].get(column, "general")
        ds = self.catalog.datasets.get(dataset)
        if ds is None:
            return "core"  # an unknown relation is graded up (就高从严)
        meta = ds.columns.get(column)
        return meta.level if meta is not None and meta.level else ds.level

    @cache  # noqa: B019 - one instance per check run
    def effective(self, dataset: str, column: str) -> tuple[str, tuple[str, ...]]:
        """(effective level, path from this column to the input that sets it)."""
        own = self._declared(dataset, column)
        best = (own, (f"{dataset}.{column} ({own})",))
        ds = self.catalog.datasets.get(dataset)
        if ds is None or ds.kind != "model":
            return best
        for src, src_col in self.inputs(dataset).get(column, []):
            if src == dataset:
                continue  # an incremental model's own earlier rows: no new input
            level, path = self.effective(src, src_col)
            # Ties extend a path that stops at this column, so it names the origin.
            if level_rank(level) > level_rank(best[0]) or (
                    len(best[1]) == 1 and level_rank(level) == level_rank(best[0])):
                best = (level, (f"{dataset}.{column} ({own})", *path))
        return best

    def check(self) -> list[Violation]:
        for ds in sorted(self.catalog.datasets.values(), key=lambda d: d.name):
            if ds.kind != "model":
                continue
            for column, srcs in self.inputs(ds.name).items():
                declared = self._declared(ds.name, column)
                # the highest input (ties: the first in name order), so one raise fixes it
                traced = sorted((self.effective(src, src_col) for src, src_col in set(srcs)),
                                key=lambda found: (-level_rank(found[0]), found[1]))
                if traced and level_rank(traced[0][0]) > level_rank(declared):
                    level, path = traced[0]
                    chain = " ← ".join((f"{ds.name}.{column} ({declared})", *path))
                    self.violations.append(Violation(
                        "lineage", f"{ds.path} (model {ds.name})",
                        f"column {column} is declared {declared} but its lineage is "
                        f"{level}: {chain}; raise its meta.level to {level}"))
        return self.violations


def _only_counted(expr: exp.Expression) -> bool:
    """True when every column the expression reads is inside a ``count(…)``.

    ``count(x)``, ``greatest(count(distinct x), 1)`` or ``count(x) / count(y)`` reveal how
    many, never which; anything reading a column outside a count (``count(x) + y``, a
    ``FILTER (WHERE …)`` or a CASE around the count) inherits as usual.
    """
    columns = list(expr.find_all(exp.Column))
    return bool(columns) and all(c.find_ancestor(exp.Count) is not None for c in columns)


def _name_duplicate_projections(tree: exp.Expression) -> None:
    """Give a projection whose output name repeats an earlier one a positional name.

    ``select id, cast(null as text), cast(null as text) from t`` is valid (set operations
    and ``select *`` are positional), but sqlglot names both casts ``null`` and its star
    expansion keeps one, so a UNION over the CTE loses a column. ``_col_<i>`` is the name
    sqlglot itself gives an unnamed projection; the first occurrence keeps its name.
    """
    for select in tree.find_all(exp.Select):
        seen: set[str] = set()
        for i, projection in enumerate(select.expressions):
            name = projection.alias_or_name.lower()
            if isinstance(projection, exp.Star) or not name:
                continue
            if name in seen:
                body = projection.this if isinstance(projection, exp.Alias) else projection
                projection.replace(exp.alias_(body.copy(), f"_col_{i}"))
            seen.add(name)


def _union_leaves(union: exp.SetOperation) -> list[exp.Expression]:
    """The branches of a chain of the same BY NAME set operation, left to right."""
    out: list[exp.Expression] = []
    for side in (union.this, union.expression):
        same = (isinstance(side, type(union)) and side.args.get("by_name")
                and side.args.get("distinct") == union.args.get("distinct"))
        out.extend(_union_leaves(side) if same else [side])
    return out


def _align_unions_by_name(tree: exp.Expression, schema: dict[str, Any]) -> None:
    """Rewrite ``UNION [ALL] BY NAME`` (DuckDB) as the positional union it means.

    sqlglot traces set operations by position; BY NAME matches branches by column name,
    takes the first branch's columns then new ones in order of appearance, and fills the
    missing ones with NULL. Each branch is qualified (with the CTEs before it) to learn
    its columns, then rewritten with explicit, aligned projections, so the lineage of
    every column follows the branch that really produces it.
    """
    outer = [u for u in tree.find_all(exp.SetOperation) if u.args.get("by_name")
             and not (isinstance(u.parent, type(u)) and u.parent.args.get("by_name"))]
    for union in outer:
        leaves = _union_leaves(union)
        qualified = [_qualified_branch(tree, leaf, schema) for leaf in leaves]
        names: list[str] = []
        for branch in qualified:
            names += [n for n in (s.alias_or_name for s in branch.selects) if n not in names]
        aligned: list[exp.Expression] = []
        for branch in qualified:
            by_name = {s.alias_or_name: s for s in branch.selects}
            branch.set("expressions", [by_name.get(n) or exp.alias_(exp.null(), n)
                                       for n in names])
            aligned.append(branch)
        rebuilt = aligned[0]
        for branch in aligned[1:]:
            rebuilt = type(union)(this=rebuilt, expression=branch,
                                  distinct=union.args.get("distinct"))
        union.replace(rebuilt)


def _qualified_branch(tree: exp.Expression, leaf: exp.Expression,
                      schema: dict[str, Any]) -> exp.Select:
    """One set-operation branch with its stars expanded, qualified in its CTE context."""
    branch = leaf.copy()
    with_ = tree.args.get("with_")
    cte = leaf.find_ancestor(exp.CTE)
    if with_ is not None:
        before = with_.expressions
        if cte is not None and cte in before:
            before = before[:before.index(cte)]
        if before:
            branch.set("with_", exp.With(expressions=[c.copy() for c in before]))
    branch = qualify(branch, schema=schema, dialect=DIALECT, validate_qualify_columns=False,
                     identify=False)
    if not isinstance(branch, exp.Select):
        raise SqlglotError(f"UNION BY NAME branch is not a plain SELECT: {leaf.sql()[:80]}")
    branch.set("with_", None)
    return branch


def check_lineage(manifest: dict[str, Any], compiled_dir: str | Path | None = None
                  ) -> list[Violation]:
    """Every model column whose declared level is below its lineage, with the path."""
    return _Lineage(manifest, Path(compiled_dir) if compiled_dir else None).check()


def main(argv: list[str] | None = None) -> int:
    """Classification + lineage check for the build; exit 1 on any violation."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("manifest", type=Path, help="target/manifest.json after dbt compile")
    parser.add_argument("--compiled-dir", type=Path, default=None,
                        help="target/compiled (only when the manifest lacks compiled_code)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    manifest = load_manifest(args.manifest)
    found = check_classification(manifest) + check_lineage(manifest, args.compiled_dir)
    for violation in found:
        log.error("%s", violation)
    log.info("classification and lineage: %d violation(s)", len(found))
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
