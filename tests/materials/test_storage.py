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
