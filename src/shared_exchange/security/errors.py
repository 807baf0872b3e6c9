"""The exception hierarchy of the crypto core; messages never carry plaintext or key material.

    SecurityError
    ├── UnsupportedCipherError      cipher/MAC not available in this cryptography/OpenSSL build
    ├── KeyringError                KEK or keyring file unusable (permissions, corrupt, wrong KEK)
    │   ├── KeyDisabledError        key retired: kept, but no longer used to decrypt
    │   ├── KeyDestroyedError       key material wiped (crypto-shredded): value is erased
    │   └── KeyNotFoundError        no such key id (also a DecryptionError)
    └── DecryptionError             malformed blob or authentication-tag failure
"""

from __future__ import annotations


class SecurityError(Exception):
    """Base of every error raised by shared_exchange.security's crypto core."""


class UnsupportedCipherError(SecurityError):
    """The selected cipher or MAC is not available in this cryptography/OpenSSL build."""


class KeyringError(SecurityError):
    """The KEK or the keyring cannot be used as it is (the message says what to fix)."""


class DecryptionError(SecurityError):
    """A ciphertext failed to authenticate: tampered, moved to another row/column, or corrupt."""


class KeyDisabledError(KeyringError):
    """The key was retired after re-encryption; re-enable it to read stragglers."""


class KeyDestroyedError(KeyringError):
    """The key material was destroyed; values under it are erased for good (show as NULL)."""


class KeyNotFoundError(KeyringError, DecryptionError):
    """A blob names a key id the keyring does not know (foreign keyring or tampered header)."""
