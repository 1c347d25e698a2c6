"""Route53 operations the moto target answers as AWS documents them, where moto does not.

Each rule is a WSGI handler ``(moto_app, environ, start_response) -> body`` that
:class:`~cloudcore_aws._motowire.WireCountingApp` calls for its operation (see
:data:`ROUTE53_RULES`).

* ``ListHostedZonesByName``: moto returns only the zones named exactly ``DNSName`` and ignores
  ``MaxItems``; AWS returns the zones *from* that name on, in the order of their names with the
  labels reversed (``com.example.www.``), at most ``MaxItems`` (100) per response, with
  ``IsTruncated``/``NextDNSName``/``NextHostedZoneId``
  (https://docs.aws.amazon.com/Route53/latest/APIReference/API_ListHostedZonesByName.html).
* ``ChangeResourceRecordSets``: AWS refuses a ``CREATE`` of a record set that exists, a
  ``DELETE`` of one that does not or whose values differ, and a request with more than 32,000
  characters of values (an ``UPSERT`` counting twice); changes apply in order, all or nothing
  (https://docs.aws.amazon.com/Route53/latest/APIReference/API_ChangeResourceRecordSets.html,
  https://docs.aws.amazon.com/Route53/latest/DeveloperGuide/DNSLimitations.html). moto duplicates
  a record set on such a ``CREATE``, and refuses the re-``CREATE`` of a deleted one whenever any
  record set sorts after it (it compares each ``CREATE`` with every earlier change of the zone,
  which also makes 10,000 creates take ~30 s). The rule checks each batch against the zone's
  record sets as moto holds them, answers ``InvalidChangeBatch`` as AWS does, and passes a valid
  batch on with each ``CREATE`` sent as the ``UPSERT`` it is then equivalent to.
* ``ListHealthChecks``: the paging fields AWS always answers, which moto leaves out.
"""

from __future__ import annotations

import io
import os
import threading
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import parse_qsl

__all__ = ["ROUTE53_RULES"]

_R53_NS = "https://route53.amazonaws.com/doc/2013-04-01/"
_NS = {"r": _R53_NS}
_MAX_ZONES_PER_PAGE = 100  # "Route 53 returns up to 100 items in each response"
_MAX_VALUE_CHARACTERS = 32_000
_changes_lock = threading.Lock()

App = Callable[..., Iterable[bytes]]


def _tag(name: str) -> str:
    return f"{{{_R53_NS}}}{name}"


