#!/usr/bin/env bash
# Data-parallel PPO on MPI ranks: where an update's time goes (simulation, exchanging with the
# other ranks, the rollout policy, the update) on 1 process and on 2 and 4 ranks (4 is
# oversubscribed on a 2-core machine), one thread per rank, median of REPS runs. The runs use the
# preset of each task with its rollout spread over 8 environment copies (n_envs=8, n_steps =
# the preset's rollout / 8), so that there is something to split. Run it alone on the machine.
#   bash bench/mpi_scaling.sh [REPS] [OUT_DIR]       (default 3, runs/bench/mpi)
set -euo pipefail
cd "$(dirname "$0")/.."
REPS=${1:-3}
OUT=${2:-runs/bench/mpi}
R=build/release/ratchet
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
mkdir -p "$OUT"
# task, steps per measurement, n_steps per copy (8 copies)
cases=("HalfCheetah-v4 40960 64" "Humanoid-v4 40960 256")
printf "| task | ranks | steps/s | per update: simulation | exchange | rollout policy | update | sampling steps/s |\n"
printf "|---|---|---|---|---|---|---|---|\n"
for c in "${cases[@]}"; do
  read -r env steps nsteps <<<"$c"
  for k in 1 2 4; do
    for rep in $(seq "$REPS"); do
      dir="$OUT/$env-k$k-$rep"
      rm -rf "$dir"
      launch=()
      [ "$k" -gt 1 ] && launch=(mpirun -np "$k" --oversubscribe)
      "${launch[@]}" "$R" train --algo ppo --env "$env" --seed 1 --steps "$steps" --quiet --run-dir "$dir" \
        --set n_envs=8 --set n_steps="$nsteps" --set threads=1 --set eval_episodes=0 > "$dir.txt"
    done
    # median over the repetitions of each figure (per update, in ms), from the runs' reports
    python3 - "$OUT" "$env" "$k" "$REPS" "$steps" "$nsteps" <<'PY'
import re, statistics, sys
out, env, k, reps, steps, nsteps = sys.argv[1:]
k, reps, steps, nsteps = int(k), int(reps), int(steps), int(nsteps)
updates = steps // (8 * nsteps)
rows = []
for rep in range(1, reps + 1):
    text = open(f"{out}/{env}-k{k}-{rep}.txt").read()
    wall = float(re.search(r"trained \d+ steps in ([\d.]+) s", text).group(1))
    sim = float(re.search(r"simulation ([\d.]+) s", text).group(1))
    m = re.search(r"exchanging with the other ranks ([\d.]+) s", text)
    comm = float(m.group(1)) if m else 0.0
    pol = float(re.search(r"rollout policy ([\d.]+) s", text).group(1))
    upd = float(re.search(r"updates ([\d.]+) s", text).group(1))
    rows.append((steps / wall, sim, comm, pol, upd, steps / (sim + comm + pol)))
med = [statistics.median(r[i] for r in rows) for i in range(6)]
ms = lambda s: f"{1000 * s / updates:.1f} ms"
print(f"| {env} | {k} | {med[0]:.0f} | {ms(med[1])} | {ms(med[2])} | {ms(med[3])} | {ms(med[4])} | {med[5]:.0f} |")
PY
  done
done
