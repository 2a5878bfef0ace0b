// Google Benchmarks of the page side: the fault path, populate (mlock of untouched memory),
// and the reclaim scan over a mix of locked and unlocked page-cache folios, at 1 M and 16 M
// simulated pages. The scan rate (items_per_second = pages scanned per second) must not
// fall as memory grows.
//   build/bench/reclaim_bench --benchmark_min_time=0.05
#include <benchmark/benchmark.h>
#include <fcntl.h>

#include "mmsim/control.h"
#include "mmsim/syscalls.h"

using namespace mmsim;

// Runs `op(task, addr, pages)` on a fresh machine with an untouched N-page anonymous
// mapping, timing only the operation; items = pages.
template <typename Op>
static void sim_bench_on_fresh_mapping(benchmark::State& state, Op op) {
  const uint64_t pages = static_cast<uint64_t>(state.range(0));
  for (auto _ : state) {
    state.PauseTiming();
    MachineConfig c;
    c.ram_pages = pages * 2;
    auto m = std::make_unique<Machine>(c);
    Task& t = m->spawn("A", Image::kEmpty);
    long p = sys_mmap(t, 0, pages * PAGE_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
                      -1, 0);
    state.ResumeTiming();
    benchmark::DoNotOptimize(op(t, static_cast<uint64_t>(p), pages));
    state.PauseTiming();
    m.reset();
    state.ResumeTiming();
  }
  state.SetItemsProcessed(state.iterations() * static_cast<int64_t>(pages));
}

// Fault in N anonymous pages by writing them (do_anonymous_page + lru_add batches).
static void BM_FaultPath(benchmark::State& state) {
  sim_bench_on_fresh_mapping(state, [](Task& t, uint64_t p, uint64_t pages) {
    return user_access(t, p, pages * PAGE_SIZE, true);
  });
}
BENCHMARK(BM_FaultPath)->Arg(1 << 20)->Unit(benchmark::kMillisecond);

// mlock of N untouched pages: populate_vma_page_range with write faults and mlock_new_folio.
static void BM_PopulateMlock(benchmark::State& state) {
  sim_bench_on_fresh_mapping(state, [](Task& t, uint64_t p, uint64_t pages) {
    return sys_mlock(t, p, pages * PAGE_SIZE);
  });
}
BENCHMARK(BM_PopulateMlock)->Arg(1 << 20)->Unit(benchmark::kMillisecond);

// Reclaim scan: memory full of mapped page cache, one page in 8 in a VM_LOCKED VMA (found by
// folio_referenced and culled), the rest reclaimable. Measures pages scanned per second of
// try_to_free_pages at 1 M and 16 M pages.
static void BM_ReclaimScan(benchmark::State& state) {
  const uint64_t pages = static_cast<uint64_t>(state.range(0));
  MachineConfig c;
  c.ram_pages = pages;
  Machine m(c);
  Task& t = m.spawn("A", Image::kEmpty);
  m.create_file("/data", pages * 2 * PAGE_SIZE);
  const int fd = static_cast<int>(sys_open(t, "/data", O_RDONLY));
  const uint64_t fill = pages - pages / 16;
  const long p = sys_mmap(t, 0, fill * PAGE_SIZE, PROT_READ, MAP_SHARED, fd, 0);
  user_access(t, static_cast<uint64_t>(p), fill * PAGE_SIZE, false);
  for (uint64_t i = 0; i < fill; i += 8)
    sys_mlock(t, static_cast<uint64_t>(p) + i * PAGE_SIZE, PAGE_SIZE);
  control::drain_all_batches(m);
  int64_t scanned = 0;
  for (auto _ : state) {
    const int64_t before = m.vmstat[pgscan_direct];
    benchmark::DoNotOptimize(control::reclaim(m, 4096));
    scanned += m.vmstat[pgscan_direct] - before;
    state.PauseTiming();
    // Refill what was reclaimed so every iteration scans a full lruvec.
    user_access(t, static_cast<uint64_t>(p), fill * PAGE_SIZE, false);
    state.ResumeTiming();
  }
  state.SetItemsProcessed(scanned);
}
BENCHMARK(BM_ReclaimScan)->Arg(1 << 20)->Arg(1 << 24)->Unit(benchmark::kMillisecond);
