// Page-access traces (include/mmsim/access_trace.h): reader, writer, synthetic workloads and
// the replay of a trace through one reclaim policy. No kernel twin: this is the workload
// side of the policy benchmark.
#include "mmsim/access_trace.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <fstream>
#include <random>
#include <sstream>

#include "absl/container/btree_map.h"
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

namespace {

absl::Status sim_trace_error(absl::string_view file, size_t line, size_t col,
                             absl::string_view what) {
  return absl::InvalidArgumentError(absl::StrCat(file, ":", line, ":", col, ": error: ", what));
}

struct TraceToken {
  absl::string_view text;
  size_t col;  // 1-based
};

}  // namespace

absl::StatusOr<AccessTrace> parse_access_trace(absl::string_view text, absl::string_view file) {
  AccessTrace trace;
  trace.name = std::string(file);
  size_t line_no = 0;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    ++line_no;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (size_t hash = line.find('#'); hash != absl::string_view::npos) line = line.substr(0, hash);
    std::vector<TraceToken> tokens;
    for (size_t i = 0; i < line.size();) {
      if (line[i] == ' ' || line[i] == '\t') {
        ++i;
        continue;
      }
      size_t j = i;
      while (j < line.size() && line[j] != ' ' && line[j] != '\t') ++j;
      tokens.push_back({line.substr(i, j - i), i + 1});
      i = j;
    }
    if (tokens.empty()) continue;
    PageAccess a;
    const TraceToken& op = tokens[0];
    if (op.text == "R" || op.text == "r") {
      a.write = false;
    } else if (op.text == "W" || op.text == "w") {
      a.write = true;
    } else {
      return sim_trace_error(file, line_no, op.col,
                             absl::StrCat("found '", op.text, "', expected R or W"));
    }
    if (tokens.size() < 2) {
      return sim_trace_error(file, line_no, line.size() + 1,
                             "the line ends after the access type, expected an address such "
                             "as 0x7f0000001000");
    }
    const TraceToken& addr = tokens[1];
    absl::string_view hex = addr.text;
    if (!absl::ConsumePrefix(&hex, "0x") && !absl::ConsumePrefix(&hex, "0X")) hex = {};
    if (hex.empty() || hex.size() > 16 || !absl::SimpleHexAtoi(hex, &a.addr)) {
      return sim_trace_error(file, line_no, addr.col,
                             absl::StrCat("found '", addr.text,
                                          "', expected an address in hex such as 0x7f0000001000"));
    }
    if (a.addr < MMAP_MIN_ADDR || a.addr >= TASK_SIZE) {
      return sim_trace_error(file, line_no, addr.col,
                             absl::StrFormat("address %#x is outside user space [%#x, %#x)", a.addr,
                                             MMAP_MIN_ADDR, TASK_SIZE));
    }
    if (tokens.size() >= 3) {
      const TraceToken& pid = tokens[2];
      if (!absl::SimpleAtoi(pid.text, &a.pid) || a.pid == 0 || a.pid > (1u << 22) ||
          !absl::ascii_isdigit(static_cast<unsigned char>(pid.text[0]))) {
        return sim_trace_error(
            file, line_no, pid.col,
            absl::StrCat("found '", pid.text, "', expected a process id between 1 and 4194304"));
      }
    }
    if (tokens.size() >= 4) {
      return sim_trace_error(file, line_no, tokens[3].col,
                             absl::StrCat("unexpected '", tokens[3].text,
                                          "' after the process id (a comment starts with #)"));
    }
    trace.accesses.push_back(a);
  }
  return trace;
}

absl::StatusOr<AccessTrace> read_access_trace(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat(path, ": cannot open the trace file"));
  std::stringstream ss;
  ss << in.rdbuf();
  return parse_access_trace(ss.str(), path);
}

