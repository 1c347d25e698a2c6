"""Every value written into a unit or config file is checked, whatever its source (issue 11,
item 4): a newline in ``run_as`` (an option, ``CLOUDCORE_LOCAL_RUN_AS`` or a profile) used to
add lines to the supervisord program / systemd unit. No host needed: refused before any write."""

from __future__ import annotations

from pathlib import Path

import pytest

import cloudcore
from cloudcore.errors import ConfigurationError
from cloudcore_baremetal.inventory import PostgresSettings
from cloudcore_baremetal.local import LocalProvider
from cloudcore_baremetal.managers import Program
from cloudcore_baremetal.provider import BaremetalProvider

BAD_USERS = [
    "app\n[program:evil]\ncommand=/bin/sh -c id",
    "app\nExecStartPre=/bin/touch /tmp/x",
    "app\r",
    "app\x00",
    "-oops",
    "a b",
    "",
]


@pytest.mark.parametrize("user", BAD_USERS)
def test_run_as_is_checked_as_an_option(tmp_path: Path, user: str) -> None:
    with pytest.raises(ConfigurationError, match="run_as") as info:
        LocalProvider(
            project_dir=str(tmp_path / "p"), secret_key_file=str(tmp_path / "k"), run_as=user
        )
    assert info.value.field == "run_as"
    with pytest.raises(ConfigurationError, match="run_as"):
        BaremetalProvider(hosts=[{"address": "192.0.2.1"}], run_as=user)


def test_run_as_is_checked_from_the_environment_and_from_a_profile(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("CLOUDCORE_LOCAL_RUN_AS", "app\n[program:evil]")
    with pytest.raises(ConfigurationError, match="run_as"):
        cloudcore.connect("local", project_dir=str(tmp_path / "p"))
    monkeypatch.delenv("CLOUDCORE_LOCAL_RUN_AS")
    (tmp_path / "cloudcore.toml").write_text(
        '[profiles.default]\nprovider = "local"\n'
        '[profiles.default.local]\nrun_as = "app\\nExecStartPre=/bin/true"\n'
    )
    with pytest.raises(ConfigurationError, match="run_as"):
        cloudcore.connect()
    assert not (tmp_path / ".cloudcore").exists()


@pytest.mark.parametrize(
    "kw",
    [
        {"user": "a\nb"},
        {"workdir": "/srv/x\n[program:y]"},
        {"workdir": "relative"},
        {"description": "svc\nExecStartPre=/bin/true"},
        {"name": "cc-svc-x\n"},
    ],
)
def test_a_program_refuses_unit_breaking_values_at_the_sink(kw: dict[str, str]) -> None:
    base = {"name": "cc-svc-api", "workdir": "/srv/cc/services/api", "replicas": 1}
    with pytest.raises(ConfigurationError):
        Program(**{**base, **kw})  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "kw",
    [
        {"socket_dir": "/run/pg\nx"},
        {"os_user": "postgres\n"},
        {"os_user": "-U"},
        {"bin_dir": "/usr/lib/postgresql/15/bin;id"},
        {"port": "5432\n"},
        {"port": 0},
        {"address": "10.0.0.1 -c x"},
    ],
)
def test_postgres_settings_are_checked(kw: dict[str, object]) -> None:
    with pytest.raises(ConfigurationError, match="postgres"):
        PostgresSettings(**kw)  # type: ignore[arg-type]


def test_host_names_and_addresses_are_checked() -> None:
    for spec, field in (
        ({"address": "10.0.0.1\nx"}, "address"),
        ({"address": "-oProxyCommand=id"}, "address"),
        ({"address": "10.0.0.1", "name": "web\n1"}, "name"),
    ):
        with pytest.raises(ConfigurationError, match=field):
            BaremetalProvider(hosts=[spec])
