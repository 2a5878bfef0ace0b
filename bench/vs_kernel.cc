// The simulator against the kernel it models, on the same workload, in one process run:
// one seeded stream of mlock2(MLOCK_ONFAULT) / munlock calls (50/50) of 1-3 pages at random
// page offsets of a 100,000-page private anonymous read-write mapping, 200,000 calls, first on
// this machine's kernel (real syscalls on a real mapping), then in the simulator (Machine,
// Image::kEmpty task). ONFAULT keeps both sides free of page faults: the work is the VMA
// merge/split path (mm/mlock.c apply_vma_lock_flags → mlock_fixup → vma_modify_flags).
//
// The final VMA layouts inside the mapping must agree (count and ranges; exit 1 otherwise).
//
// Then the page path (issue 3): the populating variant of the same stream, on a fresh
// mapping of the same size: plain mlock instead of mlock2(MLOCK_ONFAULT), so each mlock
// faults its pages in (mm/gup.c __mm_populate → handle_mm_fault → do_anonymous_page, the
// mlock batch, mlock_pte_range for pages already present), and munlock puts them back on an
// evictable list. Kernel first, then the simulator. Layouts must agree as above, and so must
// the minor faults over the stream (getrusage on the kernel; exit 1 otherwise).
//
// Run as root (CAP_IPC_LOCK makes RLIMIT_MEMLOCK irrelevant on both sides). The last two
// lines, operations (calls; populate operations) per second:
//   vs_kernel_populate: kernel=<ops/s> sim=<ops/s> ratio=<sim/kernel>
//   vs_kernel: kernel=<ops/s> sim=<ops/s> ratio=<sim/kernel>
//   build/bench/vs_kernel [--calls N] [--seed S] [--populate-calls N] [--only sim|kernel]
// --only runs one side (for profiling the simulator with perf); it prints no ratio lines.
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cinttypes>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "CLI/CLI.hpp"
#include "mmsim/syscalls.h"

