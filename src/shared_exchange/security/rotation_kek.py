"""Rotation of the key-encryption key: every data key re-wrapped, then the old KEK removed.

No ciphertext changes (data keys stay the same), so readers never notice. The new KEK is
written beside the old one (``kek.key.next``, 0600); from then on every process wraps new
keys with it, and both unwrap. Keyring and person-key store are re-wrapped (each under its
own lock or transaction, which also makes concurrent writers switch to the new KEK); only
when a final check finds no key wrapped by the old KEK does the new file replace the old.
A crash at any point leaves a state the next run finishes.
"""

from __future__ import annotations

import base64
import logging
from dataclasses import dataclass

from shared_exchange.config import Settings
from shared_exchange.security.errors import KeyringError
from shared_exchange.security.keyring import Keyring, open_keyring
from shared_exchange.security.kms import LocalFileKMS, wrapped_by

log = logging.getLogger(__name__)

_PASSES = 3


@dataclass
class KekRotationReport:
    """KEK fingerprints (public ids, not key material) and how many keys were re-wrapped."""

    old_kek_id: str
    new_kek_id: str
    keyring_keys_rewrapped: int = 0
    person_keys_rewrapped: int = 0
    old_kek_removed: bool = False


def _left_under_other(ring: Keyring, kek_id: str) -> int:
    doc = ring.file.read()
    in_keyring = sum(
        wrapped_by(base64.b64decode(e["wrapped"])) != kek_id
        for e in doc["keys"].values() if e.get("wrapped")
    )
    return in_keyring + ring.persons.wrapped_by_other(kek_id)


def rotate_kek(settings: Settings, *, keyring: Keyring | None = None) -> KekRotationReport:
    """Re-wrap every data key under a new KEK and remove the old KEK file."""
    ring = keyring or open_keyring(settings)
    kms = ring.kms
    if not isinstance(kms, LocalFileKMS):
        raise KeyringError(
            f"rotate_kek rotates the local KEK file only; {type(kms).__name__} keys are "
            "rotated in the KMS itself (then re-wrap with Keyring.rewrap)."
        )
    kms.reload()
    report = KekRotationReport(old_kek_id=kms.base_kek_id, new_kek_id=kms.begin_rotation())
    for _ in range(_PASSES):  # a writer that raced the first pass is caught by the next
        in_keyring, in_persons = ring.rewrap()
        report.keyring_keys_rewrapped += in_keyring
        report.person_keys_rewrapped += in_persons
        left = _left_under_other(ring, report.new_kek_id)
        if not left:
            break
    else:
        raise KeyringError(
            f"{left} data keys are still wrapped by KEK {report.old_kek_id} after {_PASSES} "
            f"passes; the old KEK file {kms.path} is kept. Pause ingestion and run "
            "`shared-exchange keys rotate-kek` again."
        )
    kms.finish_rotation()
    report.old_kek_removed = True
    log.info("KEK %s replaced by %s: %d keyring and %d person keys re-wrapped",
             report.old_kek_id, report.new_kek_id, report.keyring_keys_rewrapped,
             report.person_keys_rewrapped)
    return report
