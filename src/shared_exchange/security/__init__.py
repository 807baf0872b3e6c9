"""Security: envelope keys, AEAD field encryption, join tokens, rotation and crypto-shredding.

Other security modules (classification, masking, policy, gateway) live beside these and
are imported from their own modules; this package re-exports only the crypto core.
"""

from shared_exchange.security.aead import (
    CIPHER_NAMES,
    AesGcmSuite,
    CipherSuite,
    Sm4GcmSuite,
    suite_for,
)
from shared_exchange.security.errors import (
    DecryptionError,
    KeyDestroyedError,
    KeyDisabledError,
    KeyNotFoundError,
    KeyringError,
    SecurityError,
    UnsupportedCipherError,
)
from shared_exchange.security.fields import (
    FieldEncryptor,
    field_aad,
    key_id_of,
    quarantine_aad,
)
from shared_exchange.security.keyring import KeyRecord, Keyring, open_keyring
from shared_exchange.security.kms import KeyEncryptionKey, LocalFileKMS
from shared_exchange.security.rotation import (
    RotationReport,
    rotate_and_reencrypt,
    shred_person,
)
from shared_exchange.security.rotation_kek import KekRotationReport, rotate_kek
from shared_exchange.security.tokens import MAC_NAMES, TOKEN_KINDS, Tokenizer

__all__ = [
    "CIPHER_NAMES",
    "MAC_NAMES",
    "TOKEN_KINDS",
    "AesGcmSuite",
    "CipherSuite",
    "DecryptionError",
    "FieldEncryptor",
    "KeyDestroyedError",
    "KeyDisabledError",
    "KekRotationReport",
    "KeyEncryptionKey",
    "KeyNotFoundError",
    "KeyRecord",
    "Keyring",
    "KeyringError",
    "LocalFileKMS",
    "RotationReport",
    "SecurityError",
    "Sm4GcmSuite",
    "Tokenizer",
    "UnsupportedCipherError",
    "field_aad",
    "key_id_of",
    "open_keyring",
    "quarantine_aad",
    "rotate_and_reencrypt",
    "rotate_kek",
    "shred_person",
    "suite_for",
]
