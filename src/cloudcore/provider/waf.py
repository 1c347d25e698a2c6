"""The ``waf`` capability: one declarative, ordered rule set per target.

Protocol (:class:`WAFProtocol`), implementation on the base provider with the driver hooks
(:class:`WAFMethods`), and composition routing (:class:`WAFRouting`).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Protocol

from ..capabilities import Capability
from ..models import WAFRule, WAFRuleSet, rule_feature
from ._core import ProviderCore, RouterCore

__all__ = ["WAFMethods", "WAFProtocol", "WAFRouting"]

C = Capability.WAF


class WAFProtocol(Protocol):
    """Web application firewall rule sets."""

    def configure_waf(self, rules: Iterable[WAFRule], target: str | None = None) -> bool: ...
    def get_waf_rules(self, target: str | None = None) -> list[WAFRule]: ...
    def list_waf_targets(self) -> list[str | None]: ...


class WAFMethods(ProviderCore):
    """``waf`` on a driver: public methods, then the ``_`` hooks a driver implements."""

    def configure_waf(self, rules: Iterable[WAFRule], target: str | None = None) -> bool:
        """Replace the whole managed rule set with ``rules`` (order = priority).

        Returns:
            Whether anything changed (``False`` when the provider already matched).
        """
        self.require(C)
        if isinstance(rules, WAFRuleSet):
            ruleset = rules
        else:
            # rule instances go in as they are: a dump would mark every field as given, and
            # drivers fit fields left at their defaults to what the provider allows
            ruleset = WAFRuleSet.model_validate({"rules": list(rules)})
        named = ruleset.named()
        feats: set[str] = set()
        for rule in named:
            feats.update(rule_feature(rule))
            if rule.kind == "rate_limit" and rule.action == "challenge":
                feats.add("rate_limit:challenge")
        self.require(C, *sorted(feats))
        return self._invoke("configure_waf", target, lambda: self._configure_waf(named, target))

    def get_waf_rules(self, target: str | None = None) -> list[WAFRule]:
        """The rule set cloudcore manages on ``target`` (or the default target), in order."""
        self.require(C)
        return self._invoke("get_waf_rules", target, lambda: self._get_waf_rules(target))

    def list_waf_targets(self) -> list[str | None]:
        """The targets holding a non-empty rule set cloudcore manages, each as
        ``get_waf_rules`` / ``configure_waf`` take it: ``None`` is the driver's default target
        (where it has one) and comes first, the others sorted."""
        self.require(C)
        found = self._invoke("list_waf_targets", None, self._list_waf_targets)
        named = sorted({t for t in found if t is not None})
        return ([None] if None in found else []) + list(named)

    # ------------------------------------------------------- driver hooks
    def _configure_waf(self, rules: tuple[WAFRule, ...], target: str | None) -> bool:
        """Make the managed rule set equal ``rules``; return whether anything was written.
        Rules cloudcore does not manage on the target are left alone."""
        self._missing("waf", "_configure_waf")

    def _get_waf_rules(self, target: str | None) -> list[WAFRule]:
        """The managed rules on ``target``, in order."""
        self._missing("waf", "_get_waf_rules")

    def _list_waf_targets(self) -> list[str | None]:
        """Targets with a managed rule set (``None`` for the default target). No writes."""
        self._missing("waf", "_list_waf_targets")


class WAFRouting(RouterCore):
    """``waf`` in a composition."""

    def configure_waf(self, rules: Iterable[WAFRule], target: str | None = None) -> bool:
        return self._route(C).configure_waf(rules, target)

    def get_waf_rules(self, target: str | None = None) -> list[WAFRule]:
        return self._route(C).get_waf_rules(target)

    def list_waf_targets(self) -> list[str | None]:
        return self._route(C).list_waf_targets()
