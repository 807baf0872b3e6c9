"""Read and verify a batch's ``manifest.json`` against its folder and files (exchange formats).

Any mismatch (missing key, wrong source or folder, missing file, sha256 or record count)
raises ``ManifestError``; the caller rejects the batch whole.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from shared_exchange.contracts.schema import Contract, contract_for_file
from shared_exchange.ingest.validate import Invalid, to_datetime

MANIFEST = "manifest.json"
_REQUIRED = ("source", "batch_id", "business_date", "contract_version", "extracted_at", "files")
_FILE_KEYS = ("name", "records", "sha256")


class ManifestError(ValueError):
    """The batch does not match its manifest; ``where`` names the file, ``what`` the problem."""

    def __init__(self, where: str, what: str, todo: str = "ask the department to re-deliver "
                 "the batch with a correct manifest") -> None:
        super().__init__(f"{where}: {what}; {todo}")
        self.where = where
        self.what = what


@dataclass(frozen=True)
class ManifestFile:
    name: str
    records: int
    sha256: str
    contract: Contract

    @property
    def table(self) -> str:
        return self.contract.table


@dataclass(frozen=True)
class Manifest:
    source: str
    batch_id: str
    business_date: dt.date
    contract_version: int
    extracted_at: dt.datetime  # local Asia/Shanghai wall time, as stored in the raw layer
    files: tuple[ManifestFile, ...]
    folder: Path
    sha256: str  # of manifest.json itself

    @property
    def delivered(self) -> int:
        return sum(f.records for f in self.files)


def _extracted_at(text: object, where: str) -> dt.datetime:
    try:
        return to_datetime(str(text))
    except Invalid as exc:
        raise ManifestError(where, f"extracted_at {exc.problem}") from None


def read_manifest(folder: Path) -> Manifest:
    """Parse ``folder/manifest.json`` and check it names this folder; no file is read yet."""
    path = folder / MANIFEST
    where = str(path)
    try:
        blob = path.read_bytes()
    except OSError:
        raise ManifestError(where, "manifest.json is missing or unreadable") from None
    try:
        doc = json.loads(blob.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise ManifestError(where, "is not valid UTF-8 JSON") from None
    if not isinstance(doc, dict):
        raise ManifestError(where, "is not a JSON object")
    missing = [k for k in _REQUIRED if k not in doc]
    if missing:
        raise ManifestError(where, f"lacks required key(s) {missing}")
    source, batch_id = str(doc["source"]), str(doc["batch_id"])
    if source != folder.parent.parent.name:
        raise ManifestError(where, f"source {source!r} does not match the landing folder "
                            f"{folder.parent.parent.name!r}")
    if batch_id != folder.name:
        raise ManifestError(where, f"batch_id {batch_id!r} does not match its folder name")
    try:
        business_date = dt.date.fromisoformat(str(doc["business_date"]))
        version = int(doc["contract_version"])
    except ValueError:
        raise ManifestError(where, "business_date must be yyyy-MM-dd and contract_version an "
                            "integer") from None
    if business_date.isoformat() != folder.parent.name:
        raise ManifestError(where, f"business_date {business_date} does not match the folder "
                            f"{folder.parent.name!r}")
    if not isinstance(doc["files"], list) or not doc["files"]:
        raise ManifestError(where, "files must be a non-empty list")
    files = tuple(_file(entry, source, version, where) for entry in doc["files"])
    if len({f.name for f in files}) != len(files):
        raise ManifestError(where, "lists a file twice")
    return Manifest(source, batch_id, business_date, version,
                    _extracted_at(doc["extracted_at"], where), files, folder,
                    hashlib.sha256(blob).hexdigest())


def _file(entry: object, source: str, version: int, where: str) -> ManifestFile:
    if not isinstance(entry, dict) or any(k not in entry for k in _FILE_KEYS):
        raise ManifestError(where, f"each files entry needs keys {list(_FILE_KEYS)}")
    name = str(entry["name"])
    if Path(name).name != name or name in (MANIFEST, ".", ".."):
        raise ManifestError(where, f"file name {name!r} must be a plain file in the batch folder")
    contract = contract_for_file(source, name, version)
    if contract is None:
        raise ManifestError(f"{where} ({name})", f"no {source} contract v<={version} for this "
                            "file", "add a contract or ask the department what the file is")
    records = entry["records"]
    if isinstance(records, bool) or not isinstance(records, int) or records < 0:
        raise ManifestError(f"{where} ({name})", "records must be a non-negative integer")
    return ManifestFile(name, records, str(entry["sha256"]).lower(), contract)


def open_verified(manifest: Manifest, f: ManifestFile) -> BinaryIO:
    """One listed file, open at its start, after checking it exists and its sha256 matches.

    The file is hashed in blocks, never held whole, and the caller parses the same open
    file it was hashed from (so it reads the verified file); the caller closes it.
    """
    path = manifest.folder / f.name
    try:
        delivered = path.open("rb")
    except OSError:
        raise ManifestError(str(path), "file listed in manifest.json is missing") from None
    try:
        digest = _sha256(delivered).hex()
        if digest != f.sha256:
            raise ManifestError(str(path), f"sha256 is {digest[:12]}…, manifest says "
                                f"{f.sha256[:12]}… (file changed or truncated in transfer)")
        delivered.seek(0)
    except OSError:
        delivered.close()
        raise ManifestError(str(path), "file listed in manifest.json is missing") from None
    except BaseException:
        delivered.close()
        raise
    return delivered


def _sha256(stream: BinaryIO) -> bytes:
    """sha256 of a binary file read in blocks (memory stays at one block whatever its size)."""
    return hashlib.file_digest(stream, "sha256").digest()


def check_count(manifest: Manifest, f: ManifestFile, delivered: int) -> None:
    """A file whose parsed record count differs from the manifest rejects the batch."""
    if delivered != f.records:
        raise ManifestError(str(manifest.folder / f.name),
                            f"holds {delivered} records, manifest says {f.records}")


def fingerprint(folder: Path) -> str:
    """sha256 over manifest.json and the files it lists (what changes on re-delivery)."""
    h = hashlib.sha256()
    for path in [folder / MANIFEST, *sorted(p for p in folder.iterdir() if p.name != MANIFEST)]:
        if path.is_file():
            with path.open("rb") as delivered:
                h.update(path.name.encode() + b"\0" + _sha256(delivered))
    return h.hexdigest()
