#!/usr/bin/env bash
# Time to quality: wall time until the periodic deterministic evaluation first reaches a task's
# threshold, with the task's best preset on 2 threads (the update divided in 2 parts where the
# algorithm can, grad_chunks=2), median over seeds. Evaluations every 2% of the budget, 5 episodes
# each; their own time counts in the wall time. A task with a wall limit trains a larger budget
# and is stopped (with a checkpoint) at the limit: it counts as reached only within it. A run stops
# (with a checkpoint) at the first evaluation that reaches the threshold (stop_at_return). Run it
# alone on the machine.
#   bash bench/time_to_quality.sh [SEEDS] [TASK...]      (default 0-4, every task below)
# TASK is one of the names in the table below.
set -euo pipefail
cd "$(dirname "$0")/.."
SEEDS=${1:-0-4}
shift || true
R=build/release/ratchet
OUT=runs/bench/ttq
mkdir -p "$OUT"
# name, algo, env, threshold, extra settings, wall limit in seconds (empty: none)
tasks=(
  "cartpole|ppo|CartPole-v1|475||"
  "pendulum|ppo|Pendulum-v1|-200||"
  "halfcheetah|trpo|HalfCheetah-v4|5000|--set grad_chunks=2|"
  "hopper|ppo|Hopper-v4|3000|--set grad_chunks=2|"
  "ant|ppo|Ant-v4|3000|--set grad_chunks=2|"
  "humanoid|ppo|Humanoid-v4|5000|--set grad_chunks=2 --set n_timesteps=10000000|1800"
)
want=("$@")
printf "| task | algo | threshold | reached | median time to threshold | its steps | budget |\n|---|---|---|---|---|---|---|\n"
for t in "${tasks[@]}"; do
  IFS='|' read -r name algo env threshold extra limit <<<"$t"
  if [ ${#want[@]} -gt 0 ] && [[ ! " ${want[*]} " == *" $name "* ]]; then continue; fi
  # shellcheck disable=SC2086
  budget=$("$R" config --algo "$algo" --env "$env" $extra | awk '$1=="n_timesteps:" {print $2}')
  cap=()
  [ -n "$limit" ] && cap=(timeout --signal=TERM "$limit")
  for seed in $(python3 -c "import sys; a,b=('$SEEDS'.split('-')+['$SEEDS'])[:2]; print(*range(int(a),int(b)+1))"); do
    dir="$OUT/$name-s$seed"
    rm -rf "$dir"
    # shellcheck disable=SC2086
    "${cap[@]}" "$R" train --algo "$algo" --env "$env" --seed "$seed" --quiet --run-dir "$dir" --set threads=2 \
      --set eval_episodes=5 --set eval_every=$((budget / 50)) --set stop_at_return="$threshold" $extra > /dev/null ||
      [ -n "$limit" ]
  done
  python3 - "$OUT" "$name" "$algo" "$threshold" "$SEEDS" "$budget" "$limit" <<'PY'
import csv, statistics, sys
out, name, algo, threshold, seeds, budget, limit = sys.argv[1:]
a, b = (seeds.split("-") + [seeds])[:2]
times, steps, reached = [], [], 0
n = 0
for seed in range(int(a), int(b) + 1):
    n += 1
    hit = None
    with open(f"{out}/{name}-s{seed}/progress.csv") as f:
        for row in csv.DictReader(f):
            if limit and float(row["wall_time"]) > float(limit):
                break
            if row["eval_return_mean"] and float(row["eval_return_mean"]) >= float(threshold):
                hit = (float(row["wall_time"]), int(row["steps"]))
                break
    if hit:
        reached += 1
        times.append(hit[0]); steps.append(hit[1])
med = f"{statistics.median(times):.1f} s" if times else "-"
med_steps = f"{int(statistics.median(steps))}" if steps else "-"
print(f"| {name} | {algo} | {threshold} | {reached}/{n} | {med} | {med_steps} | {budget}{f' or {limit} s' if limit else ''} |")
PY
done
