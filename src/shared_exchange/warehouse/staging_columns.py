"""Columns staging adds to the raw ones (decoded, never new facts), with their classification."""

from __future__ import annotations

from shared_exchange.warehouse.sources import ColumnDoc

__all__ = ["STAGING_EXTRAS"]

_REGION = "Zhejiang division code (seeds/regions.csv)"

STAGING_EXTRAS: dict[str, list[ColumnDoc]] = {
    "stg_police__cases": [
        ColumnDoc("county_code", f"county/district: first 6 digits of unit_code; {_REGION}",
                  "general", "none", "varchar"),
        ColumnDoc("city_code", "city: first 4 digits of unit_code (3301 杭州 … 3311 丽水)",
                  "general", "none", "varchar"),
    ],
    "stg_police__measures": [
        ColumnDoc("start_date", "calendar day of start_at (Asia/Shanghai)",
                  "general", "none", "date"),
        ColumnDoc("end_date", "calendar day of end_at (Asia/Shanghai)", "general", "none", "date"),
    ],
    "stg_court__judgments": [
        # read out of the 案号 (important), so at least as important (就高从严)
        ColumnDoc("instance", "first (刑初), second (刑终) or other, read from the 案号",
                  "important", "none", "varchar"),
        ColumnDoc("county_code", f"court division code from the 案号 (浙0106 → 330106); {_REGION}",
                  "important", "none", "varchar"),
        ColumnDoc("city_code", "first 4 digits of county_code", "important", "none", "varchar"),
    ],
    "stg_justice__community_corrections": [
        ColumnDoc("city_code", "first 4 digits of county_code", "general", "none", "varchar"),
    ],
}
