"""Help text for every command: a description, examples, and the exit codes.

Applied to the finished parser (plugin commands included) by :func:`finish`: a command without a
description gets its one-line help as one, reST double backticks become plain backticks, and the
commands listed in :data:`EXAMPLES` get an ``examples:`` section. ``tests/core/test_cli_help.py``
checks that every command has both.
"""

from __future__ import annotations

import argparse
import re
from collections.abc import Iterator

__all__ = ["ARGUMENT_HELP", "EPILOG", "EXAMPLES", "commands", "finish"]

EPILOG = """\
output:
  --output table   aligned columns (default; CLOUDCORE_OUTPUT=json|yaml|text changes it)
  --output json    stable JSON for scripts (--json for short); errors go to stderr as JSON
  --output yaml    the same data as YAML
  --output text    tab-separated, no header, one record a line

exit codes:
  0  success
  1  the provider failed (API error, timeout, conflict)
  2  bad input: unknown option, invalid value, missing configuration
  3  unsupported: the driver does not offer this capability or feature
  4  not found: the service, record, secret, bucket or object does not exist
  5  driver unknown or not installed (the message names the extra to install)

examples:
  cloudcore drivers
  cloudcore -p memory deploy api --image nginx:1.27 --port 80 --replicas 2
  cloudcore -p aws -o region=eu-west-1 dns list example.com --output json
  cloudcore completion bash > ~/.local/share/bash-completion/completions/cloudcore

Run `cloudcore COMMAND --help` for a command's options and examples.
"""

