"""Where the project lives and where local infrastructure keeps its (git-ignored) state."""

from __future__ import annotations

import os
from pathlib import Path

from schemas.errors import ConfigError


def project_home() -> Path:
    """The project folder (with ``infra/kafka/pom.xml``): CRYOTRACE_HOME, the cwd or the sources."""
    candidates: list[Path] = []
    if env := os.environ.get("CRYOTRACE_HOME"):
        candidates.append(Path(env))
    cwd = Path.cwd().resolve()
    candidates.extend([cwd, *cwd.parents])
    candidates.append(Path(__file__).resolve().parents[2])
    for candidate in candidates:
        if (candidate / "infra" / "kafka" / "pom.xml").is_file():
            return candidate
    raise ConfigError(
        "cannot find the cryotrace project folder (infra/kafka/pom.xml); set CRYOTRACE_HOME"
    )


def state_dir(component: str) -> Path:
    """``<home>/.cryotrace/<component>``, created on demand."""
    path = project_home() / ".cryotrace" / component
    path.mkdir(parents=True, exist_ok=True)
    return path
