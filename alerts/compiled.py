"""The rule modules compiled with mypyc: which they are, and Python's own when a build is stale.

``scripts/build_native.py`` (run by ``scripts/setup.sh``) compiles ``MODULES`` to extension
modules beside their sources and writes ``BUILD_FILE``: the digest of each source it compiled.
Python imports an extension before the source of the same name, so an extension left from an
edited source would run code that is no longer there. ``guard`` (run by ``alerts/__init__``,
before any of them is imported) checks every digest; if one differs, a module is missing, or
``CRYOTRACE_PURE_PYTHON`` is set, every one of ``MODULES`` is imported from its source (all or
none: compiled modules call each other directly, bypassing the module attributes).
"""

from __future__ import annotations

import hashlib
import importlib.abc
import importlib.machinery
import importlib.util
import json
import os
import sys
import warnings
from collections.abc import Sequence
from importlib.machinery import ModuleSpec
from pathlib import Path
from types import ModuleType

__all__ = ["BUILD_FILE", "MODULES", "PURE_ENV", "active", "guard", "source_digests", "stale"]

MODULES = (
    "alerts.engine",
    "alerts.episodes",
    "alerts.eta",
    "alerts.eta_route",
    "alerts.eta_track",
    "alerts.excursions",
    "alerts.fold",
    "alerts.lifecycle",
    "alerts.seen",
)
"""The per-reading rule path (the estimate, the track, the fold, the lifecycle), compiled."""

BUILD_FILE = "compiled.json"
"""Written beside the extensions by the build: ``{"sources": {module: sha256}}``."""

PURE_ENV = "CRYOTRACE_PURE_PYTHON"
"""Set (non-empty, not ``0``), the sources are imported even when the build is current (for
py-spy, which does not see into compiled frames, and to compare the two)."""

_HERE = Path(__file__).resolve().parent


def _source(module: str, package_dir: Path) -> Path:
    return package_dir / (module.rsplit(".", 1)[1] + ".py")


def source_digests(package_dir: Path, modules: Sequence[str] = MODULES) -> dict[str, str]:
    """The sha256 of each module's source, as the build records them."""
    return {m: hashlib.sha256(_source(m, package_dir).read_bytes()).hexdigest() for m in modules}


def _built(module: str, package_dir: Path) -> bool:
    name = module.rsplit(".", 1)[1]
    return any(
        (package_dir / (name + suffix)).exists()
        for suffix in importlib.machinery.EXTENSION_SUFFIXES
    )


def stale(package_dir: Path, modules: Sequence[str] = MODULES) -> str | None:
    """Why the extensions in ``package_dir`` may not be used (None: they are current).
    ``"absent"``: none was built."""
    built = [m for m in modules if _built(m, package_dir)]
    if not built:
        return "absent"
    if len(built) != len(modules):
        return f"not built: {', '.join(sorted(set(modules) - set(built)))}"
    try:
        recorded = json.loads((package_dir / BUILD_FILE).read_text())["sources"]
    except (OSError, ValueError, KeyError, TypeError):
        return f"no readable {BUILD_FILE}"
    changed = [
        m for m, digest in source_digests(package_dir, modules).items() if recorded.get(m) != digest
    ]
    if changed:
        return f"changed since the build: {', '.join(changed)}"
    return None


class _FromSource(importlib.abc.MetaPathFinder):
    """Finds ``MODULES`` as their ``.py`` sources, ahead of the extensions beside them."""

    def __init__(self, package_dir: Path, modules: Sequence[str]) -> None:
        self.package_dir = package_dir
        self.modules = frozenset(modules)

    def find_spec(
        self, fullname: str, path: Sequence[str] | None, target: ModuleType | None = None
    ) -> ModuleSpec | None:
        if fullname not in self.modules:
            return None
        return importlib.util.spec_from_file_location(fullname, _source(fullname, self.package_dir))


def guard() -> None:
    """Import ``MODULES`` from their sources unless their extensions are current."""
    if any(isinstance(f, _FromSource) for f in sys.meta_path):
        return
    pure = os.environ.get(PURE_ENV, "") not in ("", "0")
    why = None if pure else stale(_HERE)
    if not pure and why is None:
        return
    if why is not None and why != "absent":
        warnings.warn(
            f"alerts: compiled modules not used ({why}); run scripts/setup.sh to rebuild them",
            RuntimeWarning,
            stacklevel=2,
        )
    sys.meta_path.insert(0, _FromSource(_HERE, MODULES))


def active() -> bool:
    """Whether ``MODULES`` run compiled (each is imported to look)."""
    return all(
        isinstance(importlib.import_module(m).__loader__, importlib.machinery.ExtensionFileLoader)
        for m in MODULES
    )
