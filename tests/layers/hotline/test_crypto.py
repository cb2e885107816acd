"""Sealing at rest: AES-GCM with the key id in each ciphertext, the key file, rotation (pure)."""

import stat

import pytest

from layers.hotline.crypto import (
    SecretKeyError,
    _configured,
    configure,
    current_keyring,
    drop_old_keys,
    keyring_from_secret,
    load_keyring,
    rotate_file_key,
    sealed_with,
)


def test_seal_and_open_with_the_purpose():
    keyring = keyring_from_secret("correct horse battery staple")
    blob = keyring.encrypt("我叫张建国，电话13900002222", purpose="ticket.description")
    assert b"13900002222" not in blob and "张建国".encode() not in blob
    assert sealed_with(blob) == keyring.current
    assert keyring.decrypt(blob, purpose="ticket.description") == "我叫张建国，电话13900002222"
    with pytest.raises(SecretKeyError):
        keyring.decrypt(blob, purpose="ticket.contact")  # copied to another column: no


def test_two_encryptions_differ_and_another_key_does_not_open():
    a, b = keyring_from_secret("one"), keyring_from_secret("two")
    assert a.encrypt("x", purpose="p") != a.encrypt("x", purpose="p")
    with pytest.raises(SecretKeyError):
        b.decrypt(a.encrypt("x", purpose="p"), purpose="p")


def test_secret_list_keeps_old_keys_readable():
    old = keyring_from_secret("old")
    both = keyring_from_secret("new,old")
    assert both.current != old.current
    assert both.decrypt(old.encrypt("x", purpose="p"), purpose="p") == "x"


def test_key_file_made_at_first_start_with_mode_0600(tmp_path):
    keyring = load_keyring(directory=tmp_path)
    path = tmp_path / "secret.key"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert load_keyring(directory=tmp_path) == keyring  # the same key next time


def test_file_rotation_keeps_the_old_key_until_dropped(tmp_path):
    keyring = load_keyring(directory=tmp_path)
    blob = keyring.encrypt("x", purpose="p")
    rotated = rotate_file_key(keyring)
    assert rotated.current != keyring.current
    reloaded = load_keyring(directory=tmp_path)
    assert reloaded.decrypt(blob, purpose="p") == "x"
    assert sealed_with(reloaded.encrypt("y", purpose="p")) == rotated.current
    dropped = drop_old_keys(reloaded)
    assert set(load_keyring(directory=tmp_path).keys) == {rotated.current} == set(dropped.keys)
    with pytest.raises(SecretKeyError):
        dropped.decrypt(blob, purpose="p")


def test_environment_key_cannot_rotate_by_itself():
    with pytest.raises(SecretKeyError):
        rotate_file_key(keyring_from_secret("env"))


def test_a_running_process_reads_a_rotated_key_file(tmp_path):
    server = load_keyring(directory=tmp_path)
    before = list(_configured)
    configure(server)
    try:
        rotated = rotate_file_key(load_keyring(directory=tmp_path))  # another process rotates
        sealed = rotated.encrypt("x", purpose="p")
        assert current_keyring().current == rotated.current
        assert current_keyring().decrypt(sealed, purpose="p") == "x"
    finally:
        _configured[:] = before


def test_two_workers_starting_at_once_share_one_key(tmp_path):
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(4) as pool:
        rings = list(pool.map(lambda _: load_keyring(directory=tmp_path), range(8)))
    assert len({r.current for r in rings}) == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == ["secret.key"]
