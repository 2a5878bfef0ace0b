#!/usr/bin/env bash
# The README's two commands:
#   bash tests/run.sh demo   install what is missing, build, explain the demo scenario
#   bash tests/run.sh all    install what is missing, build, run every test:
#                            unit tests (release and ASan+UBSan), a short libFuzzer run of
#                            the scenario parser, the scenario corpus, and the host oracle:
#                            mmsim diff on the corpus and fixed divergences, mmsim fuzz-diff.
set -euo pipefail
cd "$(dirname "$0")/.."
what="${1:-}"
jobs="${JOBS:-2}"
bash tests/install-deps.sh

build_release() {
  cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
  cmake --build build -j "$jobs"
}

case "$what" in
  demo)
    build_release
    build/mmsim explain scenarios/basics/mlock-middle-split.scn
    ;;
  all)
    build_release
    echo "== unit tests (RelWithDebInfo)"
    ctest --test-dir build --output-on-failure -j "$jobs"
    echo "== ASan+UBSan build"
    cmake -S . -B build-asan -G Ninja -DCMAKE_BUILD_TYPE=Debug -DMMSIM_SANITIZE=ON \
      -DMMSIM_BENCH=OFF >/dev/null
    cmake --build build-asan -j "$jobs"
    ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
      ctest --test-dir build-asan --output-on-failure -j "$jobs"
    if [ -f sim/scenario/parser_fuzz.cc ]; then
      echo "== libFuzzer: scenario parser, 20 s"
      cmake -S . -B build-fuzz -G Ninja -DCMAKE_CXX_COMPILER=clang++ -DMMSIM_FUZZ=ON \
        -DMMSIM_BENCH=OFF -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
      cmake --build build-fuzz -j "$jobs" --target parser_fuzz
      mkdir -p build-fuzz/corpus
      build-fuzz/parser_fuzz -max_total_time=20 -print_final_stats=1 build-fuzz/corpus \
        tests/fuzz_corpus
    fi
    echo "== scenario corpus"
    build/mmsim check scenarios/
    echo "== the corpus and the fixed fuzz divergences on the host kernel (skipped without root / kpageflags)"
    build/mmsim diff scenarios/ tests/fuzz-divergences/fixed/
    echo "== fuzz-diff: 2000 random sequences of 50 calls, simulator vs host kernel"
    fuzz_out="$(mktemp -d)"
    build/mmsim fuzz-diff --seed 1 --sequences 2000 --ops 50 --out "$fuzz_out"
    rm -rf "$fuzz_out"
    ;;
  *)
    echo "usage: bash tests/run.sh demo|all" >&2
    exit 2
    ;;
esac
