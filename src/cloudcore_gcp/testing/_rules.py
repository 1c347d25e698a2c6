"""The documented value rules of the fake GCP APIs (beyond what discovery documents type-check).

Each rule cites the page that states it. A request breaking one is refused with the status the
API uses (``INVALID_ARGUMENT`` unless noted), before anything is stored.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any

from ._discovery import document
from ._server import ApiError

__all__ = [
    "armor_policy",
    "armor_rule",
    "dns_change",
    "labels",
    "redis_instance",
    "redis_versions",
    "run_service_id",
    "run_template",
    "secret",
    "secret_id",
    "sql_instance",
]

Json = dict[str, Any]


def _bad(message: str, field: str) -> ApiError:
    return ApiError("INVALID_ARGUMENT", message, field=field)


# ------------------------------------------------------------------------------------ labels
def _label_char(ch: str, *, first: bool) -> bool:
    category = unicodedata.category(ch)
    if category in ("Ll", "Lo"):
        return True
    return not first and (category == "Nd" or ch in "_-")


def labels(value: Json | None, where: str) -> None:
    """Google labels: at most 64; keys 1-63 characters starting with a lowercase letter; keys
    and values only lowercase letters, digits, ``_`` and ``-``; values up to 63 characters;
    at most 128 bytes of UTF-8 each.
    https://cloud.google.com/resource-manager/docs/labels-overview#requirements (and the same
    text in Secret Manager's ``Secret.labels``)."""
    items = dict(value or {})
    if len(items) > 64:
        raise _bad(f"{where}: at most 64 labels are allowed, got {len(items)}", where)
    for key, val in items.items():
        ok_key = 1 <= len(key) <= 63 and all(
            _label_char(c, first=i == 0) for i, c in enumerate(key)
        )
        if not ok_key or len(key.encode()) > 128:
            raise _bad(f"{where}: invalid label key {key!r}", f"{where}.{key}")
        ok_val = len(val) <= 63 and all(_label_char(c, first=False) for c in val)
        if not ok_val or len(val.encode()) > 128:
            raise _bad(f"{where}: invalid label value {val!r} for {key!r}", f"{where}.{key}")


# --------------------------------------------------------------------------------- Cloud Run
_RUN_ID = re.compile(r"\A[a-z](?:[-a-z0-9]{0,47}[a-z0-9])?\Z")
_MEMORY = re.compile(r"\A(\d+(?:\.\d+)?)(Ki|Mi|Gi|Ti|k|M|G|T)?\Z")
_UNITS = {None: 1, "k": 1e3, "M": 1e6, "G": 1e9, "T": 1e12}
_UNITS |= {"Ki": 1024, "Mi": 1024**2, "Gi": 1024**3, "Ti": 1024**4}


def run_service_id(sid: str) -> None:
    """Cloud Run service ids: "must begin with letter, and cannot end with hyphen; must contain
    fewer than 50 characters" (run.v2 ``services.create`` ``serviceId``), lowercase letters,
    digits and hyphens (https://cloud.google.com/run/docs/deploying#service)."""
    if not _RUN_ID.match(sid):
        raise _bad(
            f"serviceId {sid!r}: must begin with a letter, contain only lowercase letters, "
            "digits and hyphens, not end with a hyphen, and be fewer than 50 characters",
            "serviceId",
        )


def _cpu(text: str, where: str) -> float:
    try:
        value = int(text[:-1]) / 1000 if text.endswith("m") else float(text)
    except ValueError:
        raise _bad(f"{where}: invalid CPU quantity {text!r}", where) from None
    return value


def _mib(text: str, where: str) -> float:
    m = _MEMORY.match(text)
    if not m:
        raise _bad(f"{where}: invalid memory quantity {text!r}", where)
    return float(m.group(1)) * _UNITS[m.group(2)] / 1024**2


_EMAIL = re.compile(r"\A[^@\s]+@[^@\s]+\.[^@\s]+\Z")


