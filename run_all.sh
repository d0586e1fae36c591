#!/usr/bin/env bash
# Regenerate the paper's results: environment -> data -> notebooks 01..NN (papermill) -> report.
#
#   ./run_all.sh                          quick profile (REDUCED: real data, few epochs, 1 seed)
#   ./run_all.sh --profile smoke          seconds per run: checks that everything works
#   ./run_all.sh --profile full           paper schedule (Table 3 epochs, 5 seeds, K = 0..8): GPU / CPU-days
#   ./run_all.sh --only 03_table1         one notebook
#   ./run_all.sh --profile full --render-only   notebooks 03-08, 10 and the report from the finished runs; trains nothing
#   ./run_all.sh clean --profile quick    delete a profile's results (runs, tables, figures, notebooks)
#
# Training runs are cached by their config key (rinlib.runs): a rerun with nothing changed
# trains nothing. Results go to $RIN_RESULTS (default: results/).

# ---- knobs (each can be set by an option below or by the environment) -----------------------
PROFILE="${PROFILE:-quick}"        # smoke | quick | full
DEVICE="${DEVICE:-cpu}"            # cpu | cuda | auto
JOBS="${JOBS:-1}"                  # >1 runs the sweep on Ray (rinlib/runs/ray_engine.py, pip install -e '.[sweep]')
FORCE="${FORCE:-false}"            # true: retrain runs that are already finished
DATASETS="${DATASETS:-webnlg}"     # add nyt once RIN_NYT_TRAIN / RIN_NYT_EXACT_TRAIN point at the NYT train files
ONLY="${ONLY:-}"                   # run only the notebooks whose name contains this
RENDER_ONLY="${RENDER_ONLY:-false}" # true: train nothing; notebooks 03-08, 10 + report from finished runs
CELL_TIMEOUT="${CELL_TIMEOUT:-}"   # seconds per notebook cell (empty: none)
# -----------------------------------------------------------------------------------------------

set -euo pipefail
cd "$(dirname "$0")"
ROOT="$(pwd)"

usage() { sed -n '2,13p' "$0" | sed 's/^# \{0,1\}//'; exit "${1:-0}"; }
CMD=run
while [ $# -gt 0 ]; do
  case "$1" in
    clean) CMD=clean ;;
    --profile) PROFILE="$2"; shift ;;
    --device) DEVICE="$2"; shift ;;
    --jobs) JOBS="$2"; shift ;;
    --force) FORCE=true ;;
    --datasets) DATASETS="$2"; shift ;;
    --only) ONLY="$2"; shift ;;
    --render-only) RENDER_ONLY=true ;;
    -h|--help) usage 0 ;;
    *) echo "[run_all] unknown option: $1" >&2; usage 2 ;;
  esac
  shift
done
case "$PROFILE" in smoke|quick|full) ;; *) echo "[run_all] --profile must be smoke, quick or full" >&2; exit 2 ;; esac

RESULTS="${RIN_RESULTS:-$ROOT/results}"
export RIN_RESULTS="$RESULTS" RIN_PROFILE="$PROFILE" MPLBACKEND=Agg PYTHONHASHSEED=0

if [ "$CMD" = clean ]; then
  if [ "$PROFILE" = full ] && [ "$FORCE" != true ]; then
    echo "[run_all] refusing to delete the full-schedule results (CPU-days); add --force to really do it" >&2
    exit 2
  fi
  for d in runs tables figures notebooks; do
    echo "[run_all] removing $RESULTS/$d/$PROFILE"; rm -rf "${RESULTS:?}/$d/$PROFILE"
  done
  exit 0
fi

T0=$(date +%s)
elapsed() { local s=$(( $(date +%s) - T0 )); printf '%dm%02ds' $((s / 60)) $((s % 60)); }
ENGINE=local; [ "$JOBS" -gt 1 ] && ENGINE=ray

echo "[run_all] profile=$PROFILE device=$DEVICE jobs=$JOBS engine=$ENGINE force=$FORCE datasets='$DATASETS' results=$RESULTS"
# shellcheck source=tools/ensure_env.sh
source tools/ensure_env.sh test,sweep,widgets,vectors

echo "[run_all] data: python -m rinlib.data prepare ($(elapsed))"
python -m rinlib.data prepare --stats-out "$RESULTS/tables/$PROFILE/data_stats.csv" | tail -n 3

NOTEBOOKS=()
for nb in notebooks/[0-9][0-9]_*.ipynb; do
  name="$(basename "$nb")"
  if [ -n "$ONLY" ]; then [[ "$name" == *"$ONLY"* ]] || continue
  elif [ "$RENDER_ONLY" = true ]; then [[ "$name" =~ ^(0[3-8]|10)_ ]] || continue  # what reads runs (08: shipped models)
  fi
  NOTEBOOKS+=("$nb")
done
if [ "$RENDER_ONLY" = true ]; then
  export RIN_NO_TRAIN=1
  echo "[run_all] render-only: nothing is trained; cells without finished runs say 'not run'"
fi
[ ${#NOTEBOOKS[@]} -gt 0 ] || { echo "[run_all] no notebook matches --only '$ONLY'" >&2; exit 2; }

OUTDIR="$RESULTS/notebooks/$PROFILE"
mkdir -p "$OUTDIR"
DS_YAML="datasets: [$(echo "$DATASETS" | sed 's/ \+/, /g')]"
i=0
for nb in "${NOTEBOOKS[@]}"; do
  i=$((i + 1))
  name="$(basename "$nb")"
  echo "[run_all] notebook $i/${#NOTEBOOKS[@]}: $name ($(elapsed))"
  args=(-k python3 --cwd notebooks --no-progress-bar --log-output
        -p profile "$PROFILE" -p device "$DEVICE" -p jobs "$JOBS" -p engine "$ENGINE" -y "$DS_YAML")
  [ "$FORCE" = true ] && args+=(-p force True)
  [ -n "$CELL_TIMEOUT" ] && args+=(--execution-timeout "$CELL_TIMEOUT")
  if ! papermill "$nb" "$OUTDIR/$name" "${args[@]}" 2> >(grep -v -E '^(Input Notebook|Output Notebook|Working directory|\[IPKernelApp\] WARNING|Executing( notebook)? |Ending Cell|Black is not installed|Passed unknown parameter)' >&2); then
    echo "[run_all] FAILED in $name after $(elapsed); the executed copy with the error: $OUTDIR/$name" >&2
    exit 1
  fi
done

echo "[run_all] report ($(elapsed))"
python -m rinlib report --profile "$PROFILE"

echo "[run_all] done in $(elapsed). Produced (profile $PROFILE):"
for d in "$RESULTS/tables/$PROFILE" "$RESULTS/figures/$PROFILE" "$OUTDIR"; do
  [ -d "$d" ] && find "$d" -maxdepth 1 -type f | sort | sed "s|^$ROOT/||; s|^|  |"
done
echo "  ${RESULTS#"$ROOT"/}/REPORT.md"
