"""Desired state: a whole system described once as a :class:`Stack`, planned and applied on any
provider, and exported from what cloudcore manages.

>>> from cloudcore import connect
>>> from cloudcore.stack import load_stack, plan, apply
>>> provider = connect("memory")
>>> stack = load_stack("examples/stacks/vertz.yaml")  # doctest: +SKIP
>>> p = plan(stack, provider)                          # doctest: +SKIP
>>> apply(p, provider)                                 # doctest: +SKIP

See ``docs/stacks.md``.
"""

from __future__ import annotations

from .apply import ApplyFailed, ApplyReport, Step, apply
from .export import export_stack
from .io import dump_stack, load_stack, parse_stack
from .model import STACK_TAG, SecretSource, Stack
from .plan import Change, FieldDiff, Plan, PlanRefused, StalePlan, plan
from .refs import OUTPUTS, Ref

__all__ = [
    "OUTPUTS",
    "STACK_TAG",
    "ApplyFailed",
    "ApplyReport",
    "Change",
    "FieldDiff",
    "Plan",
    "PlanRefused",
    "Ref",
    "SecretSource",
    "Stack",
    "StalePlan",
    "Step",
    "apply",
    "dump_stack",
    "export_stack",
    "load_stack",
    "parse_stack",
    "plan",
]
