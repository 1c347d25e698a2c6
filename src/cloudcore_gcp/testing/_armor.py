"""Fake Cloud Armor (compute v1 security policies) REST API, with compute global operations."""

from __future__ import annotations

import copy
import random
from typing import Any

from . import _rules
from ._server import ApiError, FakeServer, Request, now_rfc3339, pending_view

Json = dict[str, Any]

_C = "compute.v1"
_DEFAULT_PRIORITY = 2147483647


class ArmorAPI(FakeServer):
    """Cloud Armor security policies and their rules; compute operations on the global endpoint."""

    policies: dict[str, Json]
    compute_operations: dict[str, Json]

    def _reset_armor(self) -> None:
        self.policies, self.compute_operations = {}, {}

    def _register_armor(self) -> None:
        r = self.route
        r(_C, "securityPolicies.insert", self._policy_insert)
        r(_C, "securityPolicies.list", self._policy_list)
        r(_C, "securityPolicies.get", self._policy_get)
        r(_C, "securityPolicies.delete", self._policy_delete)
        r(_C, "securityPolicies.addRule", self._rule_add)
        r(_C, "securityPolicies.patchRule", self._rule_patch)
        r(_C, "securityPolicies.removeRule", self._rule_remove)
        r(_C, "globalOperations.get", self._compute_op_get)

    # ------------------------------------------------------------ Cloud Armor
    def _compute_op(self, req: Request, kind: str, target: str) -> tuple[int, Json]:
        op_id = str(random.randrange(10**17, 10**18))
        project = req.groups[0]
        op: Json = {
            "kind": "compute#operation",
            "id": op_id,
            "name": f"operation-{op_id}",
            "operationType": kind,
            "status": "DONE",
            "progress": 100,
            "targetLink": f"https://www.googleapis.com/compute/v1/projects/{project}/global/securityPolicies/{target}",
            "insertTime": now_rfc3339(),
            "selfLink": f"/compute/v1/projects/{project}/global/operations/operation-{op_id}",
        }
        op["_pending"] = self.operation_polls
        self.compute_operations[op["name"]] = op
        return 200, pending_view(op, "status", "RUNNING")

    def _compute_op_get(self, req: Request) -> tuple[int, Json]:
        if req.groups[1] not in self.compute_operations:
            raise ApiError("NOT_FOUND", f"The resource '{req.groups[1]}' was not found")
        op = self.compute_operations[req.groups[1]]
        op["_pending"] = max(int(op["_pending"]) - 1, 0)
        return 200, pending_view(op, "status", "RUNNING")

    def _policy(self, req: Request) -> Json:
        policy = self.policies.get(req.groups[1])
        if policy is None:
            raise ApiError(
                "NOT_FOUND", f"The resource 'securityPolicies/{req.groups[1]}' was not found"
            )
        return policy

    def _touch(self, policy: Json) -> None:
        policy["fingerprint"] = self.new_uuid()[:12]
        policy["rules"].sort(key=lambda r: int(r["priority"]))

    def _policy_insert(self, req: Request) -> tuple[int, Json]:
        body = copy.deepcopy(req.body)
        _rules.armor_policy(body)
        name = body["name"]
        if name in self.policies:
            raise ApiError(
                "ALREADY_EXISTS", f"The resource 'securityPolicies/{name}' already exists"
            )
        rules = body.setdefault("rules", [])
        if not any(int(r["priority"]) == _DEFAULT_PRIORITY for r in rules):
            rules.append(
                {
                    "priority": _DEFAULT_PRIORITY,
                    "action": "allow",
                    "description": "default rule",
                    "match": {"versionedExpr": "SRC_IPS_V1", "config": {"srcIpRanges": ["*"]}},
                }
            )
        body.update(kind="compute#securityPolicy", id=str(self.next_id()), type="CLOUD_ARMOR")
        body["creationTimestamp"] = now_rfc3339()
        self._touch(body)
        self.policies[name] = body
        return self._compute_op(req, "insert", name)

    def _policy_get(self, req: Request) -> tuple[int, Json]:
        return 200, self._policy(req)

    def _policy_list(self, req: Request) -> tuple[int, Json]:
        items = [p for _, p in sorted(self.policies.items())]
        return 200, self.page(req, items, "items", size_param="maxResults")

    def _policy_delete(self, req: Request) -> tuple[int, Json]:
        del self.policies[self._policy(req)["name"]]
        return self._compute_op(req, "delete", req.groups[1])

    def _rule_add(self, req: Request) -> tuple[int, Json]:
        policy = self._policy(req)
        rule = copy.deepcopy(req.body)
        _rules.armor_rule(rule)
        if any(int(r["priority"]) == int(rule["priority"]) for r in policy["rules"]):
            raise ApiError("INVALID_ARGUMENT", "Cannot have rules with the same priorities.")
        policy["rules"].append(rule)
        self._touch(policy)
        return self._compute_op(req, "addRule", policy["name"])

    def _rule_index(self, req: Request, policy: Json) -> int:
        priority = req.int_query("priority", 0)
        for i, rule in enumerate(policy["rules"]):
            if int(rule["priority"]) == priority:
                return i
        raise ApiError(
            "INVALID_ARGUMENT", f"Invalid value for field 'priority': '{priority}'. No such rule."
        )

    def _rule_patch(self, req: Request) -> tuple[int, Json]:
        policy = self._policy(req)
        index = self._rule_index(req, policy)
        # patchRule merges the body into the rule; "To clear fields in the rule, leave the
        # fields empty and specify them in the updateMask" (compute.v1 securityPolicies.patchRule)
        rule = {**copy.deepcopy(policy["rules"][index]), **copy.deepcopy(req.body)}
        for path in filter(None, req.query.get("updateMask", "").split(",")):
            if path not in req.body:
                rule.pop(path, None)
        rule["priority"] = policy["rules"][index]["priority"]
        _rules.armor_rule(rule)
        policy["rules"][index] = rule
        self._touch(policy)
        return self._compute_op(req, "patchRule", policy["name"])

    def _rule_remove(self, req: Request) -> tuple[int, Json]:
        policy = self._policy(req)
        index = self._rule_index(req, policy)
        if int(policy["rules"][index]["priority"]) == _DEFAULT_PRIORITY:
            raise ApiError("INVALID_ARGUMENT", "The default rule cannot be removed.")
        del policy["rules"][index]
        self._touch(policy)
        return self._compute_op(req, "removeRule", policy["name"])
