// Page-access traces for reclaim-policy studies: a reader for trace files, synthetic
// workloads for when there is no trace, and a replay that runs a trace through one reclaim
// policy on a small machine with swap and reports the kernel's counters
// (bench/policy_bench.cc, docs/policies.md).
//
// Trace files have one access per line: `R ADDR [PID]` or `W ADDR [PID]`, ADDR in hex with
// 0x, PID a decimal process id (1 when absent); `#` starts a comment, blank lines are
// ignored. Every process's touched pages are mapped as private anonymous memory.
#ifndef MMSIM_ACCESS_TRACE_H_
#define MMSIM_ACCESS_TRACE_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace mmsim {

struct PageAccess {
  uint64_t addr = 0;
  uint32_t pid = 1;
  bool write = false;
};

struct AccessTrace {
  std::string name;  // file name or synthetic pattern, for reports
  std::vector<PageAccess> accesses;
};

// Parses trace text; errors are "FILE:LINE:COL: error: ..." (InvalidArgument).
absl::StatusOr<AccessTrace> parse_access_trace(absl::string_view text, absl::string_view file);
// Reads and parses a trace file (NotFound if it cannot be read).
absl::StatusOr<AccessTrace> read_access_trace(const std::string& path);
// The trace as text parse_access_trace reads back; `header` lines become comments.
std::string format_access_trace(const AccessTrace& trace, absl::string_view header = "");

// Synthetic workloads, sized relative to the machine's memory (ram_pages), deterministic for
// a seed:
//   scan  a hot set of ram/2 pages used at random, interleaved with a sequential write scan
//         through 4 x ram pages (the scan must not push the hot set out);
//   zipf  2 x ram pages, page of rank r used with probability ~ 1/r^0.9, ranks scattered
//         over the region;
//   loop  a cyclic walk over 1.25 x ram pages (LRU, FIFO and CLOCK miss on every access).
// A page's first access is a write (a read of untouched anonymous memory maps the zero
// page and uses no memory); later accesses write one time in four.
std::vector<std::string> synthetic_pattern_names();
absl::StatusOr<AccessTrace> generate_access_trace(absl::string_view pattern, uint64_t ram_pages,
                                                  uint64_t accesses, uint64_t seed);

// A replay: a machine of ram_pages with a swap file of swap_pages, a separate process that
// holds locked_pages of mlocked anonymous memory, and one process per trace pid.
struct ReplayConfig {
  std::string policy = "linux";
  uint64_t ram_pages = 16384;   // 64 MiB
  uint64_t swap_pages = 65536;  // 256 MiB
  uint64_t locked_pages = 1024;
  bool check_invariants = false;  // after every access (slow); always checked at the end
};

struct ReplayResult {
  uint64_t accesses = 0;
  uint64_t minor_faults = 0;     // of the trace's processes
  uint64_t major_faults = 0;     // swap-ins: refaults of pages reclaim took
  uint64_t failed_accesses = 0;  // out of memory (nothing reclaimable)
  uint64_t pgscan = 0;           // pgscan_kswapd + pgscan_direct
  uint64_t pgsteal = 0;          // pgsteal_kswapd + pgsteal_direct
  uint64_t pswpout = 0;          // anonymous pages written to swap (pgsteal_anon)
  uint64_t locked_pages = 0;     // mlocked pages held throughout
  uint64_t locked_evicted = 0;   // of those, not resident and mlocked at the end: must be 0
  double host_seconds = 0;       // replay loop only
};

// Runs the trace; an error for an unknown policy, a trace that does not fit, a broken
// invariant, or a locked page that was reclaimed.
absl::StatusOr<ReplayResult> replay_access_trace(const AccessTrace& trace,
                                                 const ReplayConfig& config);

}  // namespace mmsim

#endif  // MMSIM_ACCESS_TRACE_H_
