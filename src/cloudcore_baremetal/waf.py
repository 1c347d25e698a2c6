"""WAF: an nftables table of cloudcore's own (``inet cloudcore``) on each app host.

``ip`` rules become address sets (``accept`` or ``drop``), ``rate_limit`` rules per-source meters
on new TCP connections to the service ports (``limit rate over``), with the offending source
blocked for ``mitigation_seconds``. Only the service ports are filtered, so SSH is never cut off.
The whole table is replaced atomically (``nft -f -``, the script on stdin) and the rule set is
recorded in ``<state>/waf/rules.json``. Geo, path and managed rules are declared unsupported.
"""

from __future__ import annotations

import ipaddress
from typing import TYPE_CHECKING, Any

from pydantic import TypeAdapter

from cloudcore.errors import NotFound, Unsupported
from cloudcore.models import IPRule, RateLimitRule, WAFRule

from ._state import config_hash, read_one, write_one

if TYPE_CHECKING:
    from .inventory import Host
    from .provider import BaremetalProvider

__all__ = ["Firewall", "nft_rate", "render"]

TABLE = "cloudcore"
_ADAPTER: TypeAdapter[WAFRule] = TypeAdapter(WAFRule)
_UNITS = (("second", 1), ("minute", 60), ("hour", 3600), ("day", 86400))


def nft_rate(requests: int, period: int) -> str:
    """``requests`` per ``period`` seconds as an nftables rate (``5/second``)."""
    for unit, secs in _UNITS:
        if (requests * secs) % period == 0 and requests * secs // period >= 1:
            return f"{requests * secs // period}/{unit}"
    return f"{max(1, round(requests * 86400 / period))}/day"


def _rule_lines(ti: int, ri: int, rule: Any, ports: str) -> tuple[list[str], list[str]]:
    sets: list[str] = []
    rules: list[str] = []
    tag = f"t{ti}r{ri}"
    comment = f'comment "{rule.name}"'
    if isinstance(rule, IPRule):
        verdict = "accept" if rule.action == "allow" else "drop"
        for fam, typ, match in (("4", "ipv4_addr", "ip"), ("6", "ipv6_addr", "ip6")):
            nets = [c for c in rule.cidrs if ipaddress.ip_network(c).version == int(fam)]
            if not nets:
                continue
            sets.append(
                f"  set {tag}_{fam} {{ type {typ}; flags interval; auto-merge; "
                f"elements = {{ {', '.join(nets)} }} }}"
            )
            rules.append(f"    tcp dport {ports} {match} saddr @{tag}_{fam} {verdict} {comment}")
    elif isinstance(rule, RateLimitRule):
        rate = nft_rate(rule.requests, rule.period_seconds)
        for fam, typ, match in (("4", "ipv4_addr", "ip"), ("6", "ipv6_addr", "ip6")):
            meter = f"{tag}_m{fam}"
            sets.append(
                f"  set {meter} {{ type {typ}; size 65535; flags dynamic,timeout; "
                f"timeout {max(2 * rule.period_seconds, 2)}s; }}"
            )
            block = ""
            if rule.mitigation_seconds > 0:
                blocked = f"{tag}_b{fam}"
                sets.append(
                    f"  set {blocked} {{ type {typ}; size 65535; flags dynamic,timeout; "
                    f"timeout {rule.mitigation_seconds}s; }}"
                )
                rules.append(f"    tcp dport {ports} {match} saddr @{blocked} drop {comment}")
                block = f" add @{blocked} {{ {match} saddr }}"
            rules.append(
                f"    meta nfproto ipv{fam} tcp dport {ports} ct state new update @{meter} "
                f"{{ {match} saddr limit rate over {rate} burst {rule.requests} packets }}"
                f"{block} drop {comment}"
            )
    return sets, rules


