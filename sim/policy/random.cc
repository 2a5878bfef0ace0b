// "random": evict folios chosen uniformly at random among those on the evictable lists
// (anonymous ones only while there is swap), references ignored. The classic baseline that
// does not fall apart on a loop slightly larger than memory, where FIFO, CLOCK and LRU miss
// on every access. Deterministic: each machine's policy starts from the same seed.
#include <random>

#include "mmsim/policy_toolkit.h"
#include "mmsim/reclaim_policy.h"

namespace mmsim {
namespace {

constexpr uint64_t kBatch = 32;  // SWAP_CLUSTER_MAX

class RandomPolicy : public ReclaimPolicy {
 public:
  uint64_t reclaim(Machine& m, uint64_t nr_to_reclaim, bool kswapd) override {
    lru_add_drain(m);
    std::vector<uint32_t> candidates;
    auto collect = [&](LruList l) {
      for (uint32_t idx = m.lru_lists[l].head; idx; idx = m.folio(idx).lru_next)
        candidates.push_back(idx);
    };
    collect(LRU_INACTIVE_FILE);
    collect(LRU_ACTIVE_FILE);
    if (nr_swap_pages(m) > 0) {
      collect(LRU_INACTIVE_ANON);
      collect(LRU_ACTIVE_ANON);
    }
    uint64_t freed = 0;
    size_t next = 0;  // candidates[0, next) have been drawn (a partial Fisher-Yates shuffle)
    while (freed < nr_to_reclaim && next < candidates.size()) {
      std::vector<uint32_t> victims;
      while (victims.size() < std::min(kBatch, nr_to_reclaim - freed) && next < candidates.size()) {
        std::swap(candidates[next], candidates[next + rng_() % (candidates.size() - next)]);
        // Only a folio still on an evictable list is taken.
        if (sim_policy_isolate_folio(m, candidates[next], kswapd))
          victims.push_back(candidates[next]);
        ++next;
      }
      freed += sim_policy_evict(m, victims, kswapd);
    }
    return freed;
  }

 private:
  std::mt19937_64 rng_{0x6d6d73696d};
};

}  // namespace

MMSIM_REGISTER_RECLAIM_POLICY("random", RandomPolicy);

}  // namespace mmsim
