#!/usr/bin/env bash
# Create/update the kit's virtual environment (.venv) and install the kit with pinned
# dependencies. Idempotent: pip runs only when pyproject.toml or the requested extras changed.
# Usage: source tools/ensure_env.sh [extras]     e.g. "test" or "test,widgets"
set -euo pipefail
_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
_extras="${1:-}"
_py="${PYTHON:-python3}"
if [ ! -x "$_root/.venv/bin/python" ]; then
  echo "[env] creating $_root/.venv with $($_py --version)"
  "$_py" -m venv "$_root/.venv"
fi
_stamp="$_root/.venv/.rinlib-$(cat "$_root/pyproject.toml" | sha256sum | cut -c1-16)-${_extras//,/_}"
if [ ! -f "$_stamp" ]; then
  echo "[env] installing rinlib${_extras:+[$_extras]} and its pinned dependencies (first run takes a few minutes)"
  "$_root/.venv/bin/python" -m pip install -q --disable-pip-version-check -e "$_root${_extras:+[$_extras]}"
  rm -f "$_root"/.venv/.rinlib-*
  touch "$_stamp"
fi
export PATH="$_root/.venv/bin:$PATH"
export VIRTUAL_ENV="$_root/.venv"
