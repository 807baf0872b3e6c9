"""The dbt warehouse: run the project (run_dbt) and score identity linking against ground truth."""

from shared_exchange.warehouse.dbt import DBT_PROJECT_DIR, DbtRunError, run_dbt

__all__ = ["DBT_PROJECT_DIR", "DbtRunError", "run_dbt"]
