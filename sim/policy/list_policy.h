// The frame of the policies that keep their own order of folios, as a cache simulator does
// (lru, 2q, arc, sieve, s3fifo, opt: one file each beside this one). They learn about folios
// from the trace replay's hooks (include/mmsim/reclaim_policy.h: a miss inserts, a hit
// accesses), keep them on their own queues, and name victims; ListPolicy::reclaim takes each
// victim through the kernel's toolkit (sim_policy_isolate_folio, sim_policy_evict), so the
// kernel's rules hold whatever the policy chose: a victim that is mlocked, unevictable, held
// by a per-CPU batch or anonymous without swap stays. Folios the policy never heard of (no
// replay, or pages that came in other ways) are taken from the kernel's list tails, oldest
// first, once the policy has no victim left.
#ifndef MMSIM_SIM_POLICY_LIST_POLICY_H_
#define MMSIM_SIM_POLICY_LIST_POLICY_H_

#include <algorithm>
#include <cstdint>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "mmsim/reclaim_policy.h"

namespace mmsim {

class ListPolicy : public ReclaimPolicy {
 public:
  uint64_t reclaim(Machine& m, uint64_t nr_to_reclaim, bool kswapd) final;
  bool wants_accesses() const final { return true; }
  void folio_inserted(Machine& m, uint32_t folio, const PolicyAccess& a) final;
  void folio_accessed(Machine& m, uint32_t folio, const PolicyAccess& a) final;
  void folio_evicted(Machine& m, uint32_t folio) final;
  uint32_t TEST_evict_one(Machine& m) final;

 protected:
  // A queue of folios threaded through per-folio links: head is the newest, tail the oldest.
  struct Queue {
    uint32_t head = 0, tail = 0;
    uint64_t size = 0;
  };
  static constexpr int kMaxQueues = 4;

  // The policy's algorithm. on_insert puts a folio the policy does not hold on a queue; it
  // is told whether the page is remembered from an eviction (a ghost hit, for 2Q, ARC and
  // S3-FIFO, which call remember() on eviction). on_access sees a folio on one of its
  // queues. choose_victim takes the next victim off its queue (0: none left).
  virtual void on_insert(uint32_t folio, const PolicyAccess& a) = 0;
  virtual void on_access(uint32_t folio, const PolicyAccess& a) = 0;
  virtual uint32_t choose_victim() = 0;
  // Reclaim freed the victim (its page is page_of(folio) still).
  virtual void on_evicted(uint32_t folio) {}

  // Queue primitives; queue ids are 1..kMaxQueues-1 (0: on none).
  void push_head(int q, uint32_t f);
  void unlink(uint32_t f);
  uint32_t tail(int q) const { return queues_[q].tail; }
  uint32_t prev_of(uint32_t f) const { return prev_[f]; }  // toward the head
  uint64_t size(int q) const { return queues_[q].size; }
  int queue_of(uint32_t f) const { return f < where_.size() ? where_[f] : 0; }
  uint64_t page_of(uint32_t f) const { return page_[f]; }
  uint8_t& bits(uint32_t f) { return bits_[f]; }  // a policy's per-folio state
  // Folios on the policy's queues; capacity() is the most there have been, the cache size
  // the algorithms' fractions refer to.
  uint64_t tracked() const { return tracked_; }
  uint64_t capacity() const { return capacity_; }

  // Ghost entries: pages evicted lately, by list (1..kMaxQueues-1), oldest dropped first.
  void remember(int ghost, uint64_t page);
  int ghost_of(uint64_t page) const;  // 0: none
  void forget_ghost(uint64_t page);
  uint64_t ghost_size(int ghost) const { return ghost_size_[ghost]; }
  void trim_ghost(int ghost, uint64_t max);

 private:
  void grow(uint32_t f);
  // Takes victims to free nr pages; returns the number freed.
  uint64_t evict_victims(Machine& m, uint64_t nr, bool kswapd);

  std::vector<uint32_t> prev_, next_;
  std::vector<uint8_t> where_, bits_;
  std::vector<uint64_t> page_;
  Queue queues_[kMaxQueues];
  uint64_t tracked_ = 0, capacity_ = 0;
  // Ghosts: page -> (list, stamp); a FIFO of (page, stamp) per list, stale entries skipped.
  struct Ghost {
    int list;
    uint64_t stamp;
  };
  absl::flat_hash_map<uint64_t, Ghost> ghosts_;
  std::vector<std::pair<uint64_t, uint64_t>> ghost_fifo_[kMaxQueues];
  size_t ghost_head_[kMaxQueues] = {};
  uint64_t ghost_size_[kMaxQueues] = {};
  uint64_t ghost_stamp_ = 0;
  std::vector<uint32_t> victims_;  // reused: reclaim allocates nothing per pass
};

}  // namespace mmsim

#endif  // MMSIM_SIM_POLICY_LIST_POLICY_H_
