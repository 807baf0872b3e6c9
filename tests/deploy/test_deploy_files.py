"""deploy/ is consistent with the DAGs and with Airflow, and holds no secret in clear."""

from __future__ import annotations

import configparser
import importlib.util
import json
import re
from pathlib import Path

import pytest
import yaml

from shared_exchange.config import PROJECT_ROOT
from shared_exchange.orchestration.airflow_env import dags_folder

pytest.importorskip("airflow")
DEPLOY = PROJECT_ROOT / "deploy"
CONFIGS = sorted((DEPLOY / "airflow").glob("airflow.cfg.*"))
# sections that come from providers not installed in the project's venv
PROVIDER_SECTIONS = {"celery", "kubernetes_executor"}
PROVIDER_SECRETS = {("celery", "broker_url"), ("celery", "result_backend")}
SECRET_LIKE = re.compile(r"://[^/\s:@]+:[^/\s@]+@|password\s*=|BEGIN [A-Z ]*PRIVATE KEY", re.I)


def _policy():
    spec = importlib.util.spec_from_file_location(
        "airflow_local_settings_under_test", DEPLOY / "airflow" / "airflow_local_settings.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def dagbag(tmp_path_factory):
    import os

    os.environ.setdefault("AIRFLOW_HOME", str(tmp_path_factory.mktemp("airflow")))
    from airflow.dag_processing.dagbag import DagBag

    return DagBag(dag_folder=str(dags_folder()))


def test_every_task_lands_in_a_declared_pool(dagbag):
    policy, pools = _policy(), json.loads((DEPLOY / "airflow" / "pools.json").read_text())
    assert pools["warehouse_writer"]["slots"] == 1  # one DuckDB writer, by construction
    assert dagbag.dags, dagbag.import_errors
    for dag in dagbag.dags.values():
        for task in dag.tasks:
            policy.task_policy(task)
            assert task.pool in pools, f"{dag.dag_id}.{task.task_id} → undeclared {task.pool}"
            warehouse = dag.dag_id in ("build_warehouse", "security_report")
            assert (task.queue == "warehouse") == warehouse, (dag.dag_id, task.queue)
    for source in ("police", "procuratorate", "court", "justice"):
        assert {t.pool for t in dagbag.dags[f"ingest_{source}"].tasks} == {f"ingest_{source}"}


def test_an_explicit_pool_wins_over_the_policy():
    class Task:
        dag_id, pool, queue = "ingest_court", "court_backfill", "default"

    task = Task()
    _policy().task_policy(task)
    assert task.pool == "court_backfill"


@pytest.mark.parametrize("path", CONFIGS, ids=lambda p: p.name)
def test_airflow_cfg_names_real_options_and_no_secrets(path: Path):
    from airflow.configuration import conf

    text = path.read_text(encoding="utf-8")
    assert not SECRET_LIKE.search(text), f"{path.name} looks like it holds a secret"
    parser = configparser.ConfigParser(interpolation=None)
    parser.read_string(text)
    known = conf.configuration_description
    sensitive = set(conf.sensitive_config_values) | PROVIDER_SECRETS
    for section in parser.sections():
        for option in parser.options(section):
            base = option.removesuffix("_cmd")
            if base == option and (section, option.removesuffix("_secret")) in sensitive:
                base = option.removesuffix("_secret")  # the secrets-backend form
            if (section, base) in sensitive:
                assert option != base, f"{path.name}: [{section}] {option} in clear; use _cmd"
            if section not in PROVIDER_SECTIONS:
                assert base in known.get(section, {}).get("options", {}), \
                    f"{path.name}: [{section}] {option} is not an Airflow option"


def test_helm_values_parse_and_reference_secrets_by_name_only():
    text = (DEPLOY / "airflow" / "values-kubernetes.yaml").read_text(encoding="utf-8")
    values = yaml.safe_load(text)
    assert values["executor"] == "KubernetesExecutor"
    assert not SECRET_LIKE.search(text)
    for key in ("fernetKeySecretName", "jwtSecretName", "apiSecretKeySecretName"):
        assert isinstance(values[key], str)
    kek = next(v for v in values["volumes"] if v["name"] == "shared-exchange-kek")
    assert kek["secret"]["defaultMode"] & 0o077 == 0  # the keyring refuses a readable KEK
