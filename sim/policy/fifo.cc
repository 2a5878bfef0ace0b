// "fifo": evict in insertion order, references ignored. New folios enter an LRU list at its
// head (the lru_add batch) and this policy takes from the tail and never rotates: a folio
// leaves memory in the order it came in, however often it was used since. Of the two page
// types it takes from the one with more folios on its lists (anonymous ones only while there
// is swap); within a type the inactive list first, then the active one (which holds only the
// folios the kernel's fault and GUP paths activated, or that reclaim could not free).
#include "mmsim/policy_toolkit.h"
#include "mmsim/reclaim_policy.h"

namespace mmsim {
namespace {

constexpr uint64_t kBatch = 32;  // SWAP_CLUSTER_MAX

class FifoPolicy : public ReclaimPolicy {
 public:
  uint64_t reclaim(Machine& m, uint64_t nr_to_reclaim, bool kswapd) override {
    lru_add_drain(m);
    const bool can_swap = nr_swap_pages(m) > 0;
    auto folios_of = [&](LruList inactive) {
      return static_cast<uint64_t>(m.lru_lists[inactive].nr + m.lru_lists[inactive + 1].nr);
    };
    // Folios that cannot go (no swap slot, a VM_LOCKED mapping) come back: one pass over
    // everything, twice for dirty file folios rotated by writeback, then give up.
    const uint64_t budget =
        2 * (folios_of(LRU_INACTIVE_FILE) + (can_swap ? folios_of(LRU_INACTIVE_ANON) : 0)) + kBatch;
    uint64_t freed = 0, scanned = 0;
    while (freed < nr_to_reclaim && scanned < budget) {
      LruList type = LRU_INACTIVE_FILE;
      if (can_swap && folios_of(LRU_INACTIVE_ANON) > folios_of(LRU_INACTIVE_FILE))
        type = LRU_INACTIVE_ANON;
      if (!folios_of(type)) break;
      const LruList l = m.lru_lists[type].nr ? type : static_cast<LruList>(type + 1);
      std::vector<uint32_t> batch =
          sim_policy_isolate(m, std::min(kBatch, nr_to_reclaim - freed), l, kswapd);
      scanned += batch.size();
      freed += sim_policy_evict(m, batch, kswapd);
    }
    return freed;
  }
};

}  // namespace

MMSIM_REGISTER_RECLAIM_POLICY("fifo", FifoPolicy);

}  // namespace mmsim
