"""Local storage keeps files under its root, by keys we make, readable by the owner only."""
import stat

import pytest

from app.errors import NotFound
from app.materials.storage import LocalStorage

KEY = "0123456789abcdef0123456789abcdef/fedcba9876543210fedcba9876543210.png"


def test_put_get_delete_round_trip(tmp_path):
    storage = LocalStorage(tmp_path)
    storage.put(KEY, b"bytes")
    assert storage.get(KEY) == b"bytes"
    assert stat.S_IMODE((tmp_path / KEY).stat().st_mode) == 0o600
    storage.delete(KEY)
    with pytest.raises(NotFound):
        storage.get(KEY)


@pytest.mark.parametrize("key", ["../etc/passwd", "/etc/passwd", "a/b.png", f"{'0' * 32}/../{'1' * 32}.png",
                                 f"{'0' * 32}/{'1' * 32}.exe"])
def test_keys_not_made_by_us_are_refused(tmp_path, key):
    with pytest.raises(ValueError):
        LocalStorage(tmp_path).put(key, b"x")


# --- encrypted at rest (issue 6) ----------------------------------------------------------------

@pytest.fixture
def sealed_storage(tmp_path):
    from app.materials.storage import SealedStorage
    from tests.ops.support import make_app, ops_env

    app = make_app(ops_env(tmp_path), migrate=False)
    with app.app_context():
        yield SealedStorage(LocalStorage(tmp_path / "uploads")), tmp_path / "uploads", app


SCAN = b"%PDF-1.4 fictional scan of ID 430104194803120013 phone 13800000000 %%EOF"
OTHER_KEY = "0123456789abcdef0123456789abcdef/00000000000000000000000000000000.pdf"


def test_a_file_is_sealed_on_disk_with_its_key_id_and_opens_only_under_its_own_storage_key(sealed_storage):
    from app.privacy.crypto import SealedValueError, key_id_of_bytes

    storage, root, _ = sealed_storage
    key = KEY.replace(".png", ".pdf")
    storage.put(key, SCAN)
    raw = (root / key).read_bytes()
    assert raw.startswith(b"HSYS1") and key_id_of_bytes(raw) == "t1"
    assert b"430104194803120013" not in raw and b"13800000000" not in raw and b"%PDF" not in raw
    assert storage.get(key) == SCAN
    (root / OTHER_KEY).parent.mkdir(parents=True, exist_ok=True)
    (root / OTHER_KEY).write_bytes(raw)  # the same blob under another case's key
    with pytest.raises(SealedValueError):
        storage.get(OTHER_KEY)
    (root / key).write_bytes(raw[:-1] + bytes([raw[-1] ^ 1]))  # one bit flipped
    with pytest.raises(SealedValueError):
        storage.get(key)


def test_a_file_stored_before_encryption_is_read_as_it_is_and_resealed_after_its_hash_is_checked(sealed_storage):
    import hashlib

    from app.privacy.crypto import SealedValueError, key_id_of_bytes

    storage, root, app = sealed_storage
    key = KEY.replace(".png", ".pdf")
    LocalStorage(root).put(key, SCAN)  # written by the code before this change
    assert storage.get(key) == SCAN
    with pytest.raises(SealedValueError):
        storage.reseal(key, sha256=hashlib.sha256(b"something else").hexdigest())
    assert (root / key).read_bytes() == SCAN  # a file that does not match its row is left alone
    assert storage.reseal(key, sha256=hashlib.sha256(SCAN).hexdigest()) is True
    raw = (root / key).read_bytes()
    assert key_id_of_bytes(raw) == "t1" and b"430104194803120013" not in raw
    assert storage.get(key) == SCAN
    assert storage.reseal(key, sha256=hashlib.sha256(SCAN).hexdigest()) is False  # already under t1
    with pytest.raises(NotFound):
        storage.reseal(OTHER_KEY, sha256="0" * 64)
