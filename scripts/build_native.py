"""Compile the rule modules (``alerts.compiled.MODULES``) with mypyc, beside their sources.

Run by ``scripts/setup.sh`` with the project's virtualenv (mypy, which brings mypyc, is a dev
dependency; the type check needs the project's own dependencies, so the build does not run
in an isolated environment). Does nothing when ``alerts/compiled.json`` already records the
current sources; ``--clean`` removes what a build left. Without a C compiler it says so and
leaves the sources to run as they are (``alerts.compiled.guard``).

    .venv/bin/python scripts/build_native.py [--clean]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ["CRYOTRACE_PURE_PYTHON"] = "1"  # this process reads the sources, not a stale build

from alerts.compiled import (  # noqa: E402
    BUILD_FILE,
    MODULES,
    SHARED_LIBRARY,
    extensions,
    source_digests,
    stale,
)

PACKAGE = ROOT / "alerts"
GROUP = "alerts." + SHARED_LIBRARY.removesuffix("__mypyc")
"""mypyc names the group's shared library ``<group>__mypyc``: inside the package."""


def clean() -> None:
    """Every extension in the package (one of a module since dropped from the list too)."""
    for path in [*extensions(PACKAGE), PACKAGE / BUILD_FILE]:
        path.unlink(missing_ok=True)


def build() -> None:
    # imported here: only a build needs them (and --clean must work without a compiler)
    from mypyc.build import mypycify
    from setuptools import Distribution

    digests = source_digests(PACKAGE)
    with tempfile.TemporaryDirectory(prefix="cryotrace-native-") as tmp:
        work = Path(tmp)
        cwd = Path.cwd()
        os.chdir(work)  # setuptools reads the working directory's pyproject.toml: not ours
        try:
            sources = [str(PACKAGE / (m.rsplit(".", 1)[1] + ".py")) for m in MODULES]
            extensions = mypycify(
                ["--config-file", str(ROOT / "pyproject.toml"), *sources],
                group_name=GROUP,
                target_dir=str(work / "c"),
            )
            dist = Distribution({"name": "cryotrace-native", "ext_modules": extensions})
            dist.script_args = [
                "-q",
                "build_ext",
                "--build-lib",
                str(work / "lib"),
                "--build-temp",
                str(work / "tmp"),
            ]
            dist.parse_command_line()
            dist.run_commands()
        finally:
            os.chdir(cwd)
        clean()
        for built in (work / "lib" / "alerts").iterdir():
            shutil.copy2(built, PACKAGE / built.name)
    (PACKAGE / BUILD_FILE).write_text(json.dumps({"sources": digests}, indent=1) + "\n")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clean", action="store_true", help="remove the compiled modules")
    args = parser.parse_args()
    if args.clean:
        clean()
        print("native: removed")
        return 0
    if stale(PACKAGE) is None:
        print("native: up to date")
        return 0
    if shutil.which(os.environ.get("CC", "cc")) is None:
        print("native: no C compiler (cc): the rule modules run as Python", file=sys.stderr)
        return 0
    build()
    why = stale(PACKAGE)
    if why is not None:
        print(f"native: the build left no usable modules ({why})", file=sys.stderr)
        return 1
    print(f"native: compiled {len(MODULES)} modules")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