def _probe(probe: Json, top: int, where: str) -> None:
    """run.v2 ``Probe``: "Exactly one of httpGet, tcpSocket, or grpc must be specified";
    ``periodSeconds`` and ``initialDelaySeconds`` at most 240 for a startup probe and 3600 for
    a liveness probe; ``timeoutSeconds`` 1-3600 and not above ``periodSeconds`` ("Must be
    greater or equal than timeout_seconds")."""
    if sum(k in probe for k in ("httpGet", "tcpSocket", "grpc")) != 1:
        raise _bad(f"{where}: exactly one of httpGet, tcpSocket or grpc", where)
    period = int(probe.get("periodSeconds", 10))
    timeout = int(probe.get("timeoutSeconds", 1))
    delay = int(probe.get("initialDelaySeconds", 0))
    if not 1 <= period <= top or not 0 <= delay <= top:
        raise _bad(f"{where}: periodSeconds and initialDelaySeconds must be at most {top}", where)
    if not 1 <= timeout <= min(period, 3600):
        raise _bad(f"{where}.timeoutSeconds must be 1 to periodSeconds", f"{where}.timeoutSeconds")


def run_template(template: Json) -> None:
    """CPU, memory and the settings fractional CPU requires.

    https://cloud.google.com/run/docs/configuring/services/cpu: CPU from 0.08 to 1 in steps
    of 0.001; "values greater than 1 must be integer values" (1, 2, 4, 6, 8; maximum 8); the
    memory each CPU allows: 0.08 vCPU up to 512 MiB, 0.5 up to 1 GiB, 1 up to 4 GiB, 2 up to
    8 GiB, 4: 2-16 GiB, 6: 4-24 GiB, 8: 4-32 GiB. Below 1 CPU: "Maximum concurrency must be
    set to 1", "request-based billing" (``cpuIdle`` true: "if ResourceRequirements is set, the
    caller must explicitly set this field to true", run.v2 ``ResourceRequirements.cpuIdle``)
    and "You must use the first generation execution environment".
    https://cloud.google.com/run/docs/configuring/services/memory-limits: minimum 128 MiB for
    the first generation, 512 MiB for the second; maximum 32 GiB.
    """
    account = template.get("serviceAccount")
    if account is not None and not _EMAIL.match(account):
        # RevisionTemplate.serviceAccount: "Email address of the IAM service account"
        raise _bad(f"serviceAccount {account!r} is not an email address", "template.serviceAccount")
    for i, container in enumerate(template.get("containers", [])):
        for kind, top in (("startupProbe", 240), ("livenessProbe", 3600)):
            if kind in container:
                _probe(container[kind], top, f"template.containers[{i}].{kind}")
    env = template.get("executionEnvironment", "EXECUTION_ENVIRONMENT_UNSPECIFIED")
    concurrency = int(template.get("maxInstanceRequestConcurrency") or 0)
    if concurrency > 1000:
        raise _bad(
            "maxInstanceRequestConcurrency must be at most 1000", "maxInstanceRequestConcurrency"
        )
    for i, container in enumerate(template.get("containers", [])):
        where = f"template.containers[{i}].resources"
        resources = container.get("resources") or {}
        limits = resources.get("limits") or {}
        cpu = _cpu(str(limits.get("cpu", "1")), f"{where}.limits.cpu")
        mib = _mib(str(limits.get("memory", "512Mi")), f"{where}.limits.memory")
        if not 0.08 <= cpu <= 8 or (cpu > 1 and cpu not in (2, 4, 6, 8)):
            raise _bad(
                f"{where}.limits.cpu: {limits.get('cpu')} is not allowed: 0.08 to 1 vCPU, "
                "or 1, 2, 4, 6 or 8",
                f"{where}.limits.cpu",
            )
        if cpu < 1 and abs(cpu * 1000 - round(cpu * 1000)) > 1e-6:
            raise _bad(f"{where}.limits.cpu: below 1, steps of 0.001", f"{where}.limits.cpu")
        floor = 512 if env == "EXECUTION_ENVIRONMENT_GEN2" else 128
        ceiling = (
            512
            if cpu < 0.5
            else 1024
            if cpu < 1
            else {1: 4, 2: 8, 4: 16, 6: 24}.get(int(cpu), 32) * 1024
        )
        floor = max(floor, {4: 2048, 6: 4096, 8: 4096}.get(int(cpu), 0))
        if not floor <= mib <= ceiling:
            raise _bad(
                f"{where}.limits.memory: {limits.get('memory')} is outside the "
                f"{floor:g}-{ceiling:g} MiB that {limits.get('cpu', '1')} CPU allows",
                f"{where}.limits.memory",
            )
        if cpu < 1:
            if concurrency > 1:
                raise _bad(
                    "maxInstanceRequestConcurrency must be 1 when CPU is less than 1",
                    "template.maxInstanceRequestConcurrency",
                )
            if resources.get("cpuIdle") is not True:
                raise _bad(
                    f"CPU less than 1 requires request-based billing: set {where}.cpuIdle to true",
                    f"{where}.cpuIdle",
                )
            if env == "EXECUTION_ENVIRONMENT_GEN2":
                raise _bad(
                    "CPU less than 1 requires the first generation execution environment",
                    "template.executionEnvironment",
                )


