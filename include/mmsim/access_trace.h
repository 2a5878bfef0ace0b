// Page-access traces for reclaim-policy studies: readers that stream trace files of several
// formats with bounded memory, synthetic workloads for when there is no trace, and a replay
// that runs a trace through one reclaim policy on a small machine with swap and reports the
// kernel's counters and the cache's miss ratio (bench/policy_bench.cc, docs/policies.md).
//
// mmsim's own text format has one access per line: `R ADDR [PID]` or `W ADDR [PID]`, ADDR in
// hex with 0x, PID a decimal process id (1 when absent); `#` starts a comment, blank lines
// are ignored. Every process's touched pages are mapped as private anonymous memory.
#ifndef MMSIM_ACCESS_TRACE_H_
#define MMSIM_ACCESS_TRACE_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <utility>
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

// ---- trace files, streamed ----

// The formats a TraceReader reads (docs/policies.md, "Trace formats"). Any of them may be
// compressed with zstd; kAuto tells them apart by content where that is unambiguous.
enum class TraceFormat {
  kAuto,
  kMmsim,          // `R|W 0xADDR [PID]` lines
  kOracleGeneral,  // libCacheSim: 24-byte records {u32 time, u64 id, u32 size, i64 next}
  kTxt,            // libCacheSim: one object id per line
  kCsv,            // libCacheSim: delimited columns named by TraceOptions
  kLackey,         // valgrind --tool=lackey --trace-mem=yes output
};
// "auto", "mmsim", "oracleGeneral", "txt", "csv", "lackey".
absl::string_view trace_format_name(TraceFormat f);
absl::StatusOr<TraceFormat> parse_trace_format(absl::string_view name);

// How to read a trace. The csv fields keep libCacheSim's names (its -t option:
// "obj-id-col=2,obj-size-col=3,has-header=true,delimiter=;"); columns count from 1, 0 is
// none.
struct TraceOptions {
  TraceFormat format = TraceFormat::kAuto;
  int time_col = 0;
  int obj_id_col = 0;
  int obj_size_col = 0;
  int op_type_col = 0;  // "write", "set", "w", "W" (any case) make a write; else a read
  bool has_header = false;
  char delimiter = ',';
  bool obj_id_is_num = true;  // false: object ids are strings, hashed to numbers
};
// Sets the fields named in libCacheSim's -t syntax; InvalidArgument naming the bad one.
absl::Status parse_trace_type_params(absl::string_view params, TraceOptions* options);

// One request of a trace: an address (mmsim, lackey) or an object id (libCacheSim formats)
// with a size in bytes.
struct TraceRecord {
  static constexpr int64_t kNextUnknown = -2;
  uint64_t key = 0;                    // byte address when is_address, else the object id
  uint64_t size = 0;                   // bytes; 0 for one page
  int64_t next_access = kNextUnknown;  // index of the key's next request, -1 for none
  uint32_t pid = 1;
  bool write = false;
  bool is_address = false;
};

// Yields a trace's records one at a time from a fixed-size buffer: memory does not grow with
// the trace. Errors name the file, the record (or line) and what was wrong.
class TraceReader {
 public:
  virtual ~TraceReader() = default;
  // The next record: true; false at the end of the trace or on an error (status()).
  virtual bool next(TraceRecord* record) = 0;
  const absl::Status& status() const { return status_; }
  TraceFormat format() const { return format_; }
  const std::string& name() const { return name_; }

 protected:
  TraceReader(std::string name, TraceFormat format) : name_(std::move(name)), format_(format) {}
  bool fail(absl::Status s) {
    status_ = std::move(s);
    return false;
  }

 private:
  absl::Status status_;
  std::string name_;
  TraceFormat format_;
};

// Opens a trace file (zstd-compressed or not) in the given or detected format.
absl::StatusOr<std::unique_ptr<TraceReader>> open_trace(const std::string& path,
                                                        const TraceOptions& options);
