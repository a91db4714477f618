#!/usr/bin/env bash
# Set up a fresh machine for cryotrace: Python venv with pinned dependencies, Java/Maven check,
# (with --postgres) Debian's PostgreSQL server and (with --browser) Debian's Chromium.
# Idempotent: a second run only checks.
set -euo pipefail
cd "$(dirname "$0")/.."

want_postgres=0
want_browser=0
for arg in "$@"; do
  case "$arg" in
    --postgres) want_postgres=1 ;;
    --browser) want_browser=1 ;;
    *) echo "usage: scripts/setup.sh [--postgres] [--browser]" >&2; exit 2 ;;
  esac
done

PYTHON=${PYTHON:-python3.11}
command -v "$PYTHON" >/dev/null 2>&1 || PYTHON=python3

apt_install() {
  # Debian packages, only when missing and only where we may install them.
  if [ "$(id -u)" -ne 0 ]; then
    echo "setup: please install Debian packages: $*  (sudo apt-get install -y $*)" >&2
    return 1
  fi
  if [ ! -f .cryotrace/.apt-updated ]; then
    apt-get update -qq
    mkdir -p .cryotrace && touch .cryotrace/.apt-updated
  fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

# Java 17+ and Maven fetch and run the Kafka broker (infra/kafka/pom.xml).
command -v java >/dev/null 2>&1 || apt_install openjdk-17-jre-headless
command -v mvn >/dev/null 2>&1 || apt_install maven

if [ "$want_postgres" = 1 ] && ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
  apt_install postgresql
fi

# A C compiler for the rule modules mypyc compiles (scripts/build_native.py; without one they
# run as Python, about a fifth slower per reading).
if ! command -v cc >/dev/null 2>&1; then
  apt_install gcc libc6-dev || echo "setup: no C compiler: the rule modules will run as Python" >&2
fi

# Debian's headless-capable Chromium for the dashboard's browser tests (no browser downloads).
if [ "$want_browser" = 1 ] && ! command -v chromium >/dev/null 2>&1; then
  apt_install chromium
fi

stamp=.venv/.cryotrace-deps
digest=$(cat pyproject.toml constraints.txt | sha256sum | cut -d' ' -f1)
if [ ! -x .venv/bin/python ]; then
  "$PYTHON" -m venv .venv
fi
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$digest" ]; then
  .venv/bin/python -m pip install -q --upgrade pip
  .venv/bin/python -m pip install -q -c constraints.txt -e '.[dev]'
  echo "$digest" > "$stamp"
fi
# The rule modules compiled (alerts/compiled.py), again whenever one of their sources changed.
.venv/bin/python scripts/build_native.py
echo "setup: ok ($(.venv/bin/python --version), $(java -version 2>&1 | head -1))"
