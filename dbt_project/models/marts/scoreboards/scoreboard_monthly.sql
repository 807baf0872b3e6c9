-- 晾晒 scoreboard by month, city and county (domain.md §4); definitions in _scoreboards__docs.md.
-- Incremental by period: a daily build recomputes the periods whose facts changed
-- (macros/legal/scoreboard.sql), so a late record still updates the past period it counts in.
{{ config(**scoreboard_config('month')) }}
{{ scoreboard('month') }}
