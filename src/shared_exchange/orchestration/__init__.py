"""Airflow orchestration: DAG builders, the tasks they call, the runner behind `run`."""
