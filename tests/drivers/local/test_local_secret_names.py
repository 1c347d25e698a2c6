"""Every secret name the model accepts can be stored on local/baremetal (issue 11, item 6).

Names are stored as hex folder names; a 128-256 character name used to fail with "File name too
long". Long names are now split over folders, and both layouts list, read and delete alike.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from cloudcore.models.secrets import validate_secret_key
from cloudcore_baremetal.local import LocalProvider
from cloudcore_baremetal.testing import random_key

KEYS = [
    "a",
    "x" * 127,  # the longest name in one folder (254 hex digits)
    "x" * 128,
    "y" * 127 + "z",  # shares its first 254 hex digits with no one-folder name
    "app/" + "k" * 200 + "/v!1.2_3-4",
    "Z" * 256,
]


@pytest.fixture
def local(tmp_path: Path) -> LocalProvider:
    return LocalProvider(project_dir=str(tmp_path / "local"), secret_key=random_key())


def test_names_of_every_valid_length_store_list_read_and_delete(local: LocalProvider) -> None:
    for key in KEYS:
        assert validate_secret_key(key) == key
        local.store_secret(key, f"value of {len(key)}")
        local.store_secret(key, f"second value of {len(key)}")
    assert local.list_secrets() == sorted(KEYS)
    for key in KEYS:
        assert local.get_secret(key).get_secret_value() == f"second value of {len(key)}"
        assert local.get_secret(key, "1").get_secret_value() == f"value of {len(key)}"
        assert [v.version for v in local.list_secret_versions(key)] == ["1", "2"]
    local.delete_secret("x" * 127)
    local.delete_secret("Z" * 256)
    assert local.list_secrets() == sorted(set(KEYS) - {"x" * 127, "Z" * 256})
    assert local.get_secret("x" * 128).get_secret_value() == "second value of 128"
