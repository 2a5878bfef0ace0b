// Google Benchmarks of the VMA side of the model: mlock/munlock split and merge, mmap/munmap,
// a random ONFAULT lock/unlock stream over a large mapping, and the fault-in of N pages.
//   build/bench/model_bench --benchmark_min_time=0.05
#include <benchmark/benchmark.h>

#include <memory>
#include <random>

#include "mmsim/syscalls.h"

using namespace mmsim;

namespace {

struct Fixture {
  explicit Fixture(uint64_t ram_pages = 1 << 16) {
    MachineConfig c;
    c.ram_pages = ram_pages;
    m = std::make_unique<Machine>(c);
    t = &m->spawn("bench", Image::kEmpty);
  }
  long Map(uint64_t pages) {
    return sys_mmap(*t, 0, pages * PAGE_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
                    -1, 0);
  }
  std::unique_ptr<Machine> m;
  Task* t;
};

}  // namespace

// mlock of one page in the middle of an untouched VMA (two splits, one page faulted and
// mlocked), then munlock of it (case 6 merge back into one VMA).
static void BM_MlockMunlockSplitMerge(benchmark::State& state) {
  Fixture f;
  const uint64_t a = static_cast<uint64_t>(f.Map(1024));
  for (auto _ : state) {
    benchmark::DoNotOptimize(sys_mlock(*f.t, a + 512 * PAGE_SIZE, PAGE_SIZE));
    benchmark::DoNotOptimize(sys_munlock(*f.t, a + 512 * PAGE_SIZE, PAGE_SIZE));
  }
  state.SetItemsProcessed(state.iterations() * 2);
}
BENCHMARK(BM_MlockMunlockSplitMerge);

// The same with MLOCK_ONFAULT: the VMA path alone (no fault, no page walk).
static void BM_Mlock2OnfaultMunlockSplitMerge(benchmark::State& state) {
  Fixture f;
  const uint64_t a = static_cast<uint64_t>(f.Map(1024));
  for (auto _ : state) {
    benchmark::DoNotOptimize(sys_mlock2(*f.t, a + 512 * PAGE_SIZE, PAGE_SIZE, MLOCK_ONFAULT));
    benchmark::DoNotOptimize(sys_munlock(*f.t, a + 512 * PAGE_SIZE, PAGE_SIZE));
  }
  state.SetItemsProcessed(state.iterations() * 2);
}
BENCHMARK(BM_Mlock2OnfaultMunlockSplitMerge);

// The vs_kernel stream: mlock2(ONFAULT)/munlock of 1-3 pages at random offsets of a
// 100,000-page mapping (the tree holds tens of thousands of VMAs once warmed up).
static void BM_RandomOnfaultStream(benchmark::State& state) {
  constexpr uint64_t kPages = 100000;
  Fixture f;
  const uint64_t a = static_cast<uint64_t>(f.Map(kPages));
  std::mt19937_64 rng(42);
  for (auto _ : state) {
    const bool lock = rng() & 1;
    const uint64_t pages = 1 + rng() % 3;
    const uint64_t addr = a + (rng() % (kPages - pages + 1)) * PAGE_SIZE;
    benchmark::DoNotOptimize(lock ? sys_mlock2(*f.t, addr, pages * PAGE_SIZE, MLOCK_ONFAULT)
                                  : sys_munlock(*f.t, addr, pages * PAGE_SIZE));
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_RandomOnfaultStream);

// mmap of N untouched pages (hint-less, top-down) and munmap of it.
static void BM_MmapMunmap(benchmark::State& state) {
  const uint64_t pages = static_cast<uint64_t>(state.range(0));
  Fixture f;
  f.Map(16);  // a neighbour the new mapping merges with (vma_merge_new_range)
  for (auto _ : state) {
    const long p = f.Map(pages);
    benchmark::DoNotOptimize(sys_munmap(*f.t, static_cast<uint64_t>(p), pages * PAGE_SIZE));
  }
  state.SetItemsProcessed(state.iterations() * 2);
}
BENCHMARK(BM_MmapMunmap)->Arg(1)->Arg(256);

// mmap + write every page + munmap: the fault path (do_anonymous_page, lru_add batches) and
// the zap of N pages.
static void BM_FaultInPages(benchmark::State& state) {
  const uint64_t pages = static_cast<uint64_t>(state.range(0));
  Fixture f(pages * 4 + 4096);
  for (auto _ : state) {
    const long p = f.Map(pages);
    benchmark::DoNotOptimize(user_access(*f.t, static_cast<uint64_t>(p), pages * PAGE_SIZE, true));
    sys_munmap(*f.t, static_cast<uint64_t>(p), pages * PAGE_SIZE);
  }
  state.SetItemsProcessed(state.iterations() * static_cast<int64_t>(pages));
}
BENCHMARK(BM_FaultInPages)->Arg(16)->Arg(1024)->Arg(65536);

// mlock of N untouched pages: populate with write faults, mlock_new_folio, then munmap.
static void BM_MlockPopulatePages(benchmark::State& state) {
  const uint64_t pages = static_cast<uint64_t>(state.range(0));
  Fixture f(pages * 4 + 4096);
  for (auto _ : state) {
    const long p = f.Map(pages);
    benchmark::DoNotOptimize(sys_mlock(*f.t, static_cast<uint64_t>(p), pages * PAGE_SIZE));
    sys_munmap(*f.t, static_cast<uint64_t>(p), pages * PAGE_SIZE);
  }
  state.SetItemsProcessed(state.iterations() * static_cast<int64_t>(pages));
}
BENCHMARK(BM_MlockPopulatePages)->Arg(1024)->Arg(65536);

BENCHMARK_MAIN();
