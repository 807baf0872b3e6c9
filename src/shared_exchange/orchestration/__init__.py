"""Airflow orchestration: DAG builders, the tasks they call, and the runner behind `shared-exchange run`."""
