"""``connect()``: one driver by name, or a composition; profiles from ``cloudcore.toml`` and env.

Resolution order for what to connect to: the argument, then ``CLOUDCORE_PROVIDER``, then the
profile (``profile=``, else ``CLOUDCORE_PROFILE``, else ``default``) in ``cloudcore.toml``
(``CLOUDCORE_CONFIG``, else ``./cloudcore.toml``), else the embedded default ``local``.

Options for a driver come from the profile, then ``CLOUDCORE_<DRIVER>_<OPTION>`` variables, then
keyword arguments (last wins). Credentials are never read from cloudcore's files: each driver
uses its SDK's standard credential chain, and a credential-like key in ``cloudcore.toml`` is
refused.

Example ``cloudcore.toml``::

    [profiles.default]
    provider = "local"

    [profiles.edge]
    provider = { compute = "aws", database = "aws", dns = "cloudflare", waf = "cloudflare" }
    aws = { region = "us-east-1" }
    cloudflare = { account_id = "0123abcd" }
"""

from __future__ import annotations

import inspect
import os
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from .capabilities import Capability
from .errors import ConfigurationError
from .protocol import CloudProvider

__all__ = ["DEFAULT_PROVIDER", "connect", "load_profile"]

DEFAULT_PROVIDER = "local"
_CREDENTIAL_WORDS = ("secret", "password", "token", "access_key", "credential", "private_key")


def _config_path() -> Path | None:
    env = os.environ.get("CLOUDCORE_CONFIG")
    if env:
        path = Path(env)
        if not path.is_file():
            raise ConfigurationError(f"CLOUDCORE_CONFIG={env!r}: no such file")
        return path
    path = Path.cwd() / "cloudcore.toml"
    return path if path.is_file() else None


def load_profile(name: str | None = None) -> dict[str, Any]:
    """The named profile (or ``CLOUDCORE_PROFILE``, or ``default``) from ``cloudcore.toml``.

    Returns an empty mapping when there is no file and no profile was asked for by name.

    Raises:
        ConfigurationError: the file is not valid TOML, the profile does not exist, or it holds
            a credential-like key.
    """
    wanted = name or os.environ.get("CLOUDCORE_PROFILE")
    path = _config_path()
    if path is None:
        if wanted and wanted != "default":
            raise ConfigurationError(f"profile {wanted!r} asked for, but no cloudcore.toml found")
        return {}
    try:
        data = tomllib.loads(path.read_text())
    except (tomllib.TOMLDecodeError, OSError) as exc:
        raise ConfigurationError(f"{path}: {exc}") from None
    profiles = data.get("profiles", {})
    key = wanted or "default"
    if key not in profiles:
        if wanted and wanted != "default":
            known = ", ".join(sorted(profiles)) or "none"
            raise ConfigurationError(f"{path}: no profile {key!r} (profiles: {known})")
        return {}
    profile = profiles[key]
    _refuse_credentials(profile, f"{path} [profiles.{key}]")
    return dict(profile)


def _refuse_credentials(value: Any, where: str) -> None:
    if isinstance(value, Mapping):
        for k, v in value.items():
            if any(word in str(k).lower() for word in _CREDENTIAL_WORDS):
                raise ConfigurationError(
                    f"{where}: {k!r} looks like a credential; cloudcore never reads credentials "
                    "from its own files. Use the SDK's standard credential chain instead."
                )
            _refuse_credentials(v, where)


def _env_value(raw: str) -> Any:
    low = raw.lower()
    if low in ("true", "false"):
        return low == "true"
    if raw.isdigit():
        return int(raw)
    return raw


def _env_options(driver: str) -> dict[str, Any]:
    prefix = f"CLOUDCORE_{driver.upper()}_"
    return {
        k[len(prefix) :].lower(): _env_value(v)
        for k, v in os.environ.items()
        if k.startswith(prefix)
    }