def _call(app: App, environ: dict[str, Any]) -> tuple[str, list[tuple[str, str]], bytes]:
    from ._motowire import drain

    captured: dict[str, Any] = {}

    def capture(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
        captured["status"], captured["headers"] = status, headers
        return lambda data: None

    body = b"".join(drain(app(environ, capture)))
    return str(captured["status"]), list(captured["headers"]), body


def _answer(
    start_response: Callable[..., Any],
    status: str,
    headers: list[tuple[str, str]],
    root: ET.Element,
) -> list[bytes]:
    body = b'<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root)
    kept = [(k, v) for k, v in headers if k.lower() != "content-length"]
    start_response(status, [*kept, ("Content-Length", str(len(body)))])
    return [body]


def _error(start_response: Callable[..., Any], code: str, message: str) -> list[bytes]:
    root = ET.Element(_tag("ErrorResponse"))
    error = ET.SubElement(root, _tag("Error"))
    ET.SubElement(error, _tag("Type")).text = "Sender"
    ET.SubElement(error, _tag("Code")).text = code
    ET.SubElement(error, _tag("Message")).text = message
    ET.SubElement(root, _tag("RequestId")).text = "cloudcore-moto"
    return _answer(start_response, "400 Bad Request", [("Content-Type", "text/xml")], root)


# ------------------------------------------------------------------- ListHostedZonesByName
def _reversed_name(name: str) -> str:
    """``www.example.com.`` -> ``com.example.www.``: the documented sort key."""
    labels = name.rstrip(".").split(".")
    return ".".join(reversed(labels)) + "."


def zones_by_name(app: App, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
    """``ListHostedZonesByName`` from ``dnsname`` (and ``hostedzoneid``) on, ``maxitems`` a page."""
    query = dict(parse_qsl(environ.get("QUERY_STRING", ""), keep_blank_values=True))
    dns_name = query.get("dnsname")
    zone_id = query.get("hostedzoneid")
    try:
        max_items = min(int(query.get("maxitems") or _MAX_ZONES_PER_PAGE), _MAX_ZONES_PER_PAGE)
    except ValueError:
        max_items = 0
    if max_items < 1 or (zone_id and not dns_name):
        # "If you specify hostedzoneid, you must also specify dnsname"; maxitems is a number
        return _error(start_response, "InvalidInput", "Invalid hostedzoneid, dnsname or maxitems")
    status, headers, raw = _call(app, dict(environ, QUERY_STRING=""))  # moto: every zone
    if not status.startswith("200"):
        start_response(status, headers)
        return [raw]
    ET.register_namespace("", _R53_NS)
    root = ET.fromstring(raw)  # noqa: S314 - moto's own response, on 127.0.0.1
    holder = root.find("r:HostedZones", _NS)
    zones = list(holder) if holder is not None else []
    keyed = [
        (_reversed_name(z.findtext("r:Name", "", _NS)), z.findtext("r:Id", "", _NS), z)
        for z in zones
    ]
    keyed.sort(key=lambda item: item[0])  # stable: zones of one name keep moto's order
    first = 0
    if dns_name:
        start_key = _reversed_name(dns_name)
        first = next((i for i, (key, _, _) in enumerate(keyed) if key >= start_key), len(keyed))
        if zone_id:
            wanted = zone_id.rsplit("/", 1)[-1]
            same = [
                i
                for i, (key, zid, _) in enumerate(keyed)
                if key == start_key and zid.rsplit("/", 1)[-1] == wanted
            ]
            first = same[0] if same else first
    page = keyed[first : first + max_items]
    rest = keyed[first + max_items :]
    out = ET.Element(_tag("ListHostedZonesByNameResponse"))
    listed = ET.SubElement(out, _tag("HostedZones"))
    for _, _, zone in page:
        listed.append(zone)
    for tag, value in (("DNSName", dns_name), ("HostedZoneId", zone_id)):
        if value:
            ET.SubElement(out, _tag(tag)).text = value
    ET.SubElement(out, _tag("IsTruncated")).text = "true" if rest else "false"
    if rest:
        next_zone = rest[0][2]
        ET.SubElement(out, _tag("NextDNSName")).text = next_zone.findtext("r:Name", "", _NS)
        next_id = next_zone.findtext("r:Id", "", _NS).rsplit("/", 1)[-1]
        ET.SubElement(out, _tag("NextHostedZoneId")).text = next_id
    ET.SubElement(out, _tag("MaxItems")).text = str(max_items)
    return _answer(start_response, status, headers, out)


# ------------------------------------------------------------------------ ListHealthChecks
def health_checks(app: App, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
    """moto lists every health check but leaves out ``IsTruncated``, ``Marker`` and ``MaxItems``,
    which AWS documents as always present
    (https://docs.aws.amazon.com/Route53/latest/APIReference/API_ListHealthChecks.html); clients
    that page (octoDNS) read them. They are added (moto never truncates)."""
    query = dict(parse_qsl(environ.get("QUERY_STRING", ""), keep_blank_values=True))
    status, headers, raw = _call(app, environ)
    if not status.startswith("200"):
        start_response(status, headers)
        return [raw]
    ET.register_namespace("", _R53_NS)
    root = ET.fromstring(raw)  # noqa: S314 - moto's own response, on 127.0.0.1
    for tag, value in (
        ("IsTruncated", "false"),
        ("Marker", query.get("marker", "")),
        ("MaxItems", query.get("maxitems", "100")),
    ):
        if root.find(_tag(tag)) is None:
            ET.SubElement(root, _tag(tag)).text = value
    return _answer(start_response, status, headers, root)


# ---------------------------------------------------------------- ChangeResourceRecordSets
def _zone_of_request(environ: dict[str, Any]) -> Any:
    """moto's zone object for the request's path, or ``None`` (moto then answers itself)."""
    from moto.core.models import DEFAULT_ACCOUNT_ID
    from moto.route53.models import route53_backends

    parts = str(environ.get("PATH_INFO", "")).strip("/").split("/")
    if len(parts) < 3 or parts[1] != "hostedzone":
        return None
    account = (
        os.environ.get("MOTO_ACCOUNT_ID")
        or environ.get("HTTP_X_MOTO_ACCOUNT_ID")
        or _account_of(environ)
        or DEFAULT_ACCOUNT_ID
    )
    return route53_backends[account]["aws"].zones.get(parts[2])


def _account_of(environ: dict[str, Any]) -> str | None:
    from moto.iam.models import get_account_id_from

    auth = str(environ.get("HTTP_AUTHORIZATION", ""))
    key = auth.partition("Credential=")[2].partition("/")[0]
    return str(get_account_id_from(key)) if key else None


def _held(zone: Any) -> dict[tuple[str, str, str | None], tuple[Any, list[str], Any]]:
    """What the zone holds: ``(name, type, set id) -> (ttl, values, alias)``, names folded."""
    return {
        (str(rr.name).rstrip(".").lower(), str(rr.type), rr.set_identifier): (
            rr.ttl,
            sorted(str(v) for v in rr.records or ()),
            rr.alias_target,
        )
        for rr in zone.rrsets
    }


def _check(changes: list[ET.Element], held: dict[Any, Any]) -> str | None:
    """The ``InvalidChangeBatch`` message for a batch AWS refuses, else ``None``."""
    characters = 0
    for change in changes:
        action = change.findtext("r:Action", "", _NS)
        rrset = change.find("r:ResourceRecordSet", _NS)
        if rrset is None:
            continue
        name = rrset.findtext("r:Name", "", _NS)
        rtype = rrset.findtext("r:Type", "", _NS)
        key = (name.rstrip(".").lower(), rtype, rrset.findtext("r:SetIdentifier", None, _NS))
        values = sorted(
            v.text or "" for v in rrset.iterfind("r:ResourceRecords/r:ResourceRecord/r:Value", _NS)
        )
        characters += (2 if action == "UPSERT" else 1) * sum(len(v) for v in values)
        shown = f"[name='{name.rstrip('.')}.', type='{rtype}']"
        if action == "CREATE" and key in held:
            return f"[Tried to create resource record set {shown} but it already exists]"
        if action == "DELETE":
            if key not in held:
                return f"[Tried to delete resource record set {shown} but it was not found]"
            ttl, had, alias = held[key]
            ttl_sent = rrset.findtext("r:TTL", None, _NS)
            if alias is None and (had != values or str(ttl) != str(ttl_sent)):
                return (
                    f"[Tried to delete resource record set {shown} but the values provided do "
                    "not match the current values]"
                )
            del held[key]
        elif action in ("CREATE", "UPSERT"):
            held[key] = (rrset.findtext("r:TTL", None, _NS), values, None)
    if characters > _MAX_VALUE_CHARACTERS:
        return f"[The request has {characters} characters of values; the limit is 32000]"
    return None


def change_batch(app: App, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
    """Check a change batch against the zone; pass a valid one on, each CREATE as an UPSERT."""
    from ._motowire import buffer_body

    body = buffer_body(environ)
    try:
        ET.register_namespace("", _R53_NS)
        root = ET.fromstring(body)  # noqa: S314 - the client's request, on 127.0.0.1
    except ET.ParseError:
        return app(environ, start_response)  # moto answers malformed input its own way
    with _changes_lock:  # check and apply as one step, as AWS does
        zone = _zone_of_request(environ)
        if zone is None:
            return app(environ, start_response)
        changes = list(root.iterfind("r:ChangeBatch/r:Changes/r:Change", _NS))
        problem = _check(changes, _held(zone))
        if problem is not None:
            return _error(start_response, "InvalidChangeBatch", problem)
        problem = _moto_would_refuse(changes, str(zone.name))
        if problem is not None:
            return _error(start_response, "InvalidChangeBatch", problem)
        for change in changes:
            action = change.find("r:Action", _NS)
            if action is not None and action.text == "CREATE":
                action.text = "UPSERT"  # the record set does not exist: the same effect
        # moto would count each former CREATE twice against the 1,000-element limit (checked
        # above as AWS counts): pass the batch on in parts moto accepts, in order. Every check
        # moto makes per change was made above, so no part fails after an earlier one applied.
        result: list[bytes] = []
        for part in _parts(changes):
            holder = root.find("r:ChangeBatch/r:Changes", _NS)
            assert holder is not None
            for child in list(holder):
                holder.remove(child)
            holder.extend(part)
            data = b'<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root)
            inner = dict(environ, CONTENT_LENGTH=str(len(data)))
            inner["wsgi.input"] = io.BytesIO(data)
            status, headers, raw = _call(app, inner)
            result = [raw]
            if not status.startswith("200"):
                break
        start_response(status, headers)
        return result


def _records(change: ET.Element) -> int:
    return len(change.findall("r:ResourceRecordSet/r:ResourceRecords/r:ResourceRecord", _NS))


def _parts(changes: list[ET.Element]) -> list[list[ET.Element]]:
    """Consecutive parts of at most 1,000 elements as moto counts them (UPSERT twice)."""
    parts: list[list[ET.Element]] = [[]]
    count = 0
    for change in changes:
        weight = _records(change) * (2 if change.findtext("r:Action", "", _NS) == "UPSERT" else 1)
        if parts[-1] and count + weight > 1000:
            parts.append([])
            count = 0
        parts[-1].append(change)
        count += weight
    return parts


def _moto_would_refuse(changes: list[ET.Element], zone: str) -> str | None:
    """What moto checks per change (a valid name, inside the zone, a known action), and the
    1,000-element limit as AWS counts it (an UPSERT twice), before anything is applied."""
    from moto.route53.utils import validate_domain_name

    elements = 0
    suffix = zone.rstrip(".").lower()
    for change in changes:
        action = change.findtext("r:Action", "", _NS)
        if action not in ("CREATE", "UPSERT", "DELETE"):
            return f"[Invalid action {action!r}]"
        name = change.findtext("r:ResourceRecordSet/r:Name", "", _NS)
        try:
            validate_domain_name(name, code="InvalidChangeBatch")
        except Exception as exc:
            return f"[{exc}]"
        folded = name.rstrip(".").lower()
        if folded != suffix and not folded.endswith("." + suffix):
            return f"[RRSet with DNS name {name} is not permitted in zone {zone}]"
        elements += _records(change) * (2 if action == "UPSERT" else 1)
    if elements > 1000:
        return "Number of records limit of 1000 exceeded."
    return None


ROUTE53_RULES: dict[str, Callable[[App, dict[str, Any], Callable[..., Any]], Any]] = {
    "ListHostedZonesByName": zones_by_name,
    "ListHealthChecks": health_checks,
    "ChangeResourceRecordSets": change_batch,
}
"""The rule of each Route53 operation the moto target answers itself, by operation name."""