// A reader over an in-memory trace (synthetic workloads, tests).
std::unique_ptr<TraceReader> access_trace_reader(const AccessTrace& trace);
// Opens the trace anew: a replay that needs two passes (OPT's next-access times) calls it
// twice.
using TraceOpener = std::function<absl::StatusOr<std::unique_ptr<TraceReader>>()>;

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
// holds locked_pages of mlocked anonymous memory, and one process per trace pid. Object ids
// become pages of process 1 (id_map); an object of more than a page spans several.
struct ReplayConfig {
  enum class IdMap { kDense, kHash };
  std::string policy = "linux";
  uint64_t ram_pages = 16384;   // 64 MiB
  uint64_t swap_pages = 65536;  // 256 MiB
  uint64_t locked_pages = 1024;
  bool check_invariants = false;  // after every access (slow); always checked at the end
  // A cache study: swap_pages is where swap starts, and another swap file (as large as all
  // before it) is added whenever free swap could not take one more reclaim pass.
  bool grow_swap = false;
  // A read of a never-written page allocates one (MachineConfig::zero_page off) instead of
  // mapping the zero page: every first touch is a miss.
  bool reads_allocate = false;
  // dense: ids in order of first appearance, packed; hash: a hash of the id picks the page
  // in a 2^28-page region (no table; distinct ids may share pages).
  IdMap id_map = IdMap::kDense;
  bool ignore_obj_size = false;  // every object is one page (libCacheSim's --ignore-obj-size)
  uint64_t warmup = 0;           // requests replayed before counting misses
  uint64_t limit = 0;            // requests replayed at most (0: all)
  uint64_t interval = 0;         // a miss ratio every so many counted requests (0: none)
};

struct ReplayResult {
  uint64_t accesses = 0;         // requests replayed (warm-up included)
  uint64_t minor_faults = 0;     // of the trace's processes
  uint64_t major_faults = 0;     // swap-ins: refaults of pages reclaim took
  uint64_t failed_accesses = 0;  // out of memory (nothing reclaimable)
  uint64_t pgscan = 0;           // pgscan_kswapd + pgscan_direct
  uint64_t pgsteal = 0;          // pgsteal_kswapd + pgsteal_direct
  uint64_t pswpout = 0;          // anonymous pages written to swap (pgsteal_anon)
  uint64_t locked_pages = 0;     // mlocked pages held throughout
  uint64_t locked_evicted = 0;   // of those, not resident and mlocked at the end: must be 0
  double host_seconds = 0;       // replay loop only
  // After the warm-up: requests counted, and those of which a page faulted (a miss: the page
  // was not mapped and had to be allocated or swapped in); their pages likewise.
  uint64_t requests = 0;
  uint64_t misses = 0;
  uint64_t page_accesses = 0;
  uint64_t page_misses = 0;
  uint64_t refaults = 0;                     // workingset_refault_anon + _file (mm/workingset.c)
  uint64_t resident_pages = 0;               // of the trace's processes at the end (RSS)
  uint64_t swap_pages = 0;                   // swap at the end (grown when grow_swap)
  std::vector<double> interval_miss_ratios;  // one per `interval` counted requests
  double miss_ratio() const { return requests ? static_cast<double>(misses) / requests : 0; }
};

// Runs the trace; an error for an unknown policy, a trace record that cannot be replayed
// (naming the trace and record), a set-up the trace does not fit (naming the set-up), a
// broken invariant, or a locked page that was reclaimed.
absl::StatusOr<ReplayResult> replay_trace(const TraceOpener& open, const ReplayConfig& config);
absl::StatusOr<ReplayResult> replay_access_trace(const AccessTrace& trace,
                                                 const ReplayConfig& config);

// The distinct pages the replay of the trace would touch (its working set, to which
// policy_bench's "--cache-sizes 5%" refers): one pass, a hash set of the pages.
absl::StatusOr<uint64_t> trace_distinct_pages(const TraceOpener& open, const ReplayConfig& config);

// The machine a cache study of `cache_pages` evictable pages needs: the smallest RAM whose
// high watermark (mm/page_alloc.c __setup_per_zone_wmarks, as Machine computes it) leaves
// cache_pages after reclaim has brought free memory up to it.
struct CacheMachine {
  uint64_t ram_pages = 0;
  uint64_t wmark_min = 0, wmark_low = 0, wmark_high = 0;
};
CacheMachine cache_machine_for(uint64_t cache_pages);

}  // namespace mmsim

#endif  // MMSIM_ACCESS_TRACE_H_
