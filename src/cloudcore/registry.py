"""The driver registry: entry points in the group ``cloudcore.drivers``, read lazily.

Nothing here runs at ``import cloudcore``. The group's entry points are cached per environment
(see :mod:`cloudcore._epcache`; ``CLOUDCORE_NO_CACHE=1`` turns that off). The first call to :func:`available_drivers`,
:func:`get_driver` or :func:`cloudcore.connect` loads every plugin module of the group (which
imports no SDK), calls its ``cloudcore_register_drivers`` hook and records the drivers. A plugin
that fails to load is recorded in :func:`plugin_errors` and does not affect the others.
"""

from __future__ import annotations

import importlib
import importlib.util
import logging
import threading
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from . import _epcache
from .errors import ConfigurationError, DriverNotFound, DriverNotInstalled

if TYPE_CHECKING:
    import pluggy

__all__ = [
    "DriverInfo",
    "available_drivers",
    "get_driver",
    "load_factory",
    "load_test_target",
    "plugin_errors",
    "plugin_manager",
]

ENTRY_POINT_GROUP = "cloudcore.drivers"
log = logging.getLogger("cloudcore.registry")
logging.getLogger("cloudcore").addHandler(logging.NullHandler())


@dataclass(frozen=True)
class DriverInfo:
    """A registered driver.

    Attributes:
        name: Registry name (lowercase).
        factory: ``"module:attr"`` of the provider class or factory.
        extra: The cloudcore extra (or distribution) that installs its SDK.
        requires: Modules that must be importable for the driver to work.
        capabilities: Capabilities it declares (for listing without importing it).
        test_target: ``"module:attr"`` of a context manager yielding a connected provider
            against a stand-in (``cloudcore conformance NAME --fake``).
        description: One line.
        plugin: The entry point that registered it.
        metadata: Anything else the plugin passed.
    """

    name: str
    factory: str
    extra: str | None = None
    requires: tuple[str, ...] = ()
    capabilities: tuple[str, ...] = ()
    test_target: str | None = None
    description: str = ""
    plugin: str = ""
    metadata: dict[str, Any] = field(default_factory=dict)

    @property
    def installed(self) -> bool:
        """Whether every required module can be found (without importing it)."""
        return self.missing_module() is None

    def missing_module(self) -> str | None:
        """The first required module that cannot be found, or ``None``."""
        for mod in self.requires:
            try:
                if importlib.util.find_spec(mod) is None:
                    return mod
            except (ImportError, ValueError):
                return mod
        return None

    @property
    def install_command(self) -> str | None:
        """``pip install 'cloudcore[EXTRA]'`` (or the distribution named by ``extra``)."""
        if not self.extra:
            return None
        return (
            f"pip install 'cloudcore[{self.extra}]'"
            if "/" not in self.extra and (self.plugin.startswith(("cloudcore.", "cloudcore_")))
            else f"pip install {self.extra}"
        )


_lock = threading.RLock()
_pm: pluggy.PluginManager | None = None
_drivers: dict[str, DriverInfo] | None = None
_errors: dict[str, str] = {}


def plugin_manager() -> pluggy.PluginManager:
    """The process-wide pluggy manager (created on first use; loads pluggy then)."""
    global _pm
    if _pm is None:
        with _lock:
            if _pm is None:
                import pluggy

                from . import hookspecs

                pm = pluggy.PluginManager(hookspecs.PROJECT)
                pm.add_hookspecs(hookspecs)
                _pm = pm
    return _pm


def _load() -> dict[str, DriverInfo]:
    global _drivers
    if _drivers is not None:
        return _drivers
    with _lock:
        if _drivers is not None:
            return _drivers
        found: dict[str, DriverInfo] = {}
        pm = plugin_manager()
        for ep_name, ep_value in _epcache.entry_points(ENTRY_POINT_GROUP):
            source = f"{ep_name} = {ep_value}"
            try:
                module = _epcache.load(ep_value)
            except Exception as exc:  # a broken plugin must not break the others
                _errors[ep_name] = f"{source}: {type(exc).__name__}: {exc}"
                log.warning("cloudcore plugin %s failed to load: %s", ep_name, exc)
                continue
            hook = getattr(module, "cloudcore_register_drivers", None)
            if hook is None:
                _errors[ep_name] = f"{source}: no cloudcore_register_drivers hook"
                continue

            def register(*, name: str, factory: str, _src: str = source, **kw: Any) -> None:
                known = {"extra", "requires", "capabilities", "test_target", "description"}
                meta = {k: v for k, v in kw.items() if k not in known}
                info = DriverInfo(
                    name=name.lower(),
                    factory=factory,
                    extra=kw.get("extra"),
                    requires=tuple(kw.get("requires", ())),
                    capabilities=tuple(str(c) for c in kw.get("capabilities", ())),
                    test_target=kw.get("test_target"),
                    description=kw.get("description", ""),
                    plugin=_src.split(" = ", 1)[1],
                    metadata=meta,
                )
                if info.name in found:
                    _errors[info.name] = f"{_src}: driver name {info.name!r} registered twice"
                    return
                found[info.name] = info

            try:
                hook(register=register)
                if not pm.is_registered(module):
                    pm.register(module, name=f"cloudcore-plugin-{ep_name}")
            except Exception as exc:
                _errors[ep_name] = f"{source}: {type(exc).__name__}: {exc}"
                log.warning("cloudcore plugin %s failed to register: %s", ep_name, exc)
        _drivers = found
        return found


def available_drivers() -> dict[str, DriverInfo]:
    """Every registered driver by name (installed or not), loading the plugins on first call."""
    return dict(sorted(_load().items()))


def plugin_errors() -> dict[str, str]:
    """Plugins that failed to load or register, with the reason."""
    _load()
    return dict(_errors)


def get_driver(name: str) -> DriverInfo:
    """The driver registered under ``name``.

    Raises:
        DriverNotFound: listing the registered names.
    """
    if not isinstance(name, str) or not name:
        raise ConfigurationError(f"driver name must be a non-empty string (got {name!r})")
    drivers = _load()
    info = drivers.get(name.lower())
    if info is None:
        raise DriverNotFound(name, list(drivers))
    return info


def _import_attr(path: str, info: DriverInfo) -> Any:
    module_name, _, attr = path.partition(":")
    missing = info.missing_module()
    if missing:
        raise DriverNotInstalled(info.name, info.extra, missing)
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise DriverNotInstalled(info.name, info.extra, exc.name) from exc
    try:
        return getattr(module, attr)
    except AttributeError:
        raise ConfigurationError(
            f"driver {info.name!r}: {module_name} has no attribute {attr!r} (plugin {info.plugin})"
        ) from None


def load_factory(name: str) -> Any:
    """Import and return the driver's provider class/factory.

    Raises:
        DriverNotFound: unknown name.
        DriverNotInstalled: its SDK is missing; the error names the extra to install.
    """
    info = get_driver(name)
    return _import_attr(info.factory, info)


def load_test_target(name: str) -> Any:
    """Import and return the driver's test target (a context manager factory).

    Raises:
        ConfigurationError: the driver registered no test target.
    """
    info = get_driver(name)
    if not info.test_target:
        raise ConfigurationError(f"driver {name!r} registers no test target")
    return _import_attr(info.test_target, info)


def _reset_for_tests() -> None:
    """Forget loaded plugins (tests that install a plugin at run time call this)."""
    global _drivers
    with _lock:
        _drivers = None
        _errors.clear()