namespace {

constexpr uint64_t kPages = 100000;
constexpr uint64_t kPage = 4096;

struct Call {
  bool lock;  // mlock2(MLOCK_ONFAULT), else munlock
  uint32_t page;
  uint32_t pages;
};

std::vector<Call> MakeStream(uint64_t n, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::vector<Call> calls(n);
  for (Call& c : calls) {
    c.lock = rng() & 1;
    c.pages = 1 + static_cast<uint32_t>(rng() % 3);
    c.page = static_cast<uint32_t>(rng() % (kPages - c.pages + 1));
  }
  return calls;
}

using Ranges = std::vector<std::pair<uint64_t, uint64_t>>;  // [start, end) in pages from base

// A VMA's part inside the mapping (a neighbour outside it may have merged with its edge).
std::pair<uint64_t, uint64_t> Clip(uint64_t s, uint64_t e, uint64_t base, uint64_t len) {
  s = std::max(s, base);
  e = std::min(e, base + len);
  return {(s - base) / kPage, (e - base) / kPage};
}

// The VMAs of /proc/self/maps intersecting [base, base + len), relative to base.
Ranges KernelLayout(uint64_t base, uint64_t len) {
  Ranges out;
  FILE* f = std::fopen("/proc/self/maps", "r");
  if (!f) return out;
  char line[512];
  while (std::fgets(line, sizeof line, f)) {
    uint64_t s, e;
    if (std::sscanf(line, "%" SCNx64 "-%" SCNx64, &s, &e) != 2) continue;
    if (s < base + len && e > base) out.push_back(Clip(s, e, base, len));
  }
  std::fclose(f);
  return out;
}

Ranges SimLayout(const mmsim::Task& t, uint64_t base, uint64_t len) {
  Ranges out;
  for (const auto& [s, v] : t.mm->mm_mt) {
    if (v->vm_start < base + len && v->vm_end > base)
      out.push_back(Clip(v->vm_start, v->vm_end, base, len));
  }
  return out;
}

double Seconds(std::chrono::steady_clock::duration d) {
  return std::chrono::duration<double>(d).count();
}

// The kernel's mapping at a fixed address far from everything else, so that it cannot merge
// with a neighbouring anonymous VMA and inherit its anon_vma: a merged mapping starts with an
// anon_vma, and then every later split and merge differs from the simulator's fresh one
// (measured: 33,236 VMAs against 40,346 on the populating stream until this was done).
void* IsolatedMapping(uint64_t len) {
  for (uint64_t hint = 0x600000000000; hint < 0x700000000000; hint += 0x10000000000) {
    void* p = mmap(reinterpret_cast<void*>(hint), len, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
    if (p != MAP_FAILED) return p;
  }
  return MAP_FAILED;
}

uint64_t KernelMinorFaults() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  return static_cast<uint64_t>(ru.ru_minflt);
}

struct PopulateResult {
  double seconds = 0;
  uint64_t faults = 0;  // minor faults over the stream
  uint64_t errors = 0;  // failed calls
  Ranges layout;        // VMAs inside the mapping at the end
};

// The stream with plain mlock (populating) and munlock, on the kernel.
PopulateResult KernelPopulate(const std::vector<Call>& calls) {
  PopulateResult r;
  const uint64_t len = kPages * kPage;
  void* p = IsolatedMapping(len);
  if (p == MAP_FAILED) {
    r.errors = calls.size();
    return r;
  }
  const uint64_t base = reinterpret_cast<uint64_t>(p);
  const uint64_t flt0 = KernelMinorFaults();
  const auto t0 = std::chrono::steady_clock::now();
  for (const Call& c : calls) {
    const uint64_t a = base + uint64_t{c.page} * kPage;
    const long res = c.lock ? syscall(SYS_mlock, a, uint64_t{c.pages} * kPage)
                            : syscall(SYS_munlock, a, uint64_t{c.pages} * kPage);
    r.errors += res != 0;
  }
  r.seconds = Seconds(std::chrono::steady_clock::now() - t0);
  r.faults = KernelMinorFaults() - flt0;
  r.layout = KernelLayout(base, len);
  munlock(p, len);
  munmap(p, len);
  return r;
}

// The same in the simulator.
PopulateResult SimPopulate(const std::vector<Call>& calls) {
  PopulateResult r;
  const uint64_t len = kPages * kPage;
  mmsim::Machine m;
  mmsim::Task& t = m.spawn("vs_kernel_populate", mmsim::Image::kEmpty);
  const long p =
      mmsim::sys_mmap(t, 0, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p < 0) {
    r.errors = calls.size();
    return r;
  }
  const uint64_t base = static_cast<uint64_t>(p);
  const uint64_t flt0 = t.min_flt;
  const auto t0 = std::chrono::steady_clock::now();
  for (const Call& c : calls) {
    const uint64_t a = base + uint64_t{c.page} * kPage;
    const long res = c.lock ? mmsim::sys_mlock(t, a, uint64_t{c.pages} * kPage)
                            : mmsim::sys_munlock(t, a, uint64_t{c.pages} * kPage);
    r.errors += res != 0;
  }
  r.seconds = Seconds(std::chrono::steady_clock::now() - t0);
  r.faults = t.min_flt - flt0;
  r.layout = SimLayout(t, base, len);
  return r;
}

// The mlock2(MLOCK_ONFAULT) / munlock stream on the kernel (no faults, VMA work only).
PopulateResult KernelOnfault(const std::vector<Call>& calls) {
  PopulateResult r;
  const uint64_t len = kPages * kPage;
  void* p = IsolatedMapping(len);
  if (p == MAP_FAILED) {
    std::perror("mmap");
    std::exit(2);
  }
  const uint64_t base = reinterpret_cast<uint64_t>(p);
  const auto t0 = std::chrono::steady_clock::now();
  for (const Call& c : calls) {
    const uint64_t a = base + uint64_t{c.page} * kPage;
    const long res = c.lock ? syscall(SYS_mlock2, a, uint64_t{c.pages} * kPage, MLOCK_ONFAULT)
                            : syscall(SYS_munlock, a, uint64_t{c.pages} * kPage);
    r.errors += res != 0;
  }
  r.seconds = Seconds(std::chrono::steady_clock::now() - t0);
  r.layout = KernelLayout(base, len);
  munlock(p, len);
  munmap(p, len);
  return r;
}

// The same in the simulator.
PopulateResult SimOnfault(const std::vector<Call>& calls) {
  PopulateResult r;
  const uint64_t len = kPages * kPage;
  mmsim::Machine m;
  mmsim::Task& t = m.spawn("vs_kernel", mmsim::Image::kEmpty);
  const long p =
      mmsim::sys_mmap(t, 0, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p < 0) {
    std::fprintf(stderr, "sim mmap: %ld\n", p);
    std::exit(2);
  }
  const uint64_t base = static_cast<uint64_t>(p);
  const auto t0 = std::chrono::steady_clock::now();
  for (const Call& c : calls) {
    const uint64_t a = base + uint64_t{c.page} * kPage;
    const long res = c.lock ? mmsim::sys_mlock2(t, a, uint64_t{c.pages} * kPage, MLOCK_ONFAULT)
                            : mmsim::sys_munlock(t, a, uint64_t{c.pages} * kPage);
    r.errors += res != 0;
  }
  r.seconds = Seconds(std::chrono::steady_clock::now() - t0);
  r.layout = SimLayout(t, base, len);
  return r;
}

// Compares two results of one stream; prints each difference, returns false if any.
bool Agree(const char* what, const PopulateResult& k, const PopulateResult& s, bool faults) {
  bool ok = true;
  if (k.layout.size() != s.layout.size()) {
    std::printf("MISMATCH (%s): VMA counts differ\n", what);
    ok = false;
  } else if (k.layout != s.layout) {
    size_t i = 0;
    while (k.layout[i] == s.layout[i]) ++i;
    std::printf("MISMATCH (%s): VMA %zu is [%" PRIu64 ", %" PRIu64 ") on the kernel, [%" PRIu64
                ", %" PRIu64 ") in the sim\n",
                what, i, k.layout[i].first, k.layout[i].second, s.layout[i].first,
                s.layout[i].second);
    ok = false;
  }
  if (faults && k.faults != s.faults) {
    std::printf("MISMATCH (%s): minor-fault counts differ\n", what);
    ok = false;
  }
  if (k.errors != s.errors) {
    std::printf("MISMATCH (%s): failed-call counts differ\n", what);
    ok = false;
  }
  return ok;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"The simulator against this machine's kernel on one seeded mlock/munlock stream."};
  uint64_t n = 200000, seed = 42, populate_n = 200000;
  std::string only;
  app.add_option("--calls", n, "mlock2(MLOCK_ONFAULT)/munlock calls")
      ->check(CLI::Range(uint64_t{0}, uint64_t{100000000}));
  app.add_option("--seed", seed, "stream seed");
  app.add_option("--populate-calls", populate_n, "calls of the populating stream (0: skip it)")
      ->check(CLI::Range(uint64_t{0}, uint64_t{100000000}));
  app.add_option("--only", only, "run one side only (no ratios): sim or kernel")
      ->check(CLI::IsMember({"sim", "kernel"}));
  CLI11_PARSE(app, argc, argv);
  const bool run_kernel = only != "sim", run_sim = only != "kernel";

