"""司法局 (justice) parser: CSV, UTF-8 with BOM, snake_case English headers (exchange formats)."""

from shared_exchange.contracts.readers import DepartmentParser

PARSER = DepartmentParser(
    source="justice",
    format="csv",
    encoding="utf-8-sig",
    files=("community_corrections.csv", "custody_events.csv", "legal_aid.csv"),
)
parse = PARSER.parse
contract = PARSER.contract
check = PARSER.check
