"""The rule modules compiled with mypyc: which they are, and Python's own when a build is stale.

``scripts/build_native.py`` (run by ``scripts/setup.sh``) compiles ``MODULES`` to extension
modules beside their sources and writes ``BUILD_FILE``: the digest of each source it compiled.
Python imports an extension before the source of the same name, so an extension left from an
edited source would run code that is no longer there. ``guard`` (run by ``alerts/__init__``,
before any of them is imported) checks every digest; if one differs, a module is missing or
one not listed was built, or ``CRYOTRACE_PURE_PYTHON`` is set, every module of the package is
imported from its source (all or none: compiled modules call each other directly, bypassing
the module attributes).

What compiling changes, and why some modules stay Python: a float or a fixed-length tuple
typed as such is a C value, boxed anew wherever it is stored (``alerts.readings`` shares one
float object per repeated value: compiled, it would not); a dataclass's generated
``__init__`` still runs as Python (the per-reading result classes write theirs out); calls
between compiled modules bypass module attributes (tests cannot patch them: see
``alerts.eta.ESTIMATED``).
"""

from __future__ import annotations

import hashlib
import importlib
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

__all__ = [
    "BUILD_FILE",
    "MODULES",
    "PURE_ENV",
    "SHARED_LIBRARY",
    "active",
    "extensions",
    "guard",
    "source_digests",
    "stale",
]

MODULES = (
    "alerts.engine",
    "alerts.episodes",
    "alerts.eta",
    "alerts.eta_route",
    "alerts.eta_track",
    "alerts.excursions",
    "alerts.fold",
    "alerts.lifecycle",
    "alerts.manifest_cache",
    "alerts.seen",
)
"""The per-reading rule path (the estimate, the track, the fold, the lifecycle), compiled."""

BUILD_FILE = "compiled.json"
"""Written beside the extensions by the build: ``{"sources": {module: sha256}}``."""

SHARED_LIBRARY = "native__mypyc"
"""mypyc's library of the compiled group (``alerts/native__mypyc*.so``): not a rule module."""

PURE_ENV = "CRYOTRACE_PURE_PYTHON"
"""Set (non-empty, not ``0``), the sources are imported even when the build is current (for
py-spy, which does not see into compiled frames, and to compare the two)."""

_HERE = Path(__file__).resolve().parent


def _source(module: str, package_dir: Path) -> Path:
    return package_dir / (module.rsplit(".", 1)[1] + ".py")


def source_digests(package_dir: Path, modules: Sequence[str] = MODULES) -> dict[str, str]:
    """The sha256 of each module's source, as the build records them."""
    return {m: hashlib.sha256(_source(m, package_dir).read_bytes()).hexdigest() for m in modules}


def extensions(package_dir: Path) -> list[Path]:
    """The extension modules in ``package_dir`` (what a build left)."""
    return sorted(
        path
        for suffix in importlib.machinery.EXTENSION_SUFFIXES
        for path in package_dir.glob("*" + suffix)
    )


def _built(package_dir: Path) -> set[str]:
    names = {path.name.split(".", 1)[0] for path in extensions(package_dir)}
    return {f"alerts.{name}" for name in names - {SHARED_LIBRARY}}


def stale(package_dir: Path, modules: Sequence[str] = MODULES) -> str | None:
    """Why the extensions in ``package_dir`` may not be used (None: they are current).
    ``"absent"``: none was built."""
    built = _built(package_dir)
    if not built:
        return "absent"
    if built - set(modules):  # left by a build with a longer list
        return f"not listed in MODULES: {', '.join(sorted(built - set(modules)))}"
    if built != set(modules):
        return f"not built: {', '.join(sorted(set(modules) - built))}"
    try:
        recorded = json.loads((package_dir / BUILD_FILE).read_text())["sources"]
    except (OSError, ValueError, KeyError, TypeError):
        return f"no readable {BUILD_FILE}"
    digests = source_digests(package_dir, modules)
    changed = [m for m, digest in digests.items() if recorded.get(m) != digest]
    if changed:
        return f"changed since the build: {', '.join(changed)}"
    return None


class _FromSource(importlib.abc.MetaPathFinder):
    """Finds the package's modules as their ``.py`` sources, ahead of any extension beside
    them."""

    def __init__(self, package_dir: Path) -> None:
        self.package_dir = package_dir

    def find_spec(
        self, fullname: str, path: Sequence[str] | None, target: ModuleType | None = None
    ) -> ModuleSpec | None:
        package, _, name = fullname.rpartition(".")
        source = self.package_dir / f"{name}.py"
        if package != "alerts" or not source.exists():
            return None
        return importlib.util.spec_from_file_location(fullname, source)


def guard() -> None:
    """Import the package's modules from their sources unless the extensions are current."""
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
    sys.meta_path.insert(0, _FromSource(_HERE))


def active() -> bool:
    """Whether ``MODULES`` run compiled (each is imported to look)."""
    return all(
        isinstance(importlib.import_module(m).__loader__, importlib.machinery.ExtensionFileLoader)
        for m in MODULES
    )