std::string format_access_trace(const AccessTrace& trace, absl::string_view header) {
  std::string out;
  for (absl::string_view line : absl::StrSplit(header, '\n', absl::SkipEmpty()))
    absl::StrAppend(&out, "# ", line, "\n");
  for (const PageAccess& a : trace.accesses) {
    if (a.pid == 1) {
      absl::StrAppendFormat(&out, "%c %#x\n", a.write ? 'W' : 'R', a.addr);
    } else {
      absl::StrAppendFormat(&out, "%c %#x %u\n", a.write ? 'W' : 'R', a.addr, a.pid);
    }
  }
  return out;
}

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

absl::StatusOr<ReplayResult> replay_access_trace(const AccessTrace& trace,
                                                 const ReplayConfig& config) {
  if (auto p = create_reclaim_policy(config.policy); !p.ok()) return p.status();
  MachineConfig mc;
  mc.ram_pages = config.ram_pages;
  mc.reclaim_policy = config.policy;
  mc.check_invariants = config.check_invariants;
  Machine m(mc);
  // The machine's administrator: enables swap and holds the locked memory.
  Task& admin = m.spawn("locked", Image::kEmpty);
  if (config.swap_pages) {
    m.create_file("/swapfile", (config.swap_pages + 1) * PAGE_SIZE);
    if (long r = sys_swapon(admin, "/swapfile", 0); r != 0)
      return absl::InternalError(absl::StrCat("swapon failed: ", r));
  }
  uint64_t locked = 0;
  if (config.locked_pages) {
    const long r = sys_mmap(admin, 0, config.locked_pages * PAGE_SIZE, PROT_READ | PROT_WRITE,
                            MAP_PRIVATE | MAP_ANONYMOUS | MAP_LOCKED | MAP_POPULATE, -1, 0);
    if (r < 0) return absl::InternalError(absl::StrCat("mmap of the locked memory failed: ", r));
    locked = static_cast<uint64_t>(r);
  }
  // One process per pid; each maps its touched pages, ranges closer than 1 MiB merged.
  absl::btree_map<uint32_t, std::vector<uint64_t>> pages_of;
  for (const PageAccess& a : trace.accesses) pages_of[a.pid].push_back(a.addr >> PAGE_SHIFT);
  absl::flat_hash_map<uint32_t, Task*> task_of;
  std::vector<Task*> tasks;
  for (auto& [pid, pages] : pages_of) {
    Task& t = m.spawn(absl::StrCat("pid", pid), Image::kEmpty);
    task_of[pid] = &t;
    tasks.push_back(&t);
    std::sort(pages.begin(), pages.end());
    pages.erase(std::unique(pages.begin(), pages.end()), pages.end());
    for (size_t i = 0; i < pages.size();) {
      size_t j = i + 1;
      while (j < pages.size() && pages[j] - pages[j - 1] <= 256) ++j;
      const uint64_t start = pages[i] << PAGE_SHIFT, end = (pages[j - 1] + 1) << PAGE_SHIFT;
      const long r = sys_mmap(t, start, end - start, PROT_READ | PROT_WRITE,
                              MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
      if (r < 0)
        return absl::InvalidArgumentError(absl::StrFormat("%s: pid %u: cannot map [%#x, %#x): %d",
                                                          trace.name, pid, start, end, r));
      i = j;
    }
  }
  const VmStat before = m.vmstat;
  ReplayResult res;
  const auto t0 = std::chrono::steady_clock::now();
  for (const PageAccess& a : trace.accesses) {
    if (user_access(*task_of[a.pid], a.addr, 1, a.write) != 0) ++res.failed_accesses;
  }
  res.host_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  auto delta = [&](VmStatItem i) { return static_cast<uint64_t>(m.vmstat[i] - before[i]); };
  res.accesses = trace.accesses.size();
  for (Task* t : tasks) {
    res.minor_faults += t->min_flt;
    res.major_faults += t->maj_flt;
  }
  res.pgscan = delta(pgscan_kswapd) + delta(pgscan_direct);
  res.pgsteal = delta(pgsteal_kswapd) + delta(pgsteal_direct);
  res.pswpout = delta(pgsteal_anon);
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
  return res;
}

}  // namespace mmsim
