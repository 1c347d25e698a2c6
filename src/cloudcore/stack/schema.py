"""The JSON Schema of stack files, so editors validate YAML/JSON stacks as they are typed
(published as ``docs/stack.schema.json``; regenerate with ``python -m cloudcore.stack.schema``)."""

from __future__ import annotations

import json
import sys
from typing import Any

from ..models import BucketConfig, CacheConfig, DatabaseConfig, DNSRecord, ServiceConfig, WAFRuleSet
from .model import Stack

__all__ = ["stack_json_schema"]

SCHEMA_ID = "https://cloudcore.dev/schemas/stack.schema.json"


def _entry(model: type[Any], defs: dict[str, Any], drop: tuple[str, ...] = ()) -> dict[str, Any]:
    schema: dict[str, Any] = model.model_json_schema(ref_template="#/$defs/{model}")
    defs.update(schema.pop("$defs", {}))
    for key in drop:
        schema.get("properties", {}).pop(key, None)
        if key in schema.get("required", []):
            schema["required"] = [r for r in schema["required"] if r != key]
    return schema


def stack_json_schema() -> dict[str, Any]:
    """The schema of a stack file (JSON Schema draft 2020-12)."""
    base = Stack.model_json_schema(ref_template="#/$defs/{model}")
    defs: dict[str, Any] = base.pop("$defs", {})
    props = base["properties"]
    for section, model in (
        ("databases", DatabaseConfig),
        ("caches", CacheConfig),
        ("buckets", BucketConfig),
    ):
        defs[f"{model.__name__}Entry"] = _entry(model, defs, drop=("name",))
        props[section]["additionalProperties"] = {"$ref": f"#/$defs/{model.__name__}Entry"}
    service = _entry(ServiceConfig, defs)
    # A secret may be written as its key alone (``DB: db/main/password``) or as a reference.
    service["properties"]["secrets"]["additionalProperties"] = {
        "anyOf": [{"type": "string"}, {"$ref": "#/$defs/SecretRef"}]
    }
    defs["ServiceConfigEntry"] = service
    props["services"]["additionalProperties"] = {"$ref": "#/$defs/ServiceConfigEntry"}
    record = _entry(DNSRecord, defs)
    record["properties"]["name"] = {
        "type": "string",
        "description": "Record name: '@' for the zone apex, a name relative to the zone, or a "
        "full name.",
    }
    defs["DNSRecordEntry"] = record
    props["dns"]["additionalProperties"] = {
        "type": "array",
        "items": {"$ref": "#/$defs/DNSRecordEntry"},
    }
    rules = _entry(WAFRuleSet, defs)["properties"]["rules"]
    props["waf"]["additionalProperties"] = {"type": "array", "items": rules["items"]}
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": SCHEMA_ID,
        **base,
        "$defs": dict(sorted(defs.items())),
    }


if __name__ == "__main__":
    json.dump(stack_json_schema(), sys.stdout, indent=2, sort_keys=False)
    sys.stdout.write("\n")