def render(targets: dict[str, dict[str, Any]]) -> str:
    """The nft script replacing the whole ``inet cloudcore`` table."""
    head = f"table inet {TABLE} {{}}\ndelete table inet {TABLE}\n"
    sets: list[str] = []
    chain: list[str] = []
    for ti, key in enumerate(sorted(targets)):
        entry = targets[key]
        ports = [int(p) for p in entry.get("ports", [])]
        if not ports or not entry.get("rules"):
            continue
        port_set = "{ " + ", ".join(str(p) for p in sorted(set(ports))) + " }"
        for ri, raw in enumerate(entry["rules"]):
            s, r = _rule_lines(ti, ri, _ADAPTER.validate_python(raw), port_set)
            sets += s
            chain += r
    if not chain:
        return head
    body = "\n".join(
        [
            f"table inet {TABLE} {{",
            '  comment "managed-by=cloudcore"',
            *sets,
            "  chain input {",
            "    type filter hook input priority filter - 10; policy accept;",
            *chain,
            "  }",
            "}",
        ]
    )
    return head + body + "\n"


def _nft(host: Host) -> list[str]:
    """``nft``, inside the host's ``firewall_netns`` when it has one."""
    if host.firewall_netns:
        return ["ip", "netns", "exec", host.firewall_netns, "nft"]
    return ["nft"]


class Firewall:
    """The WAF engine of a bare-metal provider."""

    def __init__(self, provider: BaremetalProvider) -> None:
        self.p = provider

    def _ports(self, host: Host, target: str | None) -> list[int]:
        ports: list[int] = []
        for h, st in self.p.compute.all_states():
            if h is not host or (target is not None and st["name"] != target):
                continue
            port = st["config"].get("port")
            if port:
                ports += [int(port) + i for i in range(max(1, int(st["replicas"])))]
        return ports

    def configure(self, rules: tuple[WAFRule, ...], target: str | None) -> bool:
        """Replace the rule set of ``target`` (a service name, or ``None`` for every service)."""
        for rule in rules:
            if isinstance(rule, RateLimitRule) and rule.path is not None:
                raise Unsupported(
                    "waf",
                    "rate_limit",
                    reason="path-scoped rate limits need HTTP; nftables sees connections only",
                    provider=self.p.name,
                )
        hosts = self.p.inventory.with_role("app")
        if target is not None and not any(
            st["name"] == target for _, st in self.p.compute.all_states()
        ):
            raise NotFound(f"no service named {target!r} to protect")
        key = target or "*"
        desired = [r.model_dump(mode="json") for r in rules]
        changed = False
        for host in hosts:
            doc = read_one(host, "waf/rules.json") or {"targets": {}}
            targets: dict[str, Any] = dict(doc.get("targets", {}))
            entry = {"rules": desired, "ports": self._ports(host, target)}
            if desired:
                targets[key] = entry
            else:
                targets.pop(key, None)
            text = render(targets)
            live = host.transport.run(
                [*_nft(host), "list", "table", "inet", TABLE],
                mutating=False,
                name="nft",
                check=False,
            )
            has_table = live.code == 0
            if (
                targets == doc.get("targets", {})
                and doc.get("hash") == config_hash(text)
                and has_table == ("chain input" in text)
            ):
                continue
            host.transport.run(
                [*_nft(host), "-f", "-"], mutating=True, name="nft", stdin=text.encode()
            )
            write_one(host, "waf/rules.json", {"targets": targets, "hash": config_hash(text)})
            changed = True
        return changed

    def rules(self, target: str | None) -> list[WAFRule]:
        """The recorded rule set of ``target``."""
        hosts = self.p.inventory.with_role("app")
        doc = read_one(hosts[0], "waf/rules.json") or {}
        entry = doc.get("targets", {}).get(target or "*")
        if not entry:
            return []
        return [_ADAPTER.validate_python(r) for r in entry["rules"]]

    def all_targets(self) -> list[tuple[Host, str, int]]:
        """``(host, target, rule count)`` for discovery."""
        out = []
        for host in self.p.inventory.with_role("app"):
            doc = read_one(host, "waf/rules.json") or {}
            for key, entry in doc.get("targets", {}).items():
                out.append((host, key, len(entry.get("rules", []))))
        return out
