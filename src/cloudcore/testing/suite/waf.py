"""Conformance tests for the ``waf`` capability."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from ...capabilities import Capability
from ...models import WAFRule, WAFRuleSet
from ._base import (
    ConformanceOptions,
    SuiteBase,
    exhaust,
    expect_writes,
    fault_injector,
    no_writes,
    requires,
    retried_read,
    sample_rule,
    writes,
)

W = Capability.WAF
_KINDS = ("ip", "geo", "path", "rate_limit", "managed:core", "managed:sqli")


def _declared_rules(provider: Any) -> list[WAFRule]:
    have = provider.features.get(W, frozenset())
    return [
        sample_rule(k)
        for k in _KINDS
        if k in have and (not k.startswith("managed:") or "managed" in have)
    ]


def _named(rules: list[WAFRule]) -> list[WAFRule]:
    return list(WAFRuleSet(rules=tuple(rules)).named())


class WAFSuite(SuiteBase):
    """WAF: round trip of every declared rule kind, idempotent configure, convergence to a
    replaced set, the empty set, errors and retries. The original rule set is restored."""

    @pytest.fixture
    def waf_original(
        self, provider: Any, conformance_options: ConformanceOptions
    ) -> Iterator[list[WAFRule]]:
        if not provider.supports(W):
            yield []
            return
        original = provider.get_waf_rules(conformance_options.waf_target)
        yield original
        provider.configure_waf(original, conformance_options.waf_target)

    @requires(W)
    def test_waf_round_trip(
        self, provider: Any, conformance_options: ConformanceOptions, waf_original: list[WAFRule]
    ) -> None:
        rules = _declared_rules(provider)
        assert rules, "the driver declares waf but none of ip/geo/path/rate_limit/managed"
        target = conformance_options.waf_target
        assert provider.configure_waf(rules, target) is True or waf_original == _named(rules)
        got = provider.get_waf_rules(target)
        assert got == _named(rules), f"round trip changed the rules: {got} != {_named(rules)}"

    @requires(W)
    def test_waf_configure_is_idempotent(
        self, provider: Any, conformance_options: ConformanceOptions, waf_original: list[WAFRule]
    ) -> None:
        rules = _declared_rules(provider)
        target = conformance_options.waf_target
        provider.configure_waf(rules, target)
        with no_writes(provider, "configure_waf"):
            changed = provider.configure_waf(rules, target)
        assert changed is False, "an unchanged configure_waf must return False"

    @requires(W)
    def test_waf_converges(
        self, provider: Any, conformance_options: ConformanceOptions, waf_original: list[WAFRule]
    ) -> None:
        rules = _declared_rules(provider)
        target = conformance_options.waf_target
        provider.configure_waf(rules, target)
        replaced = list(reversed(rules[1:])) or rules
        with expect_writes(provider, "configure_waf with a replaced set", replaced != rules):
            assert provider.configure_waf(replaced, target) is (replaced != rules)
        got = provider.get_waf_rules(target)
        assert got == _named(replaced), f"configure_waf must replace the set: {got}"
        with writes(provider, "configure_waf([]) over a non-empty set"):
            assert provider.configure_waf([], target) is True
        assert provider.get_waf_rules(target) == [], "configure_waf([]) must leave no rules"

    @requires(W)
    def test_waf_error_mapping_and_retries(
        self, provider: Any, conformance_options: ConformanceOptions, waf_original: list[WAFRule]
    ) -> None:
        fault_injector(provider)
        target = conformance_options.waf_target

        def read() -> Any:
            return provider.get_waf_rules(target)

        exhaust(provider, "throttle", read, mutating=False, op="get_waf_rules")
        exhaust(provider, "transient", read, mutating=False, op="get_waf_rules")
        assert retried_read(provider, "transient", "get_waf_rules", read) == waf_original
        assert retried_read(provider, "throttle", "get_waf_rules", read) == waf_original
