"""A local PostgreSQL cluster from Debian's packages, on 127.0.0.1, for development and CI."""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import structlog

from schemas.errors import ConfigError
from streams.infra.paths import state_dir
from streams.infra.process import port_open, wait_for

log = structlog.get_logger(__name__)

DATABASE = "cryotrace"
ROLE = "cryotrace"


def _bin_dir() -> Path | None:
    """The newest ``/usr/lib/postgresql/<v>/bin`` holding initdb, or the one on PATH."""
    found = sorted(
        glob.glob("/usr/lib/postgresql/*/bin/initdb"),
        key=lambda p: int(Path(p).parts[-3]) if Path(p).parts[-3].isdigit() else 0,
    )
    if found:
        return Path(found[-1]).parent
    initdb = shutil.which("initdb")
    return Path(initdb).parent if initdb else None


@dataclass
class LocalPostgres:
    """A cluster under ``.cryotrace/postgres`` with trust auth on loopback (local use only)."""

    port: int = 55432

    @property
    def url(self) -> str:
        """SQLAlchemy URL of the cryotrace database."""
        return f"postgresql+psycopg://{ROLE}@127.0.0.1:{self.port}/{DATABASE}"

    @property
    def data_dir(self) -> Path:
        return state_dir("postgres") / f"data-{self.port}"

    def answers(self) -> bool:
        return port_open("127.0.0.1", self.port)

    def _run_as(self) -> list[str]:
        """initdb and postgres refuse to run as root: run them as the ``postgres`` user then."""
        if os.geteuid() != 0:
            return []
        try:
            pwd.getpwnam("postgres")
        except KeyError as exc:
            raise ConfigError(
                "running as root needs the 'postgres' system user (apt-get install postgresql)"
            ) from exc
        return ["runuser", "-u", "postgres", "--"]

    def up(self, timeout: float = 60.0) -> str:
        """Start the cluster unless the port answers; create the database. Idempotent."""
        if not self.answers():
            bin_dir = _bin_dir()
            if bin_dir is None:
                raise ConfigError(
                    "PostgreSQL server binaries not found; "
                    "run `scripts/setup.sh --postgres` (installs Debian's postgresql)"
                )
            as_user = self._run_as()
            data = self.data_dir
            if as_user:
                shutil.chown(data.parent, "postgres", "postgres")
            if not (data / "PG_VERSION").exists():
                data.mkdir(parents=True, exist_ok=True)
                if as_user:
                    shutil.chown(data, "postgres", "postgres")
                subprocess.run(
                    [
                        *as_user,
                        str(bin_dir / "initdb"),
                        "-D",
                        str(data),
                        "-A",
                        "trust",
                        "-U",
                        ROLE,
                        "-E",
                        "UTF8",
                    ],
                    check=True,
                    capture_output=True,
                )
            log_file = data.parent / f"postgres-{self.port}.log"
            if as_user and not log_file.exists():
                log_file.touch()
                shutil.chown(log_file, "postgres", "postgres")
            subprocess.run(
                [
                    *as_user,
                    str(bin_dir / "pg_ctl"),
                    "-D",
                    str(data),
                    "-l",
                    str(log_file),
                    "-w",
                    "-t",
                    str(int(timeout)),
                    "-o",
                    f"-p {self.port} -k /tmp -c listen_addresses=127.0.0.1"
                    " -c fsync=off -c max_connections=200",
                    "start",
                ],
                check=True,
                capture_output=True,
            )
            if not wait_for(self.answers, timeout):
                raise ConfigError(f"PostgreSQL did not answer on port {self.port}; see {log_file}")
            log.info("postgres.up", port=self.port)
        self._ensure_database()
        return self.url

    def _ensure_database(self) -> None:
        import psycopg

        with psycopg.connect(
            host="127.0.0.1", port=self.port, user=ROLE, dbname="postgres", autocommit=True
        ) as conn:
            exists = conn.execute(
                "SELECT 1 FROM pg_database WHERE datname = %s", (DATABASE,)
            ).fetchone()
            if not exists:
                conn.execute(f'CREATE DATABASE "{DATABASE}"')

    def down(self) -> bool:
        """Stop the cluster if ours runs."""
        bin_dir = _bin_dir()
        if bin_dir is None or not (self.data_dir / "postmaster.pid").exists():
            return False
        subprocess.run(
            [
                *self._run_as(),
                str(bin_dir / "pg_ctl"),
                "-D",
                str(self.data_dir),
                "-m",
                "fast",
                "-w",
                "stop",
            ],
            check=False,
            capture_output=True,
        )
        return True


def ensure_postgres(port: int | None = None) -> str:
    """URL of a PostgreSQL that answers: CRYOTRACE_POSTGRES_URL if set, else the local cluster."""
    if url := os.environ.get("CRYOTRACE_POSTGRES_URL"):
        return url
    from streams.settings import get_settings

    return LocalPostgres(port=port or get_settings().local.postgres_port).up()
