"""Rule expressions are built, not concatenated: hostile values cannot change their meaning."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cloudcore.models import GeoRule, IPRule, PathRule
from cloudcore_cloudflare import expr as E
from cloudcore_cloudflare.waf import build_rule, read_rule

# Printable ASCII without whitespace (what a portable path may hold), heavy on the characters
# that could break out of a string literal or inject an operator.
HOSTILE = st.text(
    alphabet=st.sampled_from(
        list("\"\\()[]{}$,;=!<>&|~*#' ") + list("andornoteqin") + ["/", "a", "1"]
    ),
    min_size=0,
    max_size=40,
)
PATHS = HOSTILE.map(lambda s: "/" + s.replace(" ", ""))
FIELDS = st.sampled_from(sorted(E.FIELDS - {"ip.src"}))
IPS = st.ip_addresses().map(str)


def _leaf() -> st.SearchStrategy[E.Expr]:
    return st.one_of(
        st.builds(E.Eq, FIELDS, HOSTILE),
        st.builds(E.Call, st.sampled_from(sorted(E.FUNCTIONS)), FIELDS, HOSTILE),
        st.builds(
            lambda f, v: E.InSet(f, tuple(v)), FIELDS, st.lists(HOSTILE, min_size=1, max_size=4)
        ),
        st.builds(
            lambda v: E.InSet("ip.src", tuple(v), ips=True), st.lists(IPS, min_size=1, max_size=4)
        ),
        st.just(E.TrueExpr()),
    )


TREES = st.recursive(
    _leaf(),
    lambda inner: st.one_of(
        st.builds(E.Not, inner),
        st.builds(lambda xs: E.And(tuple(xs)), st.lists(inner, min_size=2, max_size=3)),
        st.builds(lambda xs: E.Or(tuple(xs)), st.lists(inner, min_size=2, max_size=3)),
    ),
    max_leaves=8,
)


@settings(max_examples=150, deadline=None)
@given(TREES)
def test_parse_of_render_is_the_same_tree(tree: E.Expr) -> None:
    assert E.parse(E.render(tree)) == tree


@settings(max_examples=100, deadline=None)
@given(PATHS, st.sampled_from(["prefix", "exact"]), st.sampled_from(["allow", "block"]))
def test_a_hostile_path_stays_one_literal(path: str, match: str, action: str) -> None:
    rule = PathRule(name="p", path=path, match=match, action=action, methods=["GET", "POST"])
    _phase, body = build_rule(rule, 1)
    tree = E.parse(body["expression"])
    assert isinstance(tree, E.And) and len(tree.operands) == 2
    first = tree.operands[0]
    assert isinstance(first, E.Eq | E.Call) and first.value == path
    assert read_rule(body, {}) == rule


@settings(max_examples=50, deadline=None)
@given(st.lists(IPS, min_size=1, max_size=5, unique=True))
def test_ip_and_geo_rules_round_trip(ips: list[str]) -> None:
    rule = IPRule(name="i", cidrs=ips)
    assert read_rule(build_rule(rule, 1)[1], {}) == rule
    geo = GeoRule(name="g", countries=["US", "DE"], action="allow")
    assert read_rule(build_rule(geo, 2)[1], {}) == geo


@pytest.mark.parametrize(
    "text",
    [
        'http.host eq "a" or',
        'http.host eq "a\\x"',
        'http.host matches "x"',
        'ip.src in {1.2.3.4 "x"}',
        "(true",
    ],
)
def test_parser_rejects_what_it_does_not_write(text: str) -> None:
    with pytest.raises(E.ExpressionError):
        E.parse(text)


def test_values_with_control_characters_are_refused() -> None:
    with pytest.raises(E.ExpressionError):
        E.render(E.Eq("http.host", "a\nb"))