# --------------------------------------------------------------------------------- Cloud SQL
_SQL_NAME = re.compile(r"\A[a-z][a-z0-9-]{0,97}\Z")
_SHARED = {"db-f1-micro", "db-g1-small"}
_CUSTOM = re.compile(r"\Adb-custom-(\d+)-(\d+)\Z")
_PERF = re.compile(r"\Adb-perf-optimized-N-(\d+)\Z")
_PERF_CPUS = {2, 4, 8, 16, 32, 48, 64, 80, 96, 128}


def sql_instance(body: Json) -> str:
    """Cloud SQL instance rules; returns the edition that applies.

    * Instance ids: lowercase letters, numbers and hyphens, starting with a letter, 98
      characters at most (https://cloud.google.com/sql/docs/postgres/instance-settings).
    * Edition: when none is given, PostgreSQL 16 and later get Enterprise Plus
      (https://cloud.google.com/sql/docs/postgres/editions-intro). Shared-core and custom tiers
      are Enterprise only; Enterprise Plus takes ``db-perf-optimized-N-<2..128>`` (same pages);
      the API answers "Invalid Tier (db-g1-small) for (ENTERPRISE_PLUS) Edition".
    * Custom tiers ``db-custom-<CPUs>-<MiB>``: 1 or an even number of CPUs up to 96; memory a
      multiple of 256 MiB, 0.9 to 6.5 GB per CPU and at least 3.75 GB (instance settings).
    * ``dataDiskSizeGb``: "The data disk size minimum is 10GB" (sqladmin.v1beta4 ``Settings``).
    """
    name = str(body.get("name", ""))
    if not _SQL_NAME.match(name):
        raise _bad(
            f"instance name {name!r}: lowercase letters, numbers and hyphens, starting with a "
            "letter, at most 98 characters",
            "name",
        )
    settings = body.get("settings") or {}
    tier = str(settings.get("tier") or "")
    version = str(body.get("databaseVersion") or "POSTGRES_16")
    major = re.match(r"POSTGRES_(\d+)", version)
    default = "ENTERPRISE_PLUS" if major and int(major.group(1)) >= 16 else "ENTERPRISE"
    edition = settings.get("edition") or "EDITION_UNSPECIFIED"
    if edition == "EDITION_UNSPECIFIED":
        edition = default
    custom, perf = _CUSTOM.match(tier), _PERF.match(tier)
    if tier in _SHARED or custom:
        allowed = {"ENTERPRISE"}
    elif perf and int(perf.group(1)) in _PERF_CPUS:
        allowed = {"ENTERPRISE_PLUS"}
    else:
        raise _bad(f"Invalid Tier ({tier}) for ({edition}) Edition", "settings.tier")
    if edition not in allowed:
        raise _bad(f"Invalid Tier ({tier}) for ({edition}) Edition", "settings.tier")
    if custom:
        cpus, mib = int(custom.group(1)), int(custom.group(2))
        per_cpu = mib / 1024 / cpus
        if (
            (cpus != 1 and (cpus % 2 or cpus > 96))
            or mib % 256
            or mib < 3840
            or not (0.9 <= per_cpu <= 6.5)
        ):
            raise _bad(f"Invalid Tier ({tier}): not a valid custom machine type", "settings.tier")
    disk = int(settings.get("dataDiskSizeGb") or 10)
    if disk < 10:
        raise _bad(
            f"settings.dataDiskSizeGb: {disk} GB is below the 10 GB minimum",
            "settings.dataDiskSizeGb",
        )
    labels(settings.get("userLabels"), "settings.userLabels")
    return str(edition)


