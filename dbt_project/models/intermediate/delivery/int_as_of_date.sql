-- The latest business date loaded from any department: open stages and findings are
-- judged as of this day (domain.md §3), never as of the wall clock.
{{ config(materialized='table') }}

select max(business_date) as as_of_date
from {{ ref('int_department_business_dates') }}
