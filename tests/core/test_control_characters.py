"""Every constrained string of every input model refuses control characters (issue 11, item 1).

A pattern anchored with ``$`` matches before a final newline, so ``"api\\n"`` once passed as a
service name and broke the local driver's supervisord config. This sweep builds a valid example of
every input model, then replaces each string in it (dict keys included) with variants carrying a
newline, a carriage return, NUL and other control characters, and expects ConfigurationError.
Free-text leaves (an env value may hold a newline) must still refuse NUL.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

import cloudcore.models as models
from cloudcore.errors import ConfigurationError
from cloudcore.models import Model, infer_record, normalize_fqdn, validate_name
from cloudcore.models.secrets import validate_secret_key

EXAMPLES: dict[str, dict[str, Any]] = {
    "ServiceConfig": {
        "image": "registry.example.com:5000/team/api:1.4",
        "command": ["python3", "-m", "http.server"],
        "port": 8080,
        "env": {"MODE": "production"},
        "secrets": {"DB_PASSWORD": {"key": "db/password", "version": "3"}},
        "health_check": {"path": "/healthz"},
        "autoscaling": {"min_replicas": 1, "max_replicas": 3},
        "tags": {"team": "core"},
    },
    "SecretRef": {"key": "db/password", "version": "2"},
    "HealthCheck": {"path": "/healthz"},
    "Autoscaling": {"min_replicas": 1, "max_replicas": 2},
    "DatabaseConfig": {
        "name": "main",
        "version": "16",
        "database": "app",
        "username": "owner",
        "tags": {"team": "core"},
    },
    "CacheConfig": {"name": "sessions", "version": "7", "tags": {"team": "core"}},
    "DNSRecord": {"name": "api.example.com", "type": "TXT", "values": ["v=spf1 -all"]},
    "IPRule": {"kind": "ip", "name": "office", "cidrs": ["192.0.2.0/24"]},
    "GeoRule": {"kind": "geo", "name": "embargo", "countries": ["KP"]},
    "PathRule": {"kind": "path", "name": "admin", "path": "/admin", "methods": ["POST"]},
    "RateLimitRule": {"kind": "rate_limit", "name": "api", "requests": 100, "path": "/api"},
    "ManagedRule": {"kind": "managed", "name": "owasp", "set": "core"},
    "WAFRuleSet": {"rules": [{"kind": "ip", "name": "office", "cidrs": ["192.0.2.0/24"]}]},
    "BucketConfig": {
        "name": "uploads",
        "versioning": True,
        "lifecycle": [{"prefix": "tmp/", "expire_days": 7}],
        "cors_origins": ["https://app.example.com"],
        "tags": {"team": "core"},
    },
    "LifecycleRule": {"prefix": "tmp/", "expire_days": 7},
    "QueueConfig": {"name": "jobs", "max_receives": 5, "tags": {"team": "core"}},
    "OutgoingMessage": {  # the body is bytes: any byte is data, never refused
        "body": b"\x00\n",
        "attributes": {"kind": "resize"},
        "group": "g1",
        "dedup_id": "d-1",
    },
    "CommandTarget": {
        "image": "ghcr.io/acme/report:1",
        "command": ["report", "--daily"],
        "env": {"MODE": "daily"},
        "secrets": {"DB_PASSWORD": {"key": "db/password"}},
    },
    "HttpTarget": {"url": "https://api.example.com/tick", "method": "POST", "body": "{}"},
    "JobConfig": {
        "cron": "30 3 * * 1-5",
        "timezone": "Europe/Berlin",
        "target": {"kind": "command", "image": "ghcr.io/acme/report:1", "command": ["report"]},
        "tags": {"team": "core"},
    },
}
"""A valid example of every input model (a new input model must add one here)."""

OUTPUT_MODELS = {
    "BackupRef",
    "Bucket",
    "Cache",
    "DNSZone",
    "Database",
    "ObjectInfo",
    "CacheEndpoint",
    "DatabaseEndpoint",
    "DeploymentResult",
    "LogEntry",
    "OperationSchema",
    "Resource",
    "ResourceSchema",
    "SecretVersion",
    "ServiceEvent",
    "ServiceStatus",
    "ServiceSummary",
    "QueueInfo",
    "QueueStats",
    "Message",
    "JobInfo",
    "JobRun",
}
"""Models drivers build from what providers return (not user input)."""

FREE_TEXT = {
    ("ServiceConfig", "env", "MODE"),
    *(("ServiceConfig", "command", i) for i in range(3)),
    ("CommandTarget", "env", "MODE"),
    *(("CommandTarget", "command", i) for i in range(2)),
    ("JobConfig", "target", "command", 0),
    ("HttpTarget", "body"),
}
"""Leaves that may hold a newline or a tab (an environment value): they still refuse NUL and
the other control characters."""

BAD = ["\n", "\r", "\x00", "\x1b", "\x7f", "\x0b", "\x0c"]


def _leaves(value: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[tuple[Any, ...], bool]]:
    """Paths of every string in ``value``: (path, is_dict_key)."""
    if isinstance(value, str):
        yield path, False
    elif isinstance(value, dict):
        for key, item in value.items():
            yield (*path, key), True
            yield from _leaves(item, (*path, key))
    elif isinstance(value, list):
        for i, item in enumerate(value):
            yield from _leaves(item, (*path, i))


def _replace(value: Any, path: tuple[Any, ...], is_key: bool, bad: str) -> Any:
    if not path:
        return value + bad
    head, rest = path[0], path[1:]
    if isinstance(value, dict):
        out = {}
        for key, item in value.items():
            if key == head:
                if is_key and not rest:
                    out[key + bad] = item
                else:
                    out[key] = _replace(item, rest, is_key, bad)
            else:
                out[key] = item
        return out
    out_list = list(value)
    out_list[head] = _replace(value[head], rest, is_key, bad)
    return out_list


def _input_models() -> list[type[Model]]:
    found = []
    for name in models.__all__:
        obj = getattr(models, name)
        if isinstance(obj, type) and issubclass(obj, Model) and obj is not Model:
            found.append(obj)
    return found


def test_every_input_model_has_an_example() -> None:
    missing = [
        m.__name__
        for m in _input_models()
        if m.__name__ not in EXAMPLES and m.__name__ not in OUTPUT_MODELS
    ]
    assert not missing, f"add a valid example of {missing} to EXAMPLES (or list it as an output)"


def _cases() -> Iterator[Any]:
    for model_name, example in EXAMPLES.items():
        for path, is_key in _leaves(example):
            if path and path[-1] in ("kind", "type") and not is_key:
                continue  # discriminators: any change is refused already
            for bad in BAD:
                free = (model_name, *path) in FREE_TEXT
                if free and bad in ("\n", "\r"):
                    continue
                where = ".".join(str(p) for p in path) + (" (key)" if is_key else "")
                yield pytest.param(
                    model_name, path, is_key, bad, id=f"{model_name}.{where}-{bad!r}"
                )


@pytest.mark.parametrize(("model_name", "path", "is_key", "bad"), list(_cases()))
def test_control_characters_are_refused(
    model_name: str, path: tuple[Any, ...], is_key: bool, bad: str
) -> None:
    model = getattr(models, model_name)
    model.model_validate(EXAMPLES[model_name])  # the example itself is valid
    broken = _replace(EXAMPLES[model_name], path, is_key, bad)
    with pytest.raises(ConfigurationError):
        model.model_validate(broken)


def test_free_text_still_refuses_nul() -> None:
    config = dict(EXAMPLES["ServiceConfig"], env={"MODE": "a\nb\tc"})
    assert models.ServiceConfig.model_validate(config).env["MODE"] == "a\nb\tc"
    with pytest.raises(ConfigurationError, match="env"):
        models.ServiceConfig.model_validate(dict(config, env={"MODE": "x\x00y"}))
    with pytest.raises(ConfigurationError, match="command"):
        models.ServiceConfig.model_validate(dict(config, command=["echo", "x\x00y"]))


@pytest.mark.parametrize("bad", BAD)
def test_validating_functions_refuse_control_characters(bad: str) -> None:
    with pytest.raises(ConfigurationError):
        validate_name("api" + bad)
    with pytest.raises(ConfigurationError):
        validate_secret_key("db/password" + bad)
    with pytest.raises(ValueError):
        normalize_fqdn("api.example.com" + bad)
    with pytest.raises(ConfigurationError):
        infer_record("api.example.com", "target.example.net" + bad)


@pytest.mark.parametrize("bad", BAD)
def test_host_paths_and_list_names_refuse_control_characters(bad: str) -> None:
    from cloudcore_baremetal.provider import check_state_dir
    from cloudcore_cloudflare.expr import LIST_NAME_RE

    with pytest.raises(ConfigurationError, match="state_dir"):
        check_state_dir("/srv/cloudcore" + bad)
    assert LIST_NAME_RE.match("office_ips" + bad) is None


def test_no_python_pattern_in_the_source_ends_with_a_bare_dollar() -> None:
    # ``$`` in Python's ``re`` also matches before a final newline: patterns that must match a
    # whole string end with ``\Z`` (or are used with ``fullmatch``)
    import re
    from pathlib import Path

    src = Path(__file__).resolve().parents[2] / "src"
    found = []
    for path in sorted(src.rglob("*.py")):
        for n, line in enumerate(path.read_text().splitlines(), 1):
            if re.search(r"re\.compile\(r?[\"'].*(?<!\\)\$[\"']", line):
                found.append(f"{path.relative_to(src)}:{n}: {line.strip()}")
    assert not found, "patterns anchored with a bare $:\n" + "\n".join(found)
