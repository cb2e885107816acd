"""Encryption at rest for what a caller told the hotline: AES-256-GCM (``cryptography``).

A ciphertext is ``b"\\x01" + key id (8 ASCII bytes) + nonce (12) + sealed text``; the key id
names the key it was sealed with, so rows sealed before a rotation stay readable until they are
sealed again. The purpose (``ticket.description``, ``ticket.contact``) is the associated data: a
value copied into another column does not open.

Keys never live in the database. They come from ``DIZHI_SECRET_KEY`` (the api passes it in:
comma-separated, the first one current, the others still accepted) or from a key file
(``var/secret.key``, JSON, mode 0600) written at first start. :func:`rotate_file_key` and
:func:`reseal` are the two halves of a rotation: a new current key in the file with the old one
kept, every row sealed again in one transaction, then the old key dropped.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from address.errors import DizhiError

VERSION = b"\x01"
KEY_FILE = "secret.key"


class SecretKeyError(DizhiError):
    status = 500
    title = "Secret key problem"


def key_id(key: bytes) -> str:
    """Eight hex digits that name a key and say nothing about it."""
    return hashlib.sha256(b"dizhi-key-id:" + key).hexdigest()[:8]


def key_from_secret(secret: str) -> bytes:
    """A 32-byte key: the secret itself when it is 32 bytes in base64, else its SHA-256."""
    try:
        raw = base64.urlsafe_b64decode(secret + "=" * (-len(secret) % 4))
        if len(raw) == 32:
            return raw
    except ValueError:
        pass
    return hashlib.sha256(secret.encode()).digest()


@dataclass(frozen=True)
class Keyring:
    keys: Mapping[str, bytes]
    current: str
    path: Path | None = field(default=None, compare=False)  # the key file, if keys came from one
    mtime: int = field(default=0, compare=False)  # the file's when it was read

    def encrypt(self, text: str, *, purpose: str) -> bytes:
        nonce = secrets.token_bytes(12)
        sealed = AESGCM(self.keys[self.current]).encrypt(nonce, text.encode(), purpose.encode())
        return VERSION + self.current.encode() + nonce + sealed

    def decrypt(self, blob: bytes, *, purpose: str) -> str:
        blob = bytes(blob)
        kid = sealed_with(blob)
        if kid not in self.keys:
            raise SecretKeyError(f"no key {kid} to open a stored value (key file replaced?)")
        try:
            plain = AESGCM(self.keys[kid]).decrypt(blob[9:21], blob[21:], purpose.encode())
        except InvalidTag as exc:
            raise SecretKeyError("a stored value does not open with its key") from exc
        return plain.decode()

    def encrypt_optional(self, text: str | None, *, purpose: str) -> bytes | None:
        return None if text is None else self.encrypt(text, purpose=purpose)

    def decrypt_optional(self, blob: bytes | None, *, purpose: str) -> str | None:
        return None if blob is None else self.decrypt(blob, purpose=purpose)


def sealed_with(blob: bytes) -> str:
    """The id of the key a ciphertext was sealed with."""
    if bytes(blob[:1]) != VERSION or len(blob) < 21 + 16:
        raise SecretKeyError("a stored value is not a dizhi ciphertext")
    return bytes(blob[1:9]).decode()


def keyring_from_secret(secret: str) -> Keyring:
    keys = [key_from_secret(s.strip()) for s in secret.split(",") if s.strip()]
    if not keys:
        raise SecretKeyError("DIZHI_SECRET_KEY is empty")
    return Keyring({key_id(k): k for k in keys}, key_id(keys[0]))


def _write_key_file(path: Path, current: str, keys: Mapping[str, bytes]) -> None:
    body = json.dumps({"current": current,
                       "keys": {k: base64.urlsafe_b64encode(v).decode() for k, v in keys.items()}})
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(body)
    os.replace(tmp, path)


def _create_key_file(path: Path) -> None:
    """A first key, unless another process (a second worker) made the file first."""
    key = AESGCM.generate_key(bit_length=256)
    mine = path.with_name(f"{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
    _write_key_file(mine, key_id(key), {key_id(key): key})
    try:
        os.link(mine, path)  # fails if the file exists: every process ends up with one key
    except FileExistsError:
        pass
    finally:
        mine.unlink()


def keyring_from_file(path: Path) -> Keyring:
    """The key file's keys; the file is made (one new key, mode 0600) when there is none."""
    if not path.exists():
        _create_key_file(path)
    mtime = path.stat().st_mtime_ns
    data = json.loads(path.read_text())
    keys = {k: base64.urlsafe_b64decode(v) for k, v in data["keys"].items()}
    return Keyring(keys, data["current"], path, mtime)


def load_keyring(*, directory: Path, secret: str | None = None) -> Keyring:
    """The keyring from ``secret`` if given, else from ``directory``/secret.key."""
    return keyring_from_secret(secret) if secret else keyring_from_file(directory / KEY_FILE)


def rotate_file_key(keyring: Keyring) -> Keyring:
    """A new current key in the key file; the old ones stay until :func:`drop_old_keys`."""
    if keyring.path is None:
        raise SecretKeyError("the key comes from DIZHI_SECRET_KEY: put the new key first there "
                        "(\"new,old\") and run the rotation to seal the rows again")
    key = AESGCM.generate_key(bit_length=256)
    keys = {**keyring.keys, key_id(key): key}
    _write_key_file(keyring.path, key_id(key), keys)
    return keyring_from_file(keyring.path)


def drop_old_keys(keyring: Keyring) -> Keyring:
    """Only the current key is kept (call once every row is sealed with it)."""
    kept = {keyring.current: keyring.keys[keyring.current]}
    if keyring.path is None:
        return Keyring(kept, keyring.current)
    _write_key_file(keyring.path, keyring.current, kept)
    return keyring_from_file(keyring.path)


_configured: list[Keyring] = []


def configure(keyring: Keyring) -> None:
    """The keyring this process seals and opens with (the api sets it at start)."""
    _configured[:] = [keyring]


def current_keyring() -> Keyring:
    """The configured keyring, read again when its key file changed (a rotation by another
    process: servers then seal with the new key and open what was sealed with it)."""
    if not _configured:
        raise SecretKeyError("no secret key is configured (the api configures it at start)")
    keyring = _configured[0]
    if keyring.path is not None:
        try:
            changed = keyring.path.stat().st_mtime_ns != keyring.mtime
        except FileNotFoundError:
            changed = False
        if changed:
            keyring = keyring_from_file(keyring.path)
            configure(keyring)
    return keyring
