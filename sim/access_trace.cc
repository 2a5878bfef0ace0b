// Page-access traces (include/mmsim/access_trace.h): synthetic workloads and the replay of a
// trace through one reclaim policy (the readers are in sim/trace_reader.cc). No kernel twin:
// this is the workload side of the policy benchmark.
#include "mmsim/access_trace.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <random>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "mmsim/machine.h"
#include "mmsim/procfs.h"
#include "mmsim/reclaim_policy.h"
#include "mmsim/syscalls.h"
#include "sim/internal.h"

namespace mmsim {

// ---- synthetic workloads ----

namespace {

constexpr uint64_t kSynthBase = 0x7f0000000000;

// Draws from the workload's generator without the library-specific distributions, so a
// seed gives the same trace with any C++ library.
class SimTraceRng {
 public:
  explicit SimTraceRng(uint64_t seed) : gen_(seed) {}
  double uniform() { return static_cast<double>(gen_() >> 11) * 0x1.0p-53; }
  uint64_t below(uint64_t n) { return gen_() % n; }

 private:
  std::mt19937_64 gen_;
};

// Emits accesses to pages of a region: the first to each page a write, later ones a write
// one time in four.
class SimTraceWriter {
 public:
  SimTraceWriter(AccessTrace* trace, SimTraceRng* rng) : trace_(trace), rng_(rng) {}
  void touch(uint64_t page) {
    const bool first = touched_.size() <= page || !touched_[page];
    if (touched_.size() <= page) touched_.resize(page + 1, false);
    touched_[page] = true;
    const bool write = first || rng_->below(4) == 0;
    trace_->accesses.push_back({kSynthBase + page * PAGE_SIZE, 1, write});
  }

