#!/usr/bin/env bash
# Idempotent set-up used by `make run` and `make test`: a virtualenv with the project installed
# (reinstalled only when pyproject.toml changes) and the Temporal toolchain (scripts/toolchain.sh).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="${SA_VENV:-$ROOT/.venv}"
PYTHON="${PYTHON:-python3}"

die() { printf '\n[bootstrap] 错误 / ERROR: %s\n' "$*" >&2; exit 1; }

command -v "$PYTHON" >/dev/null 2>&1 || die "$PYTHON not found. Fix: apt-get update && apt-get install -y python3 python3-venv"
"$PYTHON" -c 'import sys; sys.exit(sys.version_info < (3, 11))' \
  || die "Python >= 3.11 is required ($("$PYTHON" --version)). Fix: install python3.11 and set PYTHON=python3.11"

if [ ! -x "$VENV/bin/python" ]; then
  "$PYTHON" -m venv "$VENV" || die "could not create a virtualenv. Fix: apt-get install -y python3-venv"
fi
stamp="$VENV/.installed-$(sha256sum "$ROOT/pyproject.toml" | cut -c1-16)"
if [ ! -f "$stamp" ]; then
  "$VENV/bin/python" -m pip install -q --upgrade pip
  "$VENV/bin/python" -m pip install -q -e "$ROOT[dev]"
  rm -f "$VENV"/.installed-*
  touch "$stamp"
fi
"$ROOT/scripts/toolchain.sh" all
