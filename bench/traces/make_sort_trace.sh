#!/usr/bin/env bash
# Regenerates bench/traces/sort.trace: the page accesses of GNU sort ordering 12,000 lines
# of pseudo-random keys, recorded by valgrind's lackey tool and filtered to page reuse
# (lackey_to_trace.py). Needs valgrind (Debian package `valgrind`) and python3.
set -euo pipefail
cd "$(dirname "$0")"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# Keys: Knuth's multiplicative hash of 1..12000, so the input is in no useful order.
seq 1 12000 | awk '{ printf "%010d line %d\n", ($1 * 2654435761) % 4294967291, $1 }' >"$tmp/input"
valgrind --tool=lackey --trace-mem=yes --log-file="$tmp/lackey" \
  sort -S 8M -T "$tmp" "$tmp/input" >/dev/null
python3 lackey_to_trace.py "$tmp/lackey" \
  "GNU sort -S 8M of 12,000 lines ($(sort --version | head -1))" >sort.trace
wc -l sort.trace
