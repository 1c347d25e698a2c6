"""What ``cloudcore drivers`` lists is what each built-in provider declares (issue 11, item 22)."""

from __future__ import annotations

from pathlib import Path

import pytest

import cloudcore
from cloudcore.registry import available_drivers, load_factory

BUILT_IN = ("aws", "baremetal", "cloudflare", "gcp", "local", "memory")


def test_every_built_in_driver_is_registered() -> None:
    assert set(BUILT_IN) <= set(available_drivers())


@pytest.mark.parametrize("name", BUILT_IN)
def test_the_registry_lists_exactly_the_capabilities_the_provider_declares(name: str) -> None:
    info = available_drivers()[name]
    declared = {c.value for c in load_factory(name).capabilities}
    assert set(info.capabilities) == declared
    assert len(info.capabilities) == len(set(info.capabilities))


def test_a_connected_local_provider_has_no_capability_the_registry_does_not_list(
    tmp_path: Path,
) -> None:
    with cloudcore.connect(
        "local", project_dir=str(tmp_path / "local"), secret_key_file=str(tmp_path / "k")
    ) as cloud:
        have = {c.value for c in cloud.capabilities}
        listed = set(available_drivers()["local"].capabilities)
        assert "waf" not in listed
        assert have <= listed
        for missing in listed - have:  # not installed here: said why
            assert "install" in cloud.unsupported_reason(missing)


def test_a_connected_memory_provider_has_what_the_registry_lists() -> None:
    with cloudcore.connect("memory") as cloud:
        assert {c.value for c in cloud.capabilities} == set(
            available_drivers()["memory"].capabilities
        )