def _instantiate(driver: str, options: Mapping[str, Any]) -> CloudProvider:
    from .registry import load_factory

    factory = load_factory(driver)
    try:
        params: Mapping[str, inspect.Parameter] = inspect.signature(factory).parameters
    except (TypeError, ValueError):
        params = {}
    accepts_any = any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params.values())
    if params and not accepts_any:
        unknown = sorted(set(options) - set(params))
        if unknown:
            allowed = ", ".join(sorted(k for k in params if not k.startswith("_"))) or "none"
            raise ConfigurationError(
                f"driver {driver!r}: unknown options {unknown}; it accepts: {allowed}",
                provider=driver,
            )
    provider: CloudProvider = factory(**options)
    return provider


def connect(
    provider: str | Mapping[str, str | CloudProvider] | None = None,
    /,
    *,
    profile: str | None = None,
    **options: Any,
) -> CloudProvider:
    """Connect to one driver by name, or to a composition routed by capability.

    Args:
        provider: A driver name (``"aws"``), or a mapping from capability (``"compute"``, ...,
            or ``"default"`` for every capability not named) to a driver name or an already
            connected provider.
        profile: Profile name in ``cloudcore.toml``.
        **options: Driver options. With a mapping, an option named after a driver in it (a
            dict) goes to that driver only; the others go to every driver created.

    Returns:
        A provider implementing :class:`~cloudcore.protocol.CloudProvider`.

    Raises:
        DriverNotFound: unknown driver name (the error lists the known ones).
        DriverNotInstalled: its SDK is missing (the error names the extra to install).
        ConfigurationError: bad options or mapping.
        Unsupported: a capability routed to a driver that does not offer it.
    """
    prof = load_profile(profile)
    target: Any = provider or os.environ.get("CLOUDCORE_PROVIDER") or prof.get("provider")
    target = target or DEFAULT_PROVIDER
    if isinstance(target, str):
        merged = {**_as_dict(prof.get(target)), **_env_options(target), **options}
        return _instantiate(target, merged)
    if isinstance(target, Mapping):
        return _compose(target, prof, options)
    raise ConfigurationError(f"provider: expected a driver name or a mapping, got {target!r}")


def _as_dict(value: Any) -> dict[str, Any]:
    return dict(value) if isinstance(value, Mapping) else {}


def _compose(
    mapping: Mapping[str, Any], prof: Mapping[str, Any], options: dict[str, Any]
) -> CloudProvider:
    from .composite import CompositeProvider

    names = {v for v in mapping.values() if isinstance(v, str)}
    per_driver = {n: _as_dict(options.get(n)) for n in names}
    common = {k: v for k, v in options.items() if k not in names}
    created: dict[str, CloudProvider] = {}
    routes: dict[Capability, CloudProvider] = {}
    default = mapping.get("default")
    try:
        caps: dict[Capability, Any] = {}
        for key, value in mapping.items():
            if key == "default":
                continue
            try:
                caps[Capability(key)] = value
            except ValueError:
                known = ", ".join(c.value for c in Capability)
                raise ConfigurationError(
                    f"provider mapping: {key!r} is not a capability ({known}, or 'default')"
                ) from None
        for cap in Capability:
            value = caps.get(cap, default)
            if value is None:
                continue
            if isinstance(value, str):
                if value not in created:
                    opts = {
                        **_as_dict(prof.get(value)),
                        **_env_options(value),
                        **common,
                        **per_driver[value],
                    }
                    created[value] = _instantiate(value, opts)
                prov = created[value]
            elif isinstance(value, CloudProvider):
                prov = value
            else:
                raise ConfigurationError(
                    f"provider mapping: {cap.value} -> {value!r} is neither a driver name nor "
                    "a provider"
                )
            if default is not None and cap not in caps and not prov.supports(cap):
                continue  # "default" fills in only what the default driver offers
            routes[cap] = prov
        return CompositeProvider(routes, owned=created.values())
    except BaseException:
        for prov in created.values():
            prov.close()
        raise
