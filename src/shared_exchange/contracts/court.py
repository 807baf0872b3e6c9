"""法院 (court) parser: XML, UTF-8; judgments are <case> records holding <defendant> rows."""

from shared_exchange.contracts.readers import DepartmentParser

PARSER = DepartmentParser(
    source="court",
    format="xml",
    encoding="utf-8",
    files=("judgments.xml", "enforcement.xml"),
)
parse = PARSER.parse
contract = PARSER.contract
check = PARSER.check
