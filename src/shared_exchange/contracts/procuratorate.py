"""检察院 (procuratorate) parser: CSV, GB18030, Chinese header row (exchange-formats.md)."""

from shared_exchange.contracts.readers import DepartmentParser

PARSER = DepartmentParser(
    source="procuratorate",
    format="csv",
    encoding="gb18030",
    files=("arrest_reviews.csv", "prosecution_reviews.csv", "supplementary_investigations.csv"),
)
parse = PARSER.parse
contract = PARSER.contract
check = PARSER.check
