#!/bin/bash
# Per-thread scheduler figures of running processes over a window (Linux /proc/PID/task/TID/schedstat and status):
# CPU run time, time spent runnable but waiting for a core (run-queue wait), and involuntary switches, per second.
# A diagnostic for the generator's tail (bench/RESULTS.md 2026-12-06): which threads compete for the two cores.
#
#   bash bench/schedstat.sh SECONDS LABEL=PID [LABEL=PID ...]     e.g. bash bench/schedstat.sh 8 target=123 mcpload=456
set -euo pipefail
if [ $# -lt 2 ]; then
  echo "usage: bash bench/schedstat.sh SECONDS LABEL=PID [LABEL=PID ...]" >&2
  exit 2
fi
secs=$1
shift
snap() {
  for lp in "$@"; do
    local label=${lp%%=*} pid=${lp#*=}
    for t in /proc/"$pid"/task/*; do
      # label/tid run_ns wait_ns slices involuntary
      echo "$label/$(basename "$t") $(cat "$t"/schedstat 2>/dev/null | awk '{print $1, $2, $3}') $(awk '/^nonvoluntary/{print $2}' "$t"/status 2>/dev/null)"
    done
  done | sort
}
before=$(snap "$@")
sleep "$secs"
after=$(snap "$@")
echo "per second over ${secs} s; threads that ran or waited under 1 ms/s left out"
join <(echo "$before") <(echo "$after") | awk -v s="$secs" '{
  run = ($6 - $2) / s / 1e6; wait = ($7 - $3) / s / 1e6; inv = ($9 - $5) / s
  if (run >= 1 || wait >= 1) printf "%-24s run %7.1f ms/s   run-queue wait %6.1f ms/s   involuntary switches %5.0f/s\n", $1, run, wait, inv
}'