  int rc = 0;
  PopulateResult kon, son;
  if (n > 0) {
    const std::vector<Call> calls = MakeStream(n, seed);
    if (run_kernel) kon = KernelOnfault(calls);
    if (run_sim) son = SimOnfault(calls);
    std::printf("calls=%" PRIu64 " seed=%" PRIu64 " pages=%" PRIu64 "\n", n, seed, kPages);
    if (run_kernel)
      std::printf("kernel: %zu VMAs in the mapping, %" PRIu64 " failed calls, %.3f s\n",
                  kon.layout.size(), kon.errors, kon.seconds);
    if (run_sim)
      std::printf("sim:    %zu VMAs in the mapping, %" PRIu64 " failed calls, %.3f s\n",
                  son.layout.size(), son.errors, son.seconds);
    if (run_kernel && run_sim && !Agree("onfault", kon, son, false)) rc = 1;
  }

  // ---- the page path: the stream with populating mlock ----
  if (populate_n > 0) {
    const std::vector<Call> pcalls = MakeStream(populate_n, seed);
    PopulateResult kpop, spop;
    if (run_kernel) kpop = KernelPopulate(pcalls);
    if (run_sim) spop = SimPopulate(pcalls);
    std::printf("populate: calls=%" PRIu64 " (mlock / munlock of 1-3 pages)\n", populate_n);
    if (run_kernel)
      std::printf("kernel: %zu VMAs in the mapping, %" PRIu64 " minor faults, %" PRIu64
                  " failed calls, %.3f s\n",
                  kpop.layout.size(), kpop.faults, kpop.errors, kpop.seconds);
    if (run_sim)
      std::printf("sim:    %zu VMAs in the mapping, %" PRIu64 " minor faults, %" PRIu64
                  " failed calls, %.3f s\n",
                  spop.layout.size(), spop.faults, spop.errors, spop.seconds);
    if (run_kernel && run_sim) {
      if (!Agree("populate", kpop, spop, true)) rc = 1;
      const double kpop_ops = static_cast<double>(populate_n) / kpop.seconds;
      const double spop_ops = static_cast<double>(populate_n) / spop.seconds;
      std::printf("vs_kernel_populate: kernel=%.0f sim=%.0f ratio=%.2f\n", kpop_ops, spop_ops,
                  spop_ops / kpop_ops);
    }
  }
  if (n > 0 && run_kernel && run_sim) {
    const double kernel_ops = static_cast<double>(n) / kon.seconds;
    const double sim_ops = static_cast<double>(n) / son.seconds;
    std::printf("vs_kernel: kernel=%.0f sim=%.0f ratio=%.2f\n", kernel_ops, sim_ops,
                sim_ops / kernel_ops);
  }
  return rc;
}
