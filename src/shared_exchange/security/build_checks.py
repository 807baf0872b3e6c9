"""The build's classification gate: every column tagged, none below its lineage (就高从严)."""

from __future__ import annotations

import logging
from pathlib import Path

from shared_exchange.config import Settings
from shared_exchange.security.classification import check_classification, load_manifest
from shared_exchange.security.lineage import check_lineage

log = logging.getLogger(__name__)


class ClassificationError(RuntimeError):
    """The dbt project has untagged columns or columns declared below their lineage."""

    def __init__(self, violations: list) -> None:
        self.violations = violations
        listed = "\n".join(f"  - {v}" for v in violations[:25])
        more = f"\n  … and {len(violations) - 25} more" if len(violations) > 25 else ""
        super().__init__(
            f"classification check failed with {len(violations)} violation(s):\n{listed}{more}\n"
            "Fix the `meta: {level, pi}` in the model YAML (security-baseline §1)."
        )


def enforce_classification(settings: Settings, build_db: Path) -> int:
    """`dbt compile` the whole project into the build's target, then check tags and lineage."""
    from shared_exchange.warehouse.dbt import run_dbt

    run_dbt(["compile"], settings, build_db)
    manifest = load_manifest(settings.warehouse / "dbt" / "target" / "manifest.json")
    violations = check_classification(manifest) + check_lineage(manifest)
    if violations:
        raise ClassificationError(violations)
    log.info("classification and lineage: every column tagged, no level below its inputs")
    return 0
