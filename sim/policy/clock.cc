// "clock": second chance (CLOCK) over one ring per page type. The inactive list is the
// ring and its tail the hand: a folio whose PTEs were young since the hand last passed (or
// that carries PG_referenced) has the bits cleared and goes round again (to the head);
// one that was not used is evicted. There is no active list: folios the kernel's fault and
// GUP paths activated join the ring at the head when reclaim starts. Of the two rings it
// turns the larger (the anonymous one only while there is swap).
#include "mmsim/policy_toolkit.h"
#include "mmsim/reclaim_policy.h"

namespace mmsim {
namespace {

constexpr uint64_t kBatch = 32;  // SWAP_CLUSTER_MAX

class ClockPolicy : public ReclaimPolicy {
 public:
  uint64_t reclaim(Machine& m, uint64_t nr_to_reclaim, bool kswapd) override {
    lru_add_drain(m);
    const bool can_swap = nr_swap_pages(m) > 0;
    join_ring(m, LRU_ACTIVE_FILE);
    if (can_swap) join_ring(m, LRU_ACTIVE_ANON);
    auto ring_size = [&](LruList l) { return static_cast<uint64_t>(m.lru_lists[l].nr); };
    // Two turns of the hand clear every young bit: after that, nothing will come free.
    const uint64_t budget =
        2 * (ring_size(LRU_INACTIVE_FILE) + (can_swap ? ring_size(LRU_INACTIVE_ANON) : 0)) + kBatch;
    uint64_t freed = 0, scanned = 0;
    while (freed < nr_to_reclaim && scanned < budget) {
      LruList ring = LRU_INACTIVE_FILE;
      if (can_swap && ring_size(LRU_INACTIVE_ANON) > ring_size(LRU_INACTIVE_FILE))
        ring = LRU_INACTIVE_ANON;
      if (!ring_size(ring)) break;
      std::vector<uint32_t> batch =
          sim_policy_isolate(m, std::min(kBatch, nr_to_reclaim - freed), ring, kswapd);
      scanned += batch.size();
      std::vector<uint32_t> second_chance, victims;
      for (uint32_t idx : batch) {
        // folio_referenced clears the young bits it counts; a VM_LOCKED mapping ends its
        // walk with the folio mlocked, and move_folios_to_lru then parks it as unevictable.
        vm_flags_t vm_flags;
        const bool young = folio_referenced(m, idx, &vm_flags) > 0;
        Folio& f = m.folio(idx);
        const bool referenced = young || (f.flags & PG_referenced);
        f.flags &= ~PG_referenced;
        if (referenced || (vm_flags & VM_LOCKED)) {
          second_chance.push_back(idx);
        } else {
          victims.push_back(idx);
        }
      }
      move_folios_to_lru(m, second_chance);
      freed += sim_policy_evict(m, victims, kswapd);
    }
    return freed;
  }

 private:
  // The active list's folios join the ring at its head, oldest first (as deactivated).
  static void join_ring(Machine& m, LruList active) {
    if (!m.lru_lists[active].nr) return;
    std::vector<uint32_t> list =
        isolate_lru_folios(m, static_cast<uint64_t>(m.lru_lists[active].nr), active);
    for (uint32_t idx : list) m.folio(idx).flags &= ~PG_active;
    m.vmstat[pgdeactivate] += static_cast<int64_t>(move_folios_to_lru(m, list));
  }
};

}  // namespace

MMSIM_REGISTER_RECLAIM_POLICY("clock", ClockPolicy);

}  // namespace mmsim
