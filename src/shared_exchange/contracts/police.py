"""公安 (police) parser: JSON Lines, UTF-8, pinyin-abbreviated keys (exchange-formats.md)."""

from shared_exchange.contracts.readers import DepartmentParser

PARSER = DepartmentParser(
    source="police",
    format="jsonl",
    encoding="utf-8",
    files=("cases.jsonl", "suspects.jsonl", "measures.jsonl", "transfers.jsonl"),
)
parse = PARSER.parse
contract = PARSER.contract
check = PARSER.check
