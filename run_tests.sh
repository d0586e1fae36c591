#!/usr/bin/env bash
# The kit's test command: unit tests, then the notebooks under nbval (smoke profile).
# Creates/updates .venv itself; extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")"
source tools/ensure_env.sh test,sweep,widgets,vectors
export RIN_PROFILE=smoke MPLBACKEND=Agg PYTHONHASHSEED=0
if [ ! -d ../shared ] && [ -z "${RIN_SHARED:-}" ]; then
  echo "[tests] ../shared is absent: tests that need it are skipped (the kit ships its own data in data/)"
fi
python -m pytest tests "$@"
python -m pytest --nbval-lax --nbval-cell-timeout=900 -p no:cacheprovider notebooks "$@"
