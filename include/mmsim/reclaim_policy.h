// Reclaim policies: which folios reclaim takes when free memory runs low. A Machine calls its
// policy wherever the kernel enters reclaim (direct reclaim in the allocator, the kswapd pass);
// "linux" is the kernel's own shrink_lruvec (sim/vmscan.cc), the others are alternatives for
// benchmarking. Each policy is one file under sim/policy/ with one
// MMSIM_REGISTER_RECLAIM_POLICY line; docs/policies.md shows how to write one.
#ifndef MMSIM_RECLAIM_POLICY_H_
#define MMSIM_RECLAIM_POLICY_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace mmsim {

class Machine;

// One access of a trace replay, as the optional hooks below see it.
struct PolicyAccess {
  uint64_t page = 0;   // the page's identity across evictions: (pid << 36) | virtual page number
  uint64_t vtime = 0;  // the request's index in the trace, from 0
  // Index of the page's next request, -1 for none; filled only for a policy that
  // wants_next_access().
  int64_t next_access = -1;
};

// One reclaim policy instance belongs to one Machine (it may keep per-machine state such as a
// clock hand). A policy chooses folios; the eviction itself goes through the kernel's
// shrink_folio_list (include/mmsim/policy_toolkit.h), which keeps the kernel's
// rules whatever the policy chose: mlocked and unevictable folios are never freed, a folio
// mapped by a VM_LOCKED VMA is mlocked by try_to_unmap instead of unmapped, a folio that a
// per-CPU batch holds stays, an anonymous folio needs a swap slot. After reclaim returns,
// Machine::check_invariants must hold.
class ReclaimPolicy {
 public:
  virtual ~ReclaimPolicy() = default;
  // Frees about nr_to_reclaim pages of m and returns how many it freed (0 when nothing can
  // be freed: the allocation then fails as the OOM path would). `kswapd` tells a background
  // pass (balance_pgdat) from direct reclaim in the allocating task, for the counters.
  virtual uint64_t reclaim(Machine& m, uint64_t nr_to_reclaim, bool kswapd) = 0;

  // ---- optional hooks: defaults do nothing, so a policy that needs none ignores them ----
  // A trace replay (replay_trace) calls them for every access when wants_accesses() says so:
  // folio_inserted when the access faulted the page in (a miss: a new folio, a swap-in, a
  // copy-on-write), folio_accessed when it found the page mapped (a hit, which the kernel
  // sees only as a young PTE at the next folio_referenced). A policy's own folio_referenced
  // calls are its young-bit harvest. The folio index names the folio only while it is in
  // memory: folio_evicted says when reclaim freed one the policy chose (sim/policy/
  // list_policy.cc calls it), and any other index may since have been freed and reused, so a
  // policy treats what it remembers about folios as a hint and lets the toolkit check.
  virtual bool wants_accesses() const { return false; }
  // The replay computes PolicyAccess::next_access (Belady's OPT) in a first pass.
  virtual bool wants_next_access() const { return false; }
  virtual void folio_inserted(Machine& m, uint32_t folio, const PolicyAccess& access) {}
  virtual void folio_accessed(Machine& m, uint32_t folio, const PolicyAccess& access) {}
  virtual void folio_evicted(Machine& m, uint32_t folio) {}

  // For tests of the algorithm alone, without a machine's watermarks and batches: the folio
  // the policy would evict next, forgotten as if reclaim had freed it (folio_evicted); 0 when
  // it has none or keeps no order of its own.
  virtual uint32_t TEST_evict_one(Machine& m) { return 0; }
};

using ReclaimPolicyFactory = std::unique_ptr<ReclaimPolicy> (*)();

// The registered policy names, sorted.
std::vector<std::string> reclaim_policy_names();
// A new instance of the policy registered as `name`, or InvalidArgument naming the
// registered ones.
absl::StatusOr<std::unique_ptr<ReclaimPolicy>> create_reclaim_policy(absl::string_view name);
// Adds a policy to the registry (use MMSIM_REGISTER_RECLAIM_POLICY). Returns true; a second
// registration of a name is a programming error and aborts with a message.
bool register_reclaim_policy(const char* name, ReclaimPolicyFactory factory);

// In the policy's .cc file, at namespace scope: MMSIM_REGISTER_RECLAIM_POLICY("fifo", Fifo);
// Policy objects are linked into every program that links mmsim_core (CMakeLists.txt), so a
// registration in a file nothing else references is never dropped by the linker.
#define MMSIM_REGISTER_RECLAIM_POLICY(name, Class)                                             \
  [[maybe_unused]] static const bool mmsim_reclaim_policy_registered_##Class =                 \
      ::mmsim::register_reclaim_policy(name, []() -> std::unique_ptr<::mmsim::ReclaimPolicy> { \
        return std::make_unique<Class>();                                                      \
      })

}  // namespace mmsim

#endif  // MMSIM_RECLAIM_POLICY_H_
