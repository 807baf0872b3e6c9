-- 晾晒 scoreboard by quarter, city and county (domain.md §4); definitions in _scoreboards__docs.md.
-- Recomputed whole from int_scoreboard_cells, whose counts follow the facts incrementally, so
-- a late record still updates the past period it counts in.
{{ config(materialized='table') }}
{{ scoreboard('quarter') }}
