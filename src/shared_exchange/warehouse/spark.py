"""Run the dbt project on Apache Spark (dbt-spark, session method) for one home.

The same models as the DuckDB build, on the ``spark`` target of ``dbt_project/profiles.yml``.
Locally (tests, CI) a pyspark session is started in this process with everything it writes
under ``<home>/warehouse/spark/``: the warehouse (``spark.sql.warehouse.dir``), the Derby
metastore and its log (``derby.system.home``), scratch space and dbt's artefacts; nothing lands
in the working directory. With ``SPARK_REMOTE`` set (Spark Connect) no local session is
started and the endpoint's catalog is used. Needs the ``spark`` extra (dbt-spark[session])
and Java 17.
"""

from __future__ import annotations

import logging
import os
import shutil
import subprocess
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from shared_exchange.config import Settings
from shared_exchange.warehouse.compare import MART_KEYS
from shared_exchange.warehouse.dbt import run_dbt

if TYPE_CHECKING:
    from dbt.cli.main import dbtRunnerResult
    from pyspark.sql import SparkSession

__all__ = [
    "SPARK_SCHEMA", "export_marts", "load_exported_marts", "local_session", "run_dbt_spark",
    "spark_unavailable",
    "spark_warehouse_dir",
]

log = logging.getLogger(__name__)
SPARK_SCHEMA = "shared_exchange"  # the spark target's schema (profiles.yml): the marts


def spark_warehouse_dir(settings: Settings) -> Path:
    """Where a local Spark build keeps its tables, metastore and dbt artefacts."""
    return settings.warehouse / "spark"


def spark_unavailable() -> str | None:
    """Why Spark cannot run here (missing Java 17+, pyspark or dbt-spark), or None."""
    java = shutil.which("java")
    if java is None and not os.environ.get("JAVA_HOME"):
        return "no Java runtime on PATH (Spark 4 needs Java 17)"
    try:
        import dbt.adapters.spark  # noqa: F401
        import pyspark  # noqa: F401
    except ImportError as exc:
        return (f"{exc.name} is not installed: install the spark extra "
                "(uv pip install 'dbt-spark[session]>=1.11,<1.12')")
    if java is not None:
        out = subprocess.run([java, "-version"], capture_output=True, text=True, check=False)
        text = out.stderr + out.stdout
        major = _java_major(text)
        if major is not None and major < 17:
            return f"Java {major} found; Spark 4 needs Java 17 or newer"
    return None


def _java_major(version_text: str) -> int | None:
    for token in version_text.replace('"', " ").split():
        head = token.split(".")[0]
        if head.isdigit() and "." in token:
            major = int(head)
            return int(token.split(".")[1]) if major == 1 else major
    return None


def local_session(settings: Settings, *, cores: int = 2,
                  shuffle_partitions: int = 2) -> SparkSession:
    """The in-process Spark session for ``settings`` (created once per process).

    A Spark JVM's metastore location is fixed when it starts: a second home in the same
    process reuses the first session (and its metastore); the warehouse directory of the
    first home wins.
    """
    from pyspark.sql import SparkSession

    active = SparkSession.getActiveSession()
    if active is not None:
        return active
    root = spark_warehouse_dir(settings)
    metastore = root / "metastore"
    for folder in (root / "tables", metastore, root / "tmp"):
        folder.mkdir(parents=True, exist_ok=True)
    derby_url = f"jdbc:derby:;databaseName={(metastore / 'metastore_db').as_posix()};create=true"
    java_opts = (f"-Dderby.system.home={metastore.as_posix()} "
                 f"-Dderby.stream.error.file={(metastore / 'derby.log').as_posix()}")
    builder = (
        SparkSession.builder.master(f"local[{cores}]")
        .appName("shared-exchange-dbt")
        .config("spark.sql.warehouse.dir", (root / "tables").as_posix())
        .config("spark.hadoop.javax.jdo.option.ConnectionURL", derby_url)
        .config("spark.driver.extraJavaOptions", java_opts)
        .config("spark.local.dir", (root / "tmp").as_posix())
        .config("spark.sql.shuffle.partitions", str(shuffle_partitions))
        .config("spark.default.parallelism", str(cores))
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.sql.adaptive.enabled", "true")
        .enableHiveSupport()
    )
    session = builder.getOrCreate()
    session.sparkContext.setLogLevel("ERROR")
    log.info("local Spark %s session, warehouse %s", session.version, root)
    return session


def run_dbt_spark(
    args: list[str],
    settings: Settings,
    warehouse_dir: Path | None = None,
    *,
    register_sources: bool = True,
) -> dbtRunnerResult:
    """Invoke ``dbt <args> --target spark`` on the raw layer of ``settings``.

    Registers the raw layer as external Parquet tables first (``register_raw_sources``), so
    new batches are read. Starts a local session unless ``SPARK_REMOTE`` points at a Spark
    Connect endpoint. Raises DbtRunError like ``run_dbt``.
    """
    work = Path(warehouse_dir) if warehouse_dir else spark_warehouse_dir(settings)
    if not os.environ.get("SPARK_REMOTE"):
        local_session(settings)
    target = ["--target", "spark"]
    # run_dbt wants a DuckDB path for the profile's duckdb output; the spark target never
    # opens it, and nothing is created there.
    unused_db = work / "unused.duckdb"
    if register_sources:
        run_dbt(["run-operation", "register_raw_sources", *target], settings, unused_db,
                target_dir=work / "dbt")
    return run_dbt([*args, *target], settings, unused_db, target_dir=work / "dbt")


def export_marts(
    settings: Settings,
    out_dir: Path,
    marts: Sequence[str] = tuple(MART_KEYS),
    *,
    schema: str = SPARK_SCHEMA,
) -> Path:
    """Write each Spark mart as Parquet under ``out_dir/<mart>/`` (compare.compare_marts reads
    it); returns ``out_dir``."""
    from pyspark.sql import SparkSession

    session = SparkSession.getActiveSession()
    if session is None:
        remote = os.environ.get("SPARK_REMOTE")
        session = SparkSession.builder.getOrCreate() if remote else local_session(settings)
    out_dir = Path(out_dir)
    for mart in marts:
        # one file per mart: the marts are small and a single file reads back in order
        session.table(f"{schema}.{mart}").coalesce(1).write.mode("overwrite").parquet(
            (out_dir / mart).as_posix())
    return out_dir


def load_exported_marts(export_dir: Path, db_path: Path,
                        marts: Sequence[str] = tuple(MART_KEYS)) -> Path:
    """Copy exported Spark marts into a DuckDB file (schema ``main``), so the DuckDB-side
    tools — the mart gates, the gateway — can run on what Spark built; returns ``db_path``."""
    import duckdb

    db_path = Path(db_path)
    db_path.parent.mkdir(parents=True, exist_ok=True)
    with duckdb.connect(str(db_path)) as con:
        for mart in marts:
            files = (Path(export_dir) / mart).as_posix()
            con.execute(f'create or replace table main."{mart}" as '
                        f"select * from read_parquet('{files}/*.parquet')")
    return db_path