# ------------------------------------------------------------------------------- Memorystore
_REDIS_ID = re.compile(r"\A[a-z](?:[-a-z0-9]{0,38}[a-z0-9])?\Z")


def redis_versions() -> set[str]:
    """The Redis versions Memorystore accepts, read from redis.v1's ``Instance.redisVersion``
    description ("the supported values are: * `REDIS_3_2` ... * `REDIS_7_2`")."""
    text = document("redis.v1")["schemas"]["Instance"]["properties"]["redisVersion"]["description"]
    return set(re.findall(r"`(REDIS_[0-9A-Z_]+)`", text))


def redis_instance(iid: str, body: Json) -> None:
    """Memorystore instance rules: ids "Must contain only lowercase letters, numbers, and
    hyphens. Must start with a letter. Must be between 1-40 characters. Must end with a number
    or a letter" (redis.v1 ``instances.create`` ``instanceId``); ``tier`` and ``memorySizeGb``
    are "Required."; ``redisVersion`` one of the documented values; labels as Google labels."""
    if not _REDIS_ID.match(iid):
        raise _bad(
            f"instanceId {iid!r}: 1-40 lowercase letters, numbers and hyphens, starting with a "
            "letter and ending with a letter or number",
            "instanceId",
        )
    if body.get("tier") in (None, "TIER_UNSPECIFIED"):
        raise _bad("instance.tier is required", "instance.tier")
    if int(body.get("memorySizeGb") or 0) < 1:
        raise _bad("instance.memorySizeGb is required (GiB, at least 1)", "instance.memorySizeGb")
    version = body.get("redisVersion")
    if version is not None and version not in redis_versions():
        raise _bad(
            f"instance.redisVersion {version!r} is not supported; use one of "
            f"{sorted(redis_versions())}",
            "instance.redisVersion",
        )
    labels(body.get("labels"), "instance.labels")


# ---------------------------------------------------------------------------- Secret Manager
_SECRET_ID = re.compile(r"\A[A-Za-z0-9_-]{1,255}\Z")
_ANNOTATION_KEY = re.compile(r"\A[a-zA-Z0-9](?:[-_.a-zA-Z0-9]{0,61}[a-zA-Z0-9])?\Z")


def secret_id(sid: str) -> None:
    """ "A secret ID is a string with a maximum length of 255 characters and can contain
    uppercase and lowercase letters, numerals, and the hyphen (`-`) and underscore (`_`)
    characters" (secretmanager.v1 ``secrets.create`` ``secretId``)."""
    if not _SECRET_ID.match(sid):
        raise _bad(f"secretId {sid!r}: 1-255 of [A-Za-z0-9_-]", "secretId")


def secret(body: Json) -> None:
    """Secret labels (as Google labels) and annotations: keys 1-63 characters, beginning and
    ending alphanumeric with ``-_.`` between; keys and values together under 16 KiB
    (secretmanager.v1 ``Secret.annotations``)."""
    labels(body.get("labels"), "secret.labels")
    annotations = dict(body.get("annotations") or {})
    for key in annotations:
        if not _ANNOTATION_KEY.match(key):
            raise _bad(f"secret.annotations: invalid key {key!r}", f"secret.annotations.{key}")
    size = sum(len(k.encode()) + len(str(v).encode()) for k, v in annotations.items())
    if size >= 16 * 1024:
        raise _bad("secret.annotations: keys and values must total less than 16 KiB", "secret")


