#!/usr/bin/env bash
# Re-render the committed full-profile tables and REPORT.md from the committed runs, into a scratch
# copy, and compare them with what is committed. Exit 0 when they are the same.
#
# Why: a change to the code that reads runs (tables, report, figures' data) must not change a
# committed number. Run it on a clean checkout (runs training in this checkout change the report's
# progress sections, as they should).
#
#   tools/rerender_check.sh            # about 2 minutes on a 2-core CPU
set -euo pipefail
cd "$(dirname "$0")/.."
scratch="$(mktemp -d)"
trap 'rm -rf "$scratch"' EXIT
# the committed results, without per-run weights (a clone has none either)
(cd results && tar cf - --exclude='*.safetensors' .) | (cd "$scratch" && tar xf -)
RIN_RESULTS="$scratch" ./run_all.sh --profile full --render-only > "$scratch/render.log" 2>&1 \
  || { tail -n 30 "$scratch/render.log"; exit 1; }
status=0
for f in REPORT.md tables/full; do
  if ! diff -r "results/$f" "$scratch/$f" > "$scratch/diff.txt"; then
    echo "[rerender] $f differs from the committed version:"; head -n 40 "$scratch/diff.txt"; status=1
  fi
done
[ "$status" = 0 ] && echo "[rerender] tables/full and REPORT.md re-render identically"
exit "$status"
