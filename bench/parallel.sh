#!/usr/bin/env bash
# One core against two, end to end (issue 16): each case runs with --threads 1 (and --jobs 1), then with
# --threads 2 (and --jobs 2), prints both wall-clock times (/usr/bin/time), their ratio, whether the two
# results are the same bits (the JSON output, minus timings and paths), and the load average before the pair.
# Usage: bench/parallel.sh [case ...]  (cases: solve ppo-cnn ppo-mlp sweep demo-quick demo; default: all)
# Build first: dotnet build src/AlignLab.Cli -c Release
set -euo pipefail
cd "$(dirname "$0")/.."
cli=${ALIGNLAB:-src/AlignLab.Cli/bin/Release/net10.0/AlignLab.Cli}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# Drops what may differ between two equal runs: times, speeds, file paths.
strip() {
  python3 -c '
import json, sys
def clean(x):
    if isinstance(x, dict):
        return {k: clean(v) for k, v in x.items() if not any(w in k.lower() for w in ("second", "time", "report", "store", "path", "elapsed", "_ms"))}
    if isinstance(x, list):
        return [clean(v) for v in x]
    return x
print(json.dumps(clean(json.load(open(sys.argv[1]))), sort_keys=True))' "$1"
}

run() { # name, threads/jobs, args...
  local name=$1 n=$2; shift 2
  rm -f "$work/$name-$n.db"
  /usr/bin/time -f "%e" -o "$work/$name-$n.time" "$cli" "$@" --store "$work/$name-$n.db" > "$work/$name-$n.json"
}

pair() { # name, jobs-too (yes/no), args...
  local name=$1 jobs=$2; shift 2
  local load; load=$(cut -d' ' -f1 /proc/loadavg)
  local extra1=(--threads 1) extra2=(--threads 2)
  if [ "$jobs" = yes ]; then extra1+=(--jobs 1); extra2+=(--jobs 2); fi
  run "$name" 1 "$@" "${extra1[@]}"
  run "$name" 2 "$@" "${extra2[@]}"
  local t1 t2 same
  t1=$(cat "$work/$name-1.time"); t2=$(cat "$work/$name-2.time")
  if [ "$(strip "$work/$name-1.json")" = "$(strip "$work/$name-2.json")" ]; then same=yes; else same=NO; fi
  printf '%-11s 1 thread %7.1f s   2 threads %7.1f s   ratio %.2fx   same bits: %s   load before: %s\n' "$name" "$t1" "$t2" "$(echo "$t1 / $t2" | bc -l)" "$same" "$load"
}

solve_pair() { # solve takes no --store
  local load; load=$(cut -d' ' -f1 /proc/loadavg)
  /usr/bin/time -f "%e" -o "$work/solve-1.time" "$cli" solve SideEffectsSokoban-v0 --level 2 --json --threads 1 > "$work/solve-1.json"
  /usr/bin/time -f "%e" -o "$work/solve-2.time" "$cli" solve SideEffectsSokoban-v0 --level 2 --json --threads 2 > "$work/solve-2.json"
  local t1 t2 same
  t1=$(cat "$work/solve-1.time"); t2=$(cat "$work/solve-2.time")
  if [ "$(strip "$work/solve-1.json")" = "$(strip "$work/solve-2.json")" ]; then same=yes; else same=NO; fi
  printf '%-11s 1 thread %7.1f s   2 threads %7.1f s   ratio %.2fx   same bits: %s   load before: %s\n' solve "$t1" "$t2" "$(echo "$t1 / $t2" | bc -l)" "$same" "$load"
}

cases=("$@")
[ ${#cases[@]} -eq 0 ] && cases=(solve ppo-cnn ppo-mlp sweep demo-quick demo)
for c in "${cases[@]}"; do
  case $c in
    solve) solve_pair ;;
    ppo-cnn) pair ppo-cnn no train CheeseInTheCorner-v0 --agent ppo --preset cnn --set size=13 --steps 8192 --curve-points 1 --json ;;
    ppo-mlp) pair ppo-mlp no train DistributionalShift-v0 --agent ppo --steps 30000 --curve-points 1 --json ;;
    sweep) pair sweep yes sweep CoinAtTheEnd-v0 --param width=8 --seeds 4 --agent ppo --preset small --steps 20480 --json ;;
    demo-quick) pair demo-quick yes demo --quick --json --out "$work/report-quick.html" ;;
    demo) pair demo yes demo --json --out "$work/report.html" ;;
    *) echo "unknown case $c" >&2; exit 2 ;;
  esac
done
