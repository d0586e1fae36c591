#!/bin/bash
# Train the runs of one grid file on one GPU in lanes, while measuring how many runs the GPU holds
# at once: lanes start in stages of 1, 2, 4 and 8 processes, and a monitor writes every 10 s the
# epochs each run has done and the GPU's load and memory. At the deadline the lanes stop (each run
# resumes later from its last epoch checkpoint) and the grid's finished runs (without weights) and
# its most advanced unfinished trainings (with checkpoint) are packed into OUT.
#
# The grid is the list of missing runs, written where the results are (a box that gets a copy of
# the kit without its results/ would otherwise retrain finished runs):
#   python -m rinlib status --profile full --experiments table5,figure3,webnlg_etl,nyt_proxy --pending tools/gpu/pending.yaml
# The box needs torch, numpy, pandas, pyyaml, safetensors and tqdm (not NLTK or IPython), the
# raw data folders the grid's data sets hash, data/embeddings and data/taggers, and the tagged
# data cache (data/processed) built here; RIN_COMMIT names the commit when the copy has no .git.
#
# Usage: RIN_COMMIT=$(git rev-parse HEAD) OUT=gpu_out bash tools/gpu/lanes.sh GRID [deadline_s=540]
# (PROFILE=smoke DEVICE=cpu tries the whole procedure on a CPU in a minute.)
set -u
GRID=$(realpath "$1")  # absolute: it tells this script's lanes from any other sweep on the machine
DEADLINE=${2:-540}
OUT=${OUT:-gpu_out}
PROFILE=${PROFILE:-full}
DEVICE=${DEVICE:-cuda}
PACK_RUNS=${PACK_RUNS:-5}             # unfinished trainings packed, most epochs first
PACK_BYTES=${PACK_BYTES:-64000000}    # all archives together: what the lending machine sends back
T0=$(date +%s)
el() { echo $(( $(date +%s) - T0 )); }
export PYTHONPATH=$PWD PYTHONUNBUFFERED=1 OMP_NUM_THREADS=1 MKL_NUM_THREADS=1
L=$OUT/logs
RUNS=results/runs/$PROFILE
mkdir -p $L $RUNS
nvidia-smi > $L/nvidia-smi.txt 2>&1
python3 -c "import torch, sys; print(sys.version, torch.__version__, torch.cuda.is_available() and torch.cuda.get_device_name(0))" | tee $L/env.txt

lane() {  # one process, the grid in its order; runs another lane holds are skipped, finished ones reused
  python3 -m rinlib sweep "$GRID" --profile $PROFILE --engine local --cpus-per-trial 1 --device $DEVICE \
    > $L/lane$1.log 2>&1
}

monitor() {  # every 10 s: elapsed, lanes, epochs per run dir, GPU load and memory
  while true; do
    {
      echo "t=$(el) lanes=$(pgrep -fc "rinlib sweep $GRID")"
      for h in $(find $RUNS -name history.csv); do echo "  $(($(wc -l < $h) - 1)) $h"; done
      nvidia-smi --query-gpu=utilization.gpu,memory.used --format=csv,noheader
      nvidia-smi --query-compute-apps=pid,used_memory --format=csv,noheader
    } >> $L/monitor.txt 2>&1
    sleep 10
  done
}

monitor & MON=$!
n=0; LANES=""
start_lanes() {
  for _ in $(seq $1); do n=$((n + 1)); lane $n & LANES="$LANES $!"; sleep 2; done
  echo "t=$(el) lanes started: $n" | tee -a $L/stages.txt
}
start_lanes 1
sleep 30
if grep -q -E 'Traceback|^error' $L/lane1.log || \
   { ! pgrep -f "rinlib sweep $GRID" > /dev/null && ! grep -q 'runs finished' $L/lane1.log; }; then
  echo "lane 1 failed:"; cat $L/lane1.log; kill $MON; exit 1
fi
for stage in "20 1" "45 2" "60 4"; do  # wait, then add lanes (unless the grid is done already)
  set -- $stage
  sleep $1; pgrep -f "rinlib sweep $GRID" > /dev/null || break
  start_lanes $2
done
while [ $(el) -lt $DEADLINE ] && pgrep -f "rinlib sweep $GRID" > /dev/null; do sleep 5; done  # or the grid is done

kill $LANES 2> /dev/null; pkill -TERM -f "rinlib sweep $GRID"; sleep 3; pkill -KILL -f "rinlib sweep $GRID"; kill $MON
echo "t=$(el) stopped" | tee -a $L/stages.txt
tail -n 3 $L/lane*.log

# The grid's finished runs, without weights (they stay out of git); its unfinished trainings, most
# epochs first, each with its twins (one training loop: rinlib.runs.local.twins_of), with checkpoint,
# best weights and curves: at most PACK_RUNS trainings and PACK_BYTES in all.
python3 - "$GRID" "$PROFILE" $L <<'PY'
import os, sys
from pathlib import Path
from rinlib.runs import plan
from rinlib.runs import run_dir as absolute
from rinlib.runs.local import twins_of
from rinlib.runs.progress import epochs_recorded
grid, profile, logs = sys.argv[1:]
run_dir = lambda c: Path(os.path.relpath(absolute(c)))  # relative: the archives unpack in any checkout
configs = plan(grid, profile)
finished, trainings = [], {}
for c in configs:
    out = run_dir(c)
    if (out / "metrics.json").exists():
        finished.append(out)
    elif (out / "history.csv").exists():
        group = tuple(sorted({str(out), *(str(run_dir(t)) for t in twins_of(c, configs))}))
        trainings[group] = max(epochs_recorded(Path(d)) for d in group)
Path(logs, "finished.txt").write_text("".join(f"{d}\n" for d in finished))
Path(logs, "unfinished.txt").write_text("".join(
    f"{ep} {' '.join(g)}\n" for g, ep in sorted(trainings.items(), key=lambda x: -x[1])))
PY
tar czf $OUT/finished.tgz --exclude='*.safetensors' --exclude='checkpoint.pt' --exclude='.sweep.lock*' -T $L/finished.txt
i=0; total=$(stat -c %s $OUT/finished.tgz)
while read -r ep dirs; do
  i=$((i + 1)); tar cf $OUT/unfinished$i.tar --exclude='.sweep.lock*' $dirs
  total=$((total + $(stat -c %s $OUT/unfinished$i.tar)))
  if [ $total -gt $PACK_BYTES ]; then rm $OUT/unfinished$i.tar; echo "left out: $dirs" >> $L/stages.txt; break; fi
  [ $i -ge $PACK_RUNS ] && break
done < $L/unfinished.txt
tar czf $OUT/logs.tgz -C $OUT logs && rm -r $L
ls -la $OUT
