"""Machine-readable exchange contracts (one versioned YAML schema per delivered file type)."""

from shared_exchange.contracts.schema import (
    PII_ENCRYPTED,
    Contract,
    Field,
    all_contracts,
    contract_for_file,
    load_contract,
)

__all__ = [
    "PII_ENCRYPTED",
    "Contract",
    "Field",
    "all_contracts",
    "contract_for_file",
    "load_contract",
]
