"""Profiles from cloudcore.toml and CLOUDCORE_* variables; credentials are refused."""

from __future__ import annotations

from pathlib import Path

import pytest

import cloudcore as cc


def test_profile_selects_driver_and_options(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "cloudcore.toml").write_text(
        '[profiles.default]\nprovider = "memory"\n[profiles.default.memory]\npage_size = 7\n'
        '[profiles.edge]\nprovider = { compute = "memory", dns = "memory" }\n'
    )
    monkeypatch.chdir(tmp_path)
    for var in ("CLOUDCORE_PROVIDER", "CLOUDCORE_PROFILE", "CLOUDCORE_CONFIG"):
        monkeypatch.delenv(var, raising=False)
    cloud = cc.connect()
    assert cloud.name == "memory" and cloud.page_size == 7  # type: ignore[attr-defined]
    monkeypatch.setenv("CLOUDCORE_MEMORY_PAGE_SIZE", "9")
    assert cc.connect().page_size == 9  # type: ignore[attr-defined]
    assert cc.connect(page_size=11).page_size == 11  # type: ignore[attr-defined]
    edge = cc.connect(profile="edge")
    assert edge.capabilities == {cc.Capability.COMPUTE, cc.Capability.DNS}
    with pytest.raises(cc.ConfigurationError, match="no profile 'prod'"):
        cc.connect(profile="prod")


def test_credentials_in_config_are_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "cloudcore.toml").write_text(
        '[profiles.default]\nprovider = "memory"\n[profiles.default.aws]\n'
        'secret_access_key = "AKIA..."\n'
    )
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("CLOUDCORE_PROFILE", raising=False)
    with pytest.raises(cc.ConfigurationError, match="looks like a credential"):
        cc.connect()


def test_broken_toml_is_a_configuration_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    bad = tmp_path / "x.toml"
    bad.write_text("[profiles\n")
    monkeypatch.setenv("CLOUDCORE_CONFIG", str(bad))
    with pytest.raises(cc.ConfigurationError, match="x.toml"):
        cc.connect("memory")