EXAMPLES: dict[str, tuple[str, ...]] = {
    "drivers": ("cloudcore drivers", "cloudcore drivers --output json"),
    "resources": (
        "cloudcore -p memory resources",
        "cloudcore -p aws resources --type dns_record --tag team=core --output json",
    ),
    "schema": ("cloudcore -p memory schema type:service",),
    "deploy": (
        "cloudcore -p local deploy web --port 8000 -- python3 -m http.server 8000",
        "cloudcore -p aws deploy api --image nginx:1.27 --port 80 --autoscale 2:6:70",
        "cloudcore deploy api --config service.json --replicas 3 --env MODE=production",
    ),
    "scale": ("cloudcore -p memory scale api 4",),
    "status": ("cloudcore -p memory status api", "cloudcore status api --output json"),
    "services": ("cloudcore -p memory services",),
    "logs": ("cloudcore -p local logs web --limit 20",),
    "delete-service": ("cloudcore -p memory delete-service api",),
    "secrets": ("cloudcore secrets list",),
    "secrets set": (
        'printf %s "$DB_PASSWORD" | cloudcore -p memory secrets set db-password',
        "cloudcore secrets set tls-key --from-file key.pem",
    ),
    "secrets get": (
        "cloudcore -p memory secrets get db-password",
        "cloudcore secrets get db-password --reveal --output json",
    ),
    "secrets list": ("cloudcore -p memory secrets list",),
    "secrets versions": ("cloudcore -p memory secrets versions db-password",),
    "secrets delete": ("cloudcore -p memory secrets delete db-password",),
    "dns": ("cloudcore dns list example.com",),
    "dns list": (
        "cloudcore -p memory dns list example.com",
        "cloudcore dns list example.com --output text | cut -f1,2",
    ),
    "dns point": ("cloudcore -p memory dns point www.example.com 192.0.2.10 --ttl 600",),
    "dns set": (
        "cloudcore -p memory dns set example.com TXT 'v=spf1 -all'",
        "cloudcore -p cloudflare dns set www.example.com A 192.0.2.10 --proxied",
    ),
    "dns apply": ("cloudcore -p memory dns apply records.json",),
    "dns delete": ("cloudcore -p memory dns delete www.example.com A",),
    "waf": ("cloudcore waf get",),
    "waf get": ("cloudcore -p memory waf get",),
    "waf apply": ("cloudcore -p cloudflare waf apply rules.json --target example.com",),
    "db": ("cloudcore db provision main",),
    "db provision": ("cloudcore -p memory db provision main --size medium --ha",),
    "db backup": ("cloudcore -p memory db backup main",),
    "db backups": ("cloudcore -p memory db backups main",),
    "db restore": ("cloudcore -p memory db restore BACKUP_ID main-copy",),
    "db delete": ("cloudcore -p memory db delete main-copy",),
    "cache": ("cloudcore cache provision sessions",),
    "cache provision": ("cloudcore -p memory cache provision sessions --tls",),
    "cache delete": ("cloudcore -p memory cache delete sessions",),
    "storage": ("cloudcore storage ls",),
    "storage ls": ("cloudcore -p memory storage ls", "cloudcore storage ls uploads/2026/"),
    "storage cp": (
        "cloudcore -p memory storage cp report.pdf cloudcore://uploads/reports/",
        "cloudcore storage cp cloudcore://uploads/reports/report.pdf -",
    ),
    "storage rm": ("cloudcore -p memory storage rm uploads/reports/report.pdf",),
    "storage presign": ("cloudcore storage presign uploads/reports/report.pdf --expires 600",),
    "storage mb": ("cloudcore -p memory storage mb uploads --versioning --expire tmp/=7",),
    "storage rb": ("cloudcore -p memory storage rb uploads --force",),
    "conformance": (
        "cloudcore conformance memory",
        "cloudcore conformance aws --fake --json report.json",
    ),
    "tools": ("cloudcore -p memory tools --format openai",),
    "mcp": ("cloudcore -p memory mcp --allow-writes",),
    "completion": (
        "cloudcore completion bash > ~/.local/share/bash-completion/completions/cloudcore",
        'cloudcore completion zsh > "${fpath[1]}/_cloudcore"',
        "cloudcore completion fish > ~/.config/fish/completions/cloudcore.fish",
    ),
    "demo": ("cloudcore demo", "cloudcore demo --keep"),
    "plan": (
        "cloudcore -p memory plan examples/stacks/vertz.yaml",
        "cloudcore -p aws plan stack.yaml --prune --detailed-exitcode",
        "cloudcore -p aws plan stack.yaml --json > plan.json",
    ),
    "apply": (
        "cloudcore -p memory apply examples/stacks/vertz.yaml --auto-approve",
        "cloudcore -p aws apply stack.yaml --prune",
        "cloudcore -p aws apply stack.yaml --destroy --force",
    ),
    "export": ("cloudcore -p aws export > system.yaml", "cloudcore -p gcp export --format json"),
    "graph": (
        "cloudcore graph examples/stacks/elevaite.yaml",
        "cloudcore graph stack.yaml --format svg -O system.svg",
        "cloudcore -p aws graph --format png -O running.png",
    ),
    "migrate": (
        "cloudcore migrate --from aws --to gcp",
        "cloudcore migrate --from aws --to gcp --apply --journal aws-to-gcp.journal",
        "cloudcore migrate --from aws --to default=gcp,dns=cloudflare,waf=cloudflare --apply",
        "cloudcore migrate --from memory --to local --apply --policy lenient",
    ),
    "iam-policy": ("cloudcore iam-policy aws", "cloudcore iam-policy aws -c dns -c secrets"),
}
"""Examples per command path (``"secrets get"``); a plugin's own epilog is kept as it is."""