# ------------------------------------------------------------------------------- Cloud Armor
_INTERVALS = {10, 30, 60, 120, 180, 240, 300, 600, 900, 1200, 1800, 2700, 3600}
_DENY = re.compile(r"\Adeny\((403|404|502)\)\Z")
_EXCEED = re.compile(r"\A(deny\((403|404|429|502)\)|redirect)\Z")
_ACTIONS = {"allow", "redirect", "rate_based_ban", "throttle"}
_RATE_ACTIONS = {"rate_based_ban", "throttle"}


def _subexpressions(expression: str) -> int:
    """Subexpressions joined by ``&&``/``||`` outside string literals."""
    bare = re.sub(r"'(?:\\.|[^'\\])*'|\"(?:\\.|[^\"\\])*\"", "''", expression)
    return 1 + len(re.findall(r"&&|\|\|", bare))


def armor_rule(rule: Json, where: str = "rule") -> None:
    """Cloud Armor rule rules (compute.v1 ``SecurityPolicyRule`` and its parts):

    * ``priority``: "must be a positive value between 0 and 2147483647"; required here.
    * ``action``: allow, ``deny(STATUS)`` with 403, 404 or 502, redirect, rate_based_ban,
      throttle.
    * ``match.config.srcIpRanges``: "Maximum number of src_ip_ranges allowed is 10."
    * ``match.expr``: at most 5 subexpressions per expression
      (https://cloud.google.com/armor/docs/rules-language-reference: "each expression can have
      up to 5 subexpressions").
    * ``rateLimitOptions``: "Must be specified if the action is "rate_based_ban" or "throttle"
      ... Cannot be specified for any other actions."; ``banDurationSec`` "Can only be
      specified if the action for the rule is "rate_based_ban""; ``exceedAction`` deny with
      403, 404, 429 or 502, or redirect; ``intervalSec`` one of 10, 30, 60, 120, 180, 240, 300,
      600, 900, 1200, 1800, 2700, 3600
      (https://cloud.google.com/armor/docs/rate-limiting-overview).
    """
    if "priority" not in rule:
        raise _bad(f"{where}.priority is required", f"{where}.priority")
    priority = int(rule["priority"])
    if not 0 <= priority <= 2147483647:
        raise _bad(f"{where}.priority {priority} is outside 0-2147483647", f"{where}.priority")
    action = str(rule.get("action", ""))
    if action not in _ACTIONS and not _DENY.match(action):
        raise _bad(f"{where}.action {action!r} is not a valid action", f"{where}.action")
    match = rule.get("match") or {}
    ranges = (match.get("config") or {}).get("srcIpRanges") or []
    if len(ranges) > 10:
        raise _bad(
            f"{where}.match.config.srcIpRanges: {len(ranges)} ranges; at most 10 are allowed",
            f"{where}.match.config.srcIpRanges",
        )
    expression = (match.get("expr") or {}).get("expression")
    if expression is not None:
        bare = re.sub(r"\\.", "", expression)
        if bare.count("(") != bare.count(")") or bare.count("'") % 2:
            raise _bad(f"Invalid CEL expression: {expression}", f"{where}.match.expr")
        if _subexpressions(expression) > 5:
            raise _bad(
                f"{where}.match.expr: {_subexpressions(expression)} subexpressions; an "
                "expression can have up to 5",
                f"{where}.match.expr.expression",
            )
    if not ranges and expression is None:
        raise _bad(f"{where}.match needs srcIpRanges or an expression", f"{where}.match")
    options = rule.get("rateLimitOptions")
    if action in _RATE_ACTIONS and options is None:
        raise _bad(f"rateLimitOptions is required for {action}", f"{where}.rateLimitOptions")
    if action not in _RATE_ACTIONS and options is not None:
        raise _bad(
            f"rateLimitOptions cannot be specified for action {action!r}",
            f"{where}.rateLimitOptions",
        )
    if options is None:
        return
    if "banDurationSec" in options and action != "rate_based_ban":
        raise _bad(
            "banDurationSec can only be specified for rate_based_ban",
            f"{where}.rateLimitOptions.banDurationSec",
        )
    if not _EXCEED.match(str(options.get("exceedAction", ""))):
        raise _bad(
            f"exceedAction {options.get('exceedAction')!r} is not valid",
            f"{where}.rateLimitOptions.exceedAction",
        )
    interval = int((options.get("rateLimitThreshold") or {}).get("intervalSec") or 0)
    if interval not in _INTERVALS:
        raise _bad(
            f"rateLimitThreshold.intervalSec {interval} is not one of {sorted(_INTERVALS)}",
            f"{where}.rateLimitOptions.rateLimitThreshold.intervalSec",
        )