 private:
  AccessTrace* trace_;
  SimTraceRng* rng_;
  std::vector<bool> touched_;
};

}  // namespace

std::vector<std::string> synthetic_pattern_names() { return {"scan", "zipf", "loop"}; }

absl::StatusOr<AccessTrace> generate_access_trace(absl::string_view pattern, uint64_t ram_pages,
                                                  uint64_t accesses, uint64_t seed) {
  AccessTrace trace;
  trace.name = std::string(pattern);
  trace.accesses.reserve(accesses);
  SimTraceRng rng(seed);
  SimTraceWriter w(&trace, &rng);
  if (pattern == "scan") {
    const uint64_t hot = std::max<uint64_t>(1, ram_pages / 2);
    const uint64_t scan = 4 * ram_pages;
    uint64_t next = 0;
    for (uint64_t i = 0; i < accesses; ++i) {
      if (i % 2 == 0) {
        w.touch(rng.below(hot));
      } else {
        w.touch(hot + next);
        next = (next + 1) % scan;
      }
    }
  } else if (pattern == "zipf") {
    const uint64_t n = std::max<uint64_t>(1, 2 * ram_pages);
    std::vector<double> cdf(n);
    double sum = 0;
    for (uint64_t r = 0; r < n; ++r) {
      sum += 1.0 / std::pow(static_cast<double>(r + 1), 0.9);
      cdf[r] = sum;
    }
    std::vector<uint64_t> page_of_rank(n);
    for (uint64_t r = 0; r < n; ++r) page_of_rank[r] = r;
    for (uint64_t r = n - 1; r > 0; --r) std::swap(page_of_rank[r], page_of_rank[rng.below(r + 1)]);
    for (uint64_t i = 0; i < accesses; ++i) {
      const double u = rng.uniform() * sum;
      const uint64_t r =
          static_cast<uint64_t>(std::upper_bound(cdf.begin(), cdf.end(), u) - cdf.begin());
      w.touch(page_of_rank[std::min(r, n - 1)]);
    }
  } else if (pattern == "loop") {
    const uint64_t n = std::max<uint64_t>(1, ram_pages + ram_pages / 4);
    for (uint64_t i = 0; i < accesses; ++i) w.touch(i % n);
  } else {
    return absl::InvalidArgumentError(
        absl::StrCat("unknown synthetic pattern \"", pattern, "\"; patterns: scan, zipf, loop"));
  }
  return trace;
}

// ---- replay ----

namespace {

// Object ids become pages of one region of process 1, mapped whole at the first id record.
constexpr uint64_t kIdBase = uint64_t{1} << 44;  // 16 TiB
constexpr uint64_t kIdRegionPages = uint64_t{1} << 28;
constexpr uint64_t kHashPages = kIdRegionPages - 4096;  // room for an object's span at the end
// Traced addresses are mapped 2 MiB at a time, at their first touch.
constexpr uint64_t kChunkBytes = uint64_t{2} << 20;

// splitmix64's finaliser: the same page for an id in every run (absl::Hash is seeded).
uint64_t sim_mix64(uint64_t z) {
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

// Where a record's pages are: the first virtual page and how many.
class SimPagePlacer {
 public:
  explicit SimPagePlacer(const ReplayConfig& c)
      : kind_(c.id_map), ignore_size_(c.ignore_obj_size) {}
  // False when the dense region is full.
  bool place(const TraceRecord& r, uint64_t* vpn, uint64_t* npages) {
    if (r.is_address) {
      *vpn = r.key >> PAGE_SHIFT;
      const uint64_t last = (r.key + std::max<uint64_t>(r.size, 1) - 1) >> PAGE_SHIFT;
      *npages = ignore_size_ ? 1 : last - *vpn + 1;
      return true;
    }
    *npages = ignore_size_ ? 1 : std::max<uint64_t>(1, (r.size + PAGE_SIZE - 1) >> PAGE_SHIFT);
    if (kind_ == ReplayConfig::IdMap::kHash) {
      *vpn = (kIdBase >> PAGE_SHIFT) + sim_mix64(r.key) % kHashPages;
      return true;
    }
    auto [it, fresh] = dense_.try_emplace(r.key, Extent{});
    if (fresh || it->second.npages < *npages) {  // new, or grown: a new extent
      if (next_ + *npages > kIdRegionPages) return false;
      it->second = {next_, *npages};
      next_ += *npages;
    }
    *vpn = (kIdBase >> PAGE_SHIFT) + it->second.first;
    return true;
  }

 private:
  struct Extent {
    uint64_t first = 0, npages = 0;
  };
  ReplayConfig::IdMap kind_;
  bool ignore_size_;
  absl::flat_hash_map<uint64_t, Extent> dense_;
  uint64_t next_ = 0;
};

uint64_t sim_page_key(uint32_t pid, uint64_t vpn) { return (uint64_t{pid} << 36) | vpn; }

// OPT's future: for each request (up to limit), the index of the next request whose first
// page is the same, -1 for none. A first pass over the trace; 16 bytes a request while it
// runs, 8 after.
absl::StatusOr<std::vector<int64_t>> sim_next_accesses(const TraceOpener& open,
                                                       const ReplayConfig& c) {
  absl::StatusOr<std::unique_ptr<TraceReader>> r = open();
  if (!r.ok()) return r.status();
  SimPagePlacer placer(c);
  std::vector<uint64_t> keys;
  TraceRecord rec;
  while ((c.limit == 0 || keys.size() < c.limit) && (*r)->next(&rec)) {
    uint64_t vpn, n;
    if (!placer.place(rec, &vpn, &n)) break;  // the replay reports it
    keys.push_back(sim_page_key(rec.pid, vpn));
  }
  if (!(*r)->status().ok()) return (*r)->status();
  std::vector<int64_t> next(keys.size());
  absl::flat_hash_map<uint64_t, int64_t> later;
  for (size_t i = keys.size(); i-- > 0;) {
    auto [it, fresh] = later.try_emplace(keys[i], static_cast<int64_t>(i));
    next[i] = fresh ? -1 : it->second;
    it->second = static_cast<int64_t>(i);
  }
  return next;
}

}  // namespace

absl::StatusOr<uint64_t> trace_distinct_pages(const TraceOpener& open, const ReplayConfig& c) {
  absl::StatusOr<std::unique_ptr<TraceReader>> r = open();
  if (!r.ok()) return r.status();
  SimPagePlacer placer(c);
  absl::flat_hash_set<uint64_t> pages;
  TraceRecord rec;
  for (uint64_t n = 0; (c.limit == 0 || n < c.limit) && (*r)->next(&rec); ++n) {
    uint64_t vpn, npages;
    if (!placer.place(rec, &vpn, &npages)) break;
    for (uint64_t p = vpn; p < vpn + npages; ++p) pages.insert(sim_page_key(rec.pid, p));
  }
  if (!(*r)->status().ok()) return (*r)->status();
  return pages.size();
}

CacheMachine cache_machine_for(uint64_t cache_pages) {
  // Machine::Machine's watermarks for a RAM size (init_per_zone_wmark_min,
  // __setup_per_zone_wmarks); tests/access_trace_test.cc checks the two agree.
  auto wmarks = [](uint64_t ram) {
    CacheMachine c;
    c.ram_pages = ram;
    uint64_t min_free_kbytes = static_cast<uint64_t>(std::sqrt(static_cast<double>(ram * 4) * 16));
    min_free_kbytes = std::clamp<uint64_t>(min_free_kbytes, 128, 262144);
    c.wmark_min = min_free_kbytes / 4;
    const uint64_t step = std::max(c.wmark_min / 4, ram * 10 / 10000);
    c.wmark_low = c.wmark_min + step;
    c.wmark_high = c.wmark_low + step;
    return c;
  };
  // ram - wmark_high(ram) grows with ram: iterate up to the fixed point, then step down while
  // a smaller machine still holds cache_pages.
  uint64_t ram = cache_pages;
  for (int i = 0; i < 64; ++i) {
    const uint64_t next = cache_pages + wmarks(ram).wmark_high;
    if (next == ram) break;
    ram = next;
  }
  while (ram > 1 && ram - 1 >= cache_pages + wmarks(ram - 1).wmark_high) --ram;
  return wmarks(ram);
}

absl::StatusOr<ReplayResult> replay_trace(const TraceOpener& open, const ReplayConfig& config) {
  if (auto p = create_reclaim_policy(config.policy); !p.ok()) return p.status();
  absl::StatusOr<std::unique_ptr<TraceReader>> opened = open();
  if (!opened.ok()) return opened.status();
  TraceReader& reader = **opened;
  TraceRecord rec;
  bool have = reader.next(&rec);
  MachineConfig mc;
  mc.ram_pages = config.ram_pages;
  mc.reclaim_policy = config.policy;
  mc.check_invariants = config.check_invariants;
  // An object id is a cache entry: its first request must allocate, read or not.
  mc.zero_page = !config.reads_allocate && !(have && !rec.is_address);
  Machine m(mc);
  m.set_max_map_count(1 << 30);  // sparse traces map many 2 MiB chunks
  ReclaimPolicy& policy = *m.reclaim_policy;
  const std::string setup = absl::StrFormat(
      "the set-up (ram %u pages, swap %u pages%s, locked %u pages)", config.ram_pages,
      config.swap_pages, config.grow_swap ? " growing" : "", config.locked_pages);
  // The machine's administrator: enables swap and holds the locked memory.
  Task& admin = m.spawn("locked", Image::kEmpty);
  int swapfiles = 0;
  auto add_swap = [&](uint64_t pages) -> absl::Status {
    const std::string path = absl::StrCat("/swapfile", swapfiles++);
    m.create_file(path, (pages + 1) * PAGE_SIZE);
    if (long r = sys_swapon(admin, path, 0); r != 0)
      return absl::InternalError(absl::StrCat("swapon of ", path, " failed: ", r));
    return absl::OkStatus();
  };
  if (config.swap_pages) {
    if (absl::Status s = add_swap(config.swap_pages); !s.ok()) return s;
  }
  uint64_t locked = 0;
  if (config.locked_pages) {
    if (config.locked_pages + m.wmark_high >= config.ram_pages) {
      return absl::InvalidArgumentError(
          absl::StrCat(setup, " cannot run: the locked pages and the high watermark (",
                       m.wmark_high, " pages) leave no evictable memory"));
    }
    const long r = sys_mmap(admin, 0, config.locked_pages * PAGE_SIZE, PROT_READ | PROT_WRITE,
                            MAP_PRIVATE | MAP_ANONYMOUS | MAP_LOCKED | MAP_POPULATE, -1, 0);
    if (r < 0) return absl::InternalError(absl::StrCat("mmap of the locked memory failed: ", r));
    locked = static_cast<uint64_t>(r);
  }
  // One process per pid, spawned at its first record.
  absl::flat_hash_map<uint32_t, Task*> task_of;
  std::vector<Task*> tasks;
  bool id_region_mapped = false;
  auto task_for = [&](uint32_t pid) {
    auto [it, fresh] = task_of.try_emplace(pid, nullptr);
    if (fresh) {
      it->second = &m.spawn(absl::StrCat("pid", pid), Image::kEmpty);
      tasks.push_back(it->second);
    }
    return it->second;
  };
  auto map_at = [&](Task& t, uint64_t start, uint64_t end) -> absl::Status {
    const long r = sys_mmap(t, start, end - start, PROT_READ | PROT_WRITE,
                            MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
    if (r < 0) {
      return absl::InternalError(absl::StrFormat("%s: pid %d: cannot map [%#x, %#x): %d",
                                                 reader.name(), t.tgid, start, end, r));
    }
    return absl::OkStatus();
  };

  // OPT's next accesses, computed from the trace itself: the next-access field of an
  // oracleGeneral file is not trusted (generators write -1 throughout, as
  // ../shared/tools/trace-gen.c does).
  std::vector<int64_t> future;
  if (have && policy.wants_next_access()) {
    absl::StatusOr<std::vector<int64_t>> f = sim_next_accesses(open, config);
    if (!f.ok()) return f.status();
    future = std::move(f).value();
  }
  const bool hooks = policy.wants_accesses();
  const uint64_t swap_reserve = 2 * m.wmark_high + 1024;
  const VmStat before = m.vmstat;
  ReplayResult res;
  uint64_t interval_misses = 0;
  const auto t0 = std::chrono::steady_clock::now();
  SimPagePlacer placer(config);
  for (uint64_t vtime = 0; have && (config.limit == 0 || vtime < config.limit);
       ++vtime, have = reader.next(&rec)) {
    Task& t = *task_for(rec.pid);
    uint64_t vpn, npages;
    if (!placer.place(rec, &vpn, &npages)) {
      return absl::ResourceExhaustedError(absl::StrFormat(
          "%s: record %u: the objects so far fill 2^28 pages; --id-map hash has room for more",
          reader.name(), vtime + 1));
    }
    if (!rec.is_address && !id_region_mapped) {
      if (absl::Status s = map_at(t, kIdBase, kIdBase + (kIdRegionPages << PAGE_SHIFT)); !s.ok())
        return s;
      id_region_mapped = true;
    }
    const bool counted = vtime >= config.warmup;
    PolicyAccess pa;
    pa.vtime = vtime;
    pa.next_access = vtime < future.size() ? future[vtime] : rec.next_access;
    bool miss = false;
    for (uint64_t p = vpn; p < vpn + npages; ++p) {
      const uint64_t addr = p << PAGE_SHIFT;
      const uint64_t faults = t.min_flt + t.maj_flt;
      long r = user_access(t, addr, 1, rec.write);
      if (r == -EFAULT && !vma_lookup(t.mm.get(), addr)) {
        const uint64_t start = std::max(addr & ~(kChunkBytes - 1), MMAP_MIN_ADDR);
        const uint64_t end = std::min((addr & ~(kChunkBytes - 1)) + kChunkBytes, TASK_SIZE);
        if (absl::Status s = map_at(t, start, end); !s.ok()) return s;
        r = user_access(t, addr, 1, rec.write);
      }
      if (r != 0) {
        ++res.failed_accesses;
        continue;
      }
      const bool fault = t.min_flt + t.maj_flt != faults;
      miss |= fault;
      if (counted) {
        ++res.page_accesses;
        res.page_misses += fault;
      }
      if (hooks) {
        const Pte* pte = t.mm->page_table.find(p);
        if (pte && pte->kind == Pte::kPresent && pte->folio != ZERO_FOLIO) {
          pa.page = sim_page_key(rec.pid, p);
          if (fault) {
            policy.folio_inserted(m, pte->folio, pa);
          } else {
            policy.folio_accessed(m, pte->folio, pa);
          }
        }
      }
    }
    ++res.accesses;
    if (counted) {
      ++res.requests;
      res.misses += miss;
      interval_misses += miss;
      if (config.interval && res.requests % config.interval == 0) {
        res.interval_miss_ratios.push_back(static_cast<double>(interval_misses) /
                                           static_cast<double>(config.interval));
        interval_misses = 0;
      }
    }
    if (config.grow_swap && nr_swap_pages(m) < swap_reserve + npages) {
      if (swapfiles == MAX_SWAPFILES)
        return absl::ResourceExhaustedError(absl::StrCat(setup, ": swap files exhausted"));
      if (absl::Status s = add_swap(std::max<uint64_t>(total_swap_pages(m), swap_reserve)); !s.ok())
        return s;
    }
  }
  if (!reader.status().ok()) return reader.status();
  res.host_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  auto delta = [&](VmStatItem i) { return static_cast<uint64_t>(m.vmstat[i] - before[i]); };
  for (Task* t : tasks) {
    res.minor_faults += t->min_flt;
    res.major_faults += t->maj_flt;
    res.resident_pages +=
        static_cast<uint64_t>(t->mm->rss_stat[MM_ANONPAGES] + t->mm->rss_stat[MM_FILEPAGES]);
  }
  res.pgscan = delta(pgscan_kswapd) + delta(pgscan_direct);
  res.pgsteal = delta(pgsteal_kswapd) + delta(pgsteal_direct);
  res.pswpout = delta(pgsteal_anon);
  res.refaults = delta(workingset_refault_anon) + delta(workingset_refault_file);
  res.swap_pages = total_swap_pages(m);
  // Every locked page must still be resident and mlocked.
  res.locked_pages = config.locked_pages;
  for (uint64_t i = 0; i < config.locked_pages; ++i) {
    const PageInfo pi = page_info(admin, locked + i * PAGE_SIZE);
    if (!pi.present || !(pi.kpageflags & (uint64_t{1} << KPF_MLOCKED))) ++res.locked_evicted;
  }
  if (absl::Status s = m.check_invariants(); !s.ok()) return s;
  if (!m.invariant_status().ok()) return m.invariant_status();
  if (res.locked_evicted) {
    return absl::InternalError(absl::StrFormat("policy %s reclaimed %u of %u locked pages",
                                               config.policy, res.locked_evicted,
                                               config.locked_pages));
  }
  if (res.failed_accesses) {
    return absl::ResourceExhaustedError(absl::StrFormat(
        "%s cannot hold %s: %u accesses found no free page and nothing reclaimable (%s)", setup,
        reader.name(), res.failed_accesses,
        config.swap_pages ? "swap is full: a larger --swap, or --cache-size"
                          : "anonymous pages need swap to be evicted: --swap or --cache-size"));
  }
  return res;
}

absl::StatusOr<ReplayResult> replay_access_trace(const AccessTrace& trace,
                                                 const ReplayConfig& config) {
  return replay_trace(
      [&trace]() -> absl::StatusOr<std::unique_ptr<TraceReader>> {
        return access_trace_reader(trace);
      },
      config);
}

}  // namespace mmsim
