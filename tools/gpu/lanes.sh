#!/bin/bash
# Train the grids beside this file (in name order) on one GPU in lanes, while measuring how many
# runs the GPU holds at once: lanes start in stages of 1, 2, 4 and 8 processes, and a monitor
# writes every 10 s the epochs each run has done and the GPU's load and memory. At the deadline
# the lanes stop (each run resumes later from its last epoch checkpoint) and the finished runs
# (without weights) and the most advanced unfinished ones (with checkpoint) are packed into OUT.
#
# Why explicit grids of the missing runs, not `--experiments`: a box that gets a copy of the
# kit without its results/ (a lent machine with a size limit on what travels) would otherwise
# retrain finished runs. Regenerate the grids from `python -m rinlib status --profile full`.
# The box needs torch, numpy, pandas, pyyaml, safetensors and tqdm (not NLTK or IPython), the
# raw data folders the grids' data sets hash, data/embeddings and data/taggers, and the tagged
# data cache (data/processed) built here; RIN_COMMIT names the commit when the copy has no .git.
#
# Usage: RIN_COMMIT=$(git rev-parse HEAD) OUT=gpu_out bash tools/gpu/lanes.sh [deadline_s=540]
# (PROFILE=smoke and grids with device: cpu try the whole procedure on a CPU in a minute.)
set -u
DEADLINE=${1:-540}
OUT=${OUT:-gpu_out}
PROFILE=${PROFILE:-full}
HERE=$(cd "$(dirname "$0")" && pwd)  # absolute: it tells this script's lanes from any other sweep
T0=$(date +%s)
el() { echo $(( $(date +%s) - T0 )); }
export PYTHONPATH=$PWD PYTHONUNBUFFERED=1 OMP_NUM_THREADS=1 MKL_NUM_THREADS=1
L=$OUT/logs
RUNS=$(python3 -c "
import sys, yaml
print(' '.join(sorted({f'results/runs/$PROFILE/{yaml.safe_load(open(g))[\"dataset\"]}' for g in sys.argv[1:]})))" "$HERE"/*.yaml)
mkdir -p $L $RUNS
nvidia-smi > $L/nvidia-smi.txt 2>&1
python3 -c "import torch, sys; print(sys.version, torch.__version__, torch.cuda.is_available() and torch.cuda.get_device_name(0))" | tee $L/env.txt

lane() {  # one process at a time, each grid in turn; busy runs are skipped, finished ones reused
  for g in "$HERE"/*.yaml; do
    python3 -m rinlib sweep "$g" --profile $PROFILE --engine local --cpus-per-trial 1
  done > $L/lane$1.log 2>&1
}

monitor() {  # every 10 s: elapsed, lanes, epochs per run dir, GPU load and memory
  while true; do
    {
      echo "t=$(el) lanes=$(pgrep -fc "rinlib sweep $HERE/")"
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
if ! pgrep -f "rinlib sweep $HERE/" > /dev/null || grep -q -E 'Traceback|^error' $L/lane1.log; then
  echo "lane 1 failed:"; cat $L/lane1.log; kill $MON; exit 1
fi
sleep 20; start_lanes 1
sleep 45; start_lanes 2
sleep 60; start_lanes 4
while [ $(el) -lt $DEADLINE ]; do sleep 5; done

kill $LANES; pkill -TERM -f "rinlib sweep $HERE/"; sleep 3; pkill -KILL -f "rinlib sweep $HERE/"; kill $MON
echo "t=$(el) stopped" | tee -a $L/stages.txt
tail -n 3 $L/lane*.log

# finished runs, without weights (they stay out of git)
find $RUNS -name metrics.json -printf '%h\n' | sort > $L/finished.txt
tar czf $OUT/finished.tgz --exclude='*.safetensors' --exclude='checkpoint.pt' --exclude='.sweep.lock*' -T $L/finished.txt
# unfinished trainings, most epochs first: the checkpoint's dir (finished itself when its twin
# trains on) and the twin's, with checkpoint, best weights and curves; at most 5, 64 MB in all
twin_of() { echo $1 | sed 's#/partial/#/X/#; s#/exact/#/partial/#; s#/X/#/exact/#'; }
for c in $(find $RUNS -name checkpoint.pt -printf '%h\n'); do
  t=$(twin_of $c); open=""
  [ -e $c/metrics.json ] || open=$c
  [ -d $t ] && [ ! -e $t/metrics.json ] && open="$open $t"
  [ -n "$open" ] && echo "$(wc -l < $c/history.csv) $c $( [ -d $t ] && echo $t)"
done | sort -rn > $L/unfinished.txt
i=0; total=$(stat -c %s $OUT/finished.tgz)
while read -r ep c t; do
  i=$((i + 1)); tar cf $OUT/unfinished$i.tar --exclude='.sweep.lock*' $c $t
  total=$((total + $(stat -c %s $OUT/unfinished$i.tar)))
  if [ $total -gt 64000000 ]; then rm $OUT/unfinished$i.tar; echo "left out: $c $t" >> $L/stages.txt; break; fi
  [ $i -ge 5 ] && break
done < $L/unfinished.txt
tar czf $OUT/logs.tgz -C $OUT logs && rm -r $L
ls -la $OUT