def armor_policy(body: Json) -> None:
    """A policy: its name (checked by the discovery pattern), labels and each rule."""
    if not body.get("name"):
        raise _bad("Required field 'resource.name' not specified", "name")
    labels(body.get("labels"), "labels")
    for i, rule in enumerate(body.get("rules", [])):
        armor_rule(rule, f"rules[{i}]")


# --------------------------------------------------------------------------------- Cloud DNS
def _txt_strings(rrdata: str) -> list[bytes]:
    """The character-strings of a TXT rrdata in zone-file syntax, as bytes."""
    out: list[bytes] = []
    i = 0
    data = rrdata.strip()
    while i < len(data):
        if data[i] == " ":
            i += 1
            continue
        if data[i] != '"':
            j = data.find(" ", i)
            j = len(data) if j < 0 else j
            out.append(data[i:j].encode())
            i = j
            continue
        buf, i = bytearray(), i + 1
        while i < len(data) and data[i] != '"':
            if data[i] == "\\" and i + 1 < len(data):
                i += 1
            buf += data[i].encode()
            i += 1
        if i >= len(data):
            raise ValueError("unterminated quoted string")
        out.append(bytes(buf))
        i += 1
    return out


def dns_change(body: Json, apex: str) -> None:
    """A Cloud DNS change (https://cloud.google.com/dns/quotas): at most 1,000 record-set
    additions and 1,000 deletions per change, at most 100 records per record set; names inside
    the zone, fully qualified (trailing dot); each TXT character-string at most 255 bytes
    (RFC 1035 §3.3: "<character-string> is a single length octet followed by that number of
    characters"). The zone's own apex SOA and NS can only be replaced, never removed or
    added: a change that deletes one must add it back, and one that adds one must delete the
    old (https://cloud.google.com/dns/docs/records#modify_ns_soa: "You cannot delete the
    default SOA or NS record set, only modify it")."""
    additions, deletions = body.get("additions", []), body.get("deletions", [])
    for key, items in (("additions", additions), ("deletions", deletions)):
        if len(items) > 1000:
            raise _bad(f"change.{key}: {len(items)} record sets; at most 1,000", f"change.{key}")
        for i, rr in enumerate(items):
            where = f"change.{key}[{i}]"
            name, rtype = str(rr.get("name", "")), str(rr.get("type", ""))
            if not name.endswith(".") or not (name == apex or name.endswith("." + apex)):
                raise _bad(f"{where}.name {name!r} is not a name in zone {apex}", f"{where}.name")
            if not rtype or "ttl" not in rr:
                raise _bad(f"{where}: type and ttl are required", where)
            datas = rr.get("rrdatas") or []
            if not datas or len(datas) > 100:
                raise _bad(f"{where}.rrdatas: 1 to 100 records per set", f"{where}.rrdatas")
            if rtype in ("TXT", "SPF"):
                for j, data in enumerate(datas):
                    try:
                        strings = _txt_strings(data)
                    except ValueError as exc:
                        raise _bad(f"{where}.rrdatas[{j}]: {exc}", f"{where}.rrdatas") from None
                    if any(len(s) > 255 for s in strings):
                        raise _bad(
                            f"{where}.rrdatas[{j}]: a TXT character-string is longer than 255 "
                            "bytes",
                            f"{where}.rrdatas",
                        )
    for rtype in ("SOA", "NS"):
        added = any(r.get("name") == apex and r.get("type") == rtype for r in additions)
        deleted = any(r.get("name") == apex and r.get("type") == rtype for r in deletions)
        if added != deleted:
            raise ApiError(
                "INVALID_ARGUMENT",
                f"The zone's apex {rtype} record set can only be modified (deleted and added "
                "in the same change), not removed or added",
                reason="invalid",
                field="change",
            )
