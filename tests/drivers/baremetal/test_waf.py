"""nftables rules on namespace hosts this test session created (never 127.0.0.1)."""

from __future__ import annotations

import socket
import subprocess
import time

import pytest

import cloudcore
from cloudcore.errors import Unsupported
from cloudcore.models import GeoRule, IPRule, ManagedRule, PathRule, RateLimitRule

from ._svc import config, get

pytestmark = pytest.mark.needs_root

PORT = 18600


def _connects(address: str, port: int, timeout: float = 0.3) -> bool:
    try:
        socket.create_connection((address, port), timeout).close()
    except OSError:
        return False
    return True


def _connects_from(netns: str, address: str, port: int) -> bool:
    code = (
        "import socket,sys\ntry:\n socket.create_connection((sys.argv[1], int(sys.argv[2])), 1)"
        "\nexcept OSError:\n sys.exit(1)"
    )
    argv = ["ip", "netns", "exec", netns, "/usr/bin/python3", "-c", code, address, str(port)]
    return subprocess.run(argv, capture_output=True, check=False).returncode == 0


@pytest.fixture(scope="module")
def guarded(ns_env):
    p = ns_env.provider
    p.deploy_service("guarded", config(PORT, replicas=1))
    yield ns_env
    p.configure_waf([], target="guarded")
    p.delete_service("guarded")


def test_denied_source_cannot_connect_others_can(guarded):
    p = guarded.provider
    target, other = guarded.hosts
    me = target.extra["gateway"]  # this test's address on the bridge
    assert _connects(target.address, PORT)
    changed = p.configure_waf([IPRule(action="block", cidrs=[f"{me}/32"])], target="guarded")
    assert changed
    assert not _connects(target.address, PORT)
    assert _connects_from(other.netns, target.address, PORT)
    assert _connects(target.address, 22)  # only service ports are filtered
    with cloudcore.record() as rec:
        assert (
            p.configure_waf([IPRule(action="block", cidrs=[f"{me}/32"])], target="guarded") is False
        )
    assert rec.mutating_calls() == []
    assert p.get_waf_rules("guarded") == [IPRule(name="ip-1", action="block", cidrs=[f"{me}/32"])]
    # an allow rule ahead of the block lets this source through again
    p.configure_waf(
        [IPRule(action="allow", cidrs=[f"{me}/32"]), IPRule(action="block", cidrs=["0.0.0.0/0"])],
        target="guarded",
    )
    assert _connects(target.address, PORT)
    assert not _connects_from(other.netns, target.address, PORT)
    p.configure_waf([], target="guarded")
    assert _connects(target.address, PORT) and _connects_from(other.netns, target.address, PORT)
    ruleset = subprocess.run(
        ["ip", "netns", "exec", target.netns, "nft", "list", "ruleset"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert "cloudcore" not in ruleset


def test_rate_limit_really_drops_and_blocks_for_the_mitigation_period(guarded):
    p = guarded.provider
    target, other = guarded.hosts
    get(target.address, PORT)
    p.configure_waf(
        [RateLimitRule(requests=5, period_seconds=1, mitigation_seconds=60)], target="guarded"
    )
    results = [_connects(target.address, PORT, 0.2) for _ in range(20)]
    assert results[0] and not all(results), results
    assert sum(results) <= 10, results
    time.sleep(1.5)  # the meter has refilled, but the source is still blocked
    assert not _connects(target.address, PORT)
    assert _connects_from(other.netns, target.address, PORT)
    p.configure_waf([], target="guarded")  # replacing the table lifts the block at once
    assert _connects(target.address, PORT, 1.0)


@pytest.mark.parametrize(
    ("rule", "feature"),
    [
        (GeoRule(countries=["FR"]), "geo"),
        (PathRule(path="/admin"), "path"),
        (ManagedRule(set="sqli"), "managed"),
        (RateLimitRule(requests=5, action="challenge"), "rate_limit:challenge"),
    ],
)
def test_http_level_rules_are_unsupported_with_reasons(ns_env, rule, feature):
    with pytest.raises(Unsupported) as err:
        ns_env.provider.configure_waf([rule])
    assert err.value.reason and "cloudflare" in err.value.reason
    assert not ns_env.provider.supports("waf", feature)


def test_dns_is_unsupported_pointing_to_composition(ns_env):
    with pytest.raises(Unsupported, match="compose with cloudflare"):
        ns_env.provider.create_dns_record("api.example.com", "10.0.0.1")


def test_the_loopback_fake_never_touches_this_machines_firewall(bm, loopback):
    from cloudcore.models import ServiceConfig

    bm.deploy_service("fwcheck", ServiceConfig(command=("/bin/sleep", "600"), port=18650))
    try:
        assert bm.configure_waf([IPRule(action="block", cidrs=["203.0.113.0/24"])])
        here = subprocess.run(["nft", "list", "tables"], capture_output=True, text=True).stdout
        there = subprocess.run(
            ["ip", "netns", "exec", loopback.netns, "nft", "list", "tables"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        assert "cloudcore" not in here
        assert "table inet cloudcore" in there
    finally:
        bm.configure_waf([])
        bm.delete_service("fwcheck")
