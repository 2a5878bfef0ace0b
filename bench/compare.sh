#!/usr/bin/env bash
# Compares the simulator side of two vs_kernel builds, alternating runs so that both see the
# same machine noise: bench/compare.sh BUILD_A BUILD_B [runs]. Prints, per stream and build,
# the best and mean seconds (vs_kernel --only sim) and the ratio of the means (A / B).
set -euo pipefail
a="$1/bench/vs_kernel"; b="$2/bench/vs_kernel"; runs="${3:-7}"
for f in "$a" "$b"; do [ -x "$f" ] || { echo "compare.sh: no $f" >&2; exit 2; }; done
for ((i = 0; i < runs; i++)); do
  echo "A $("$a" --only sim | awk '/^sim/ {printf "%s ", $(NF-1)}')"
  echo "B $("$b" --only sim | awk '/^sim/ {printf "%s ", $(NF-1)}')"
done | awk '
  { for (k = 2; k <= 3; k++) { s[$1, k] += $k; n[$1, k]++
      if (!(($1, k) in best) || $k < best[$1, k]) best[$1, k] = $k } }
  END {
    for (k = 2; k <= 3; k++) {
      ma = s["A", k] / n["A", k]; mb = s["B", k] / n["B", k]
      printf "%-26s A best %.3f s mean %.3f s | B best %.3f s mean %.3f s | A/B %.2f\n",
        (k == 2 ? "mlock2(ONFAULT)/munlock" : "populating mlock/munlock"),
        best["A", k], ma, best["B", k], mb, ma / mb
    }
  }'