_SERVICE = "service name (lowercase letters, digits, '-')"
ARGUMENT_HELP: dict[tuple[str, str], str] = {
    ("schema", "id"): "a resource id (from `cloudcore resources`) or type:NAME, e.g. type:service",
    ("deploy", "name"): _SERVICE,
    ("deploy", "image"): "container image, e.g. nginx:1.27 (drivers running processes need none)",
    ("deploy", "port"): "port the service listens on",
    ("deploy", "replicas"): "how many copies run (default: 1, or the --autoscale minimum)",
    ("deploy", "env"): "environment variable (repeatable)",
    ("deploy", "secret"): "environment variable filled from a stored secret (repeatable)",
    ("deploy", "tag"): "tag on the service and what it creates (repeatable)",
    ("scale", "name"): _SERVICE,
    ("scale", "replicas"): "the new replica count",
    ("status", "name"): _SERVICE,
    ("logs", "name"): _SERVICE,
    ("logs", "limit"): "at most this many lines, newest last",
    ("delete-service", "name"): _SERVICE,
    ("secrets set", "key"): "secret name, e.g. db-password or app/db/password",
    ("secrets get", "key"): "secret name",
    ("secrets get", "version"): "a version from `secrets versions` (default: the latest)",
    ("secrets versions", "key"): "secret name",
    ("secrets delete", "key"): "secret name",
    ("dns list", "zone"): "the zone's apex, e.g. example.com",
    ("dns point", "domain"): "the name to point, e.g. www.example.com",
    ("dns point", "target"): "an IPv4/IPv6 address (A/AAAA) or a host name (CNAME)",
    ("dns point", "ttl"): "time to live in seconds",
    ("dns set", "name"): "fully qualified record name, e.g. www.example.com",
    ("dns set", "type"): "A, AAAA, CNAME, TXT, MX, SRV, CAA, NS",
    ("dns set", "values"): "one or more values (quote TXT values)",
    ("dns set", "ttl"): "time to live in seconds",
    ("dns set", "proxied"): "serve through the provider's proxy (Cloudflare)",
    ("dns apply", "file"): 'JSON: a list of records or {"records": [...]}',
    ("dns delete", "name"): "fully qualified record name",
    ("dns delete", "type"): "record type, e.g. A",
    ("waf get", "target"): "what the rules protect (zone, load balancer...); driver default",
    ("waf apply", "file"): 'JSON: a list of rules or {"rules": [...]}',
    ("waf apply", "target"): "what the rules protect (zone, load balancer...); driver default",
    ("db provision", "name"): "database name",
    ("db provision", "storage_gb"): "disk size in GiB",
    ("db backup", "name"): "database name",
    ("db backups", "name"): "database name",
    ("db restore", "backup_id"): "a backup id from `db backups`",
    ("db restore", "new_name"): "name of the database to create from it",
    ("db delete", "name"): "database name",
    ("cache provision", "name"): "cache name",
    ("cache provision", "size"): "micro|small|medium|large|xlarge",
    ("cache provision", "ha"): "high availability (a replica in another zone)",
    ("cache provision", "tls"): "require TLS from clients",
    ("cache delete", "name"): "cache name",
    ("storage ls", "path"): "a bucket, optionally with a key prefix (default: list buckets)",
    ("storage rm", "path"): "the object to delete",
    ("storage presign", "path"): "the object",
    ("storage mb", "name"): "bucket name",
    ("storage mb", "tag"): "tag on the bucket (repeatable)",
    ("storage rb", "name"): "bucket name",
    ("iam-policy", "driver"): "the driver whose policy to print",
}
"""Help for arguments defined without one (a definition's own help always wins)."""

_DOUBLE_BACKTICKS = re.compile(r"``(.+?)``", re.S)


def commands(
    parser: argparse.ArgumentParser, path: tuple[str, ...] = ()
) -> Iterator[tuple[tuple[str, ...], argparse.ArgumentParser, str]]:
    """Every (sub)command: its path, parser and one-line help, depth first."""
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            helps = {a.dest: a.help or "" for a in action._choices_actions}
            for name, sub in action.choices.items():
                yield (*path, name), sub, helps.get(name, "")
                yield from commands(sub, (*path, name))


def _clean(text: str) -> str:
    return _DOUBLE_BACKTICKS.sub(r"`\1`", text)


def finish(parser: argparse.ArgumentParser) -> None:
    """Descriptions, examples and exit codes on every command of ``parser``."""
    parser.epilog = EPILOG
    parser.formatter_class = argparse.RawDescriptionHelpFormatter
    for path, sub, help_text in commands(parser):
        sub.formatter_class = argparse.RawDescriptionHelpFormatter
        for action in sub._actions:
            if isinstance(action, argparse._SubParsersAction):
                continue
            if not action.help:
                action.help = ARGUMENT_HELP.get((" ".join(path), action.dest))
            shown = action.default not in (None, False, argparse.SUPPRESS)
            if action.help and shown and "default" not in action.help:
                action.help += " (default: %(default)s)"
        if sub.description:
            sub.description = _clean(sub.description)
        elif help_text:
            sub.description = help_text[:1].upper() + help_text[1:] + "."
        if sub.epilog:
            continue
        examples = EXAMPLES.get(" ".join(path))
        if examples:
            sub.epilog = (
                "examples:\n"
                + "".join(f"  {line}\n" for line in examples)
                + "\nexit codes: 0 ok, 1 provider error, 2 bad input, 3 unsupported, "
                "4 not found, 5 driver missing (see `cloudcore --help`)"
            )
