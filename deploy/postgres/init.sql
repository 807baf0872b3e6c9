-- Airflow metadata database for Shared Exchange (PostgreSQL 13+; tested here with 15).
-- Run once as a superuser: psql -v airflow_password="$(cat /run/secrets/airflow/db_password)" -f init.sql
-- The password comes from the secret store at run time; it is never written in this file.
-- Holds only Airflow state (DAG runs, task instances, XCom with counts and paths): no case data.

CREATE ROLE airflow LOGIN PASSWORD :'airflow_password';
CREATE DATABASE airflow OWNER airflow ENCODING 'UTF8' TEMPLATE template0;
REVOKE ALL ON DATABASE airflow FROM PUBLIC;
GRANT CONNECT, TEMPORARY ON DATABASE airflow TO airflow;

\connect airflow
-- PostgreSQL 15+ no longer lets every role create in public; Airflow's migrations need it.
ALTER SCHEMA public OWNER TO airflow;
REVOKE ALL ON SCHEMA public FROM PUBLIC;

-- Airflow's docs recommend UTC for the metadata DB session; local time is set in airflow.cfg.
ALTER ROLE airflow SET timezone TO 'UTC';
-- A runaway UI query must not hold locks the scheduler needs.
ALTER ROLE airflow SET statement_timeout TO '5min';
ALTER ROLE airflow SET idle_in_transaction_session_timeout TO '10min';
