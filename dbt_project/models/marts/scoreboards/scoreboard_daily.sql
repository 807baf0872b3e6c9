-- 晾晒 scoreboard by day, city and county (domain.md §4); definitions in _scoreboards__docs.md.
-- Full table: late records change past periods, and each period is small to recompute.
{{ scoreboard('day') }}
