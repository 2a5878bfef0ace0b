// ListPolicy (sim/policy/list_policy.h): the queues, ghosts and reclaim loop that the
// policies keeping their own order share. Not a policy itself: nothing registers it.
#include "list_policy.h"

#include <algorithm>

#include "mmsim/policy_toolkit.h"

namespace mmsim {

namespace {

constexpr uint64_t kBatch = 32;  // SWAP_CLUSTER_MAX

// free_folio leaves a freed folio zeroed; a victim that stayed is on a list, in a batch or
// unevictable, and keeps its mapping.
bool sim_folio_was_freed(const Folio& f) {
  return f.flags == 0 && f.batch_refs == 0 && f.mapping == nullptr;
}

}  // namespace

void ListPolicy::grow(uint32_t f) {
  if (f < where_.size()) return;
  const size_t n = std::max<size_t>(f + 1, where_.size() * 2);
  prev_.resize(n);
  next_.resize(n);
  where_.resize(n);
  bits_.resize(n);
  page_.resize(n);
}

void ListPolicy::push_head(int q, uint32_t f) {
  Queue& Q = queues_[q];
  where_[f] = static_cast<uint8_t>(q);
  prev_[f] = 0;
  next_[f] = Q.head;
  if (Q.head) {
    prev_[Q.head] = f;
  } else {
    Q.tail = f;
  }
  Q.head = f;
  ++Q.size;
  ++tracked_;
}

void ListPolicy::unlink(uint32_t f) {
  Queue& Q = queues_[where_[f]];
  if (prev_[f]) {
    next_[prev_[f]] = next_[f];
  } else {
    Q.head = next_[f];
  }
  if (next_[f]) {
    prev_[next_[f]] = prev_[f];
  } else {
    Q.tail = prev_[f];
  }
  prev_[f] = next_[f] = 0;
  where_[f] = 0;
  --Q.size;
  --tracked_;
}

void ListPolicy::remember(int ghost, uint64_t page) {
  const uint64_t stamp = ++ghost_stamp_;
  auto [it, fresh] = ghosts_.try_emplace(page, Ghost{ghost, stamp});
  if (!fresh) {
    --ghost_size_[it->second.list];
    it->second = {ghost, stamp};
  }
  ++ghost_size_[ghost];
  std::vector<std::pair<uint64_t, uint64_t>>& fifo = ghost_fifo_[ghost];
  // Entries forgotten by a ghost hit stay in the FIFO until they reach its head: compact
  // when they outnumber the live ones.
  if (fifo.size() - ghost_head_[ghost] > 2 * ghost_size_[ghost] + 1024) {
    std::vector<std::pair<uint64_t, uint64_t>> live;
    live.reserve(ghost_size_[ghost] + 1024);
    for (size_t i = ghost_head_[ghost]; i < fifo.size(); ++i) {
      auto g = ghosts_.find(fifo[i].first);
      if (g != ghosts_.end() && g->second.list == ghost && g->second.stamp == fifo[i].second)
        live.push_back(fifo[i]);
    }
    fifo.swap(live);
    ghost_head_[ghost] = 0;
  }
  fifo.emplace_back(page, stamp);
}

int ListPolicy::ghost_of(uint64_t page) const {
  auto it = ghosts_.find(page);
  return it == ghosts_.end() ? 0 : it->second.list;
}

void ListPolicy::forget_ghost(uint64_t page) {
  auto it = ghosts_.find(page);
  if (it == ghosts_.end()) return;
  --ghost_size_[it->second.list];
  ghosts_.erase(it);
}

void ListPolicy::trim_ghost(int ghost, uint64_t max) {
  std::vector<std::pair<uint64_t, uint64_t>>& fifo = ghost_fifo_[ghost];
  while (ghost_size_[ghost] > max && ghost_head_[ghost] < fifo.size()) {
    const auto [page, stamp] = fifo[ghost_head_[ghost]++];
    auto it = ghosts_.find(page);
    if (it != ghosts_.end() && it->second.list == ghost && it->second.stamp == stamp) {
      ghosts_.erase(it);
      --ghost_size_[ghost];
    }
  }
  if (ghost_head_[ghost] > 4096 && ghost_head_[ghost] * 2 > fifo.size()) {
    fifo.erase(fifo.begin(), fifo.begin() + static_cast<ptrdiff_t>(ghost_head_[ghost]));
    ghost_head_[ghost] = 0;
  }
}

void ListPolicy::folio_inserted(Machine& m, uint32_t folio, const PolicyAccess& a) {
  grow(folio);
  if (where_[folio]) unlink(folio);  // an index the policy still held: a stale entry
  page_[folio] = a.page;
  bits_[folio] = 0;
  on_insert(folio, a);
}

void ListPolicy::folio_accessed(Machine& m, uint32_t folio, const PolicyAccess& a) {
  if (folio >= where_.size() || !where_[folio] || page_[folio] != a.page) {
    // Came in without the policy seeing it (before the replay, or a victim that stayed).
    folio_inserted(m, folio, a);
    return;
  }
  on_access(folio, a);
}

void ListPolicy::folio_evicted(Machine& m, uint32_t folio) { on_evicted(folio); }

uint32_t ListPolicy::TEST_evict_one(Machine& m) {
  capacity_ = std::max(capacity_, tracked_);
  const uint32_t v = choose_victim();
  if (v) folio_evicted(m, v);
  return v;
}

uint64_t ListPolicy::reclaim(Machine& m, uint64_t nr_to_reclaim, bool kswapd) {
  lru_add_drain(m);
  capacity_ = std::max(capacity_, tracked_);
  const bool can_swap = nr_swap_pages(m) > 0;
  // A victim that cannot go now stays in memory and off the policy's queues until the trace
  // touches it again: at most one pass over what the policy holds.
  uint64_t budget = tracked_ + kBatch;
  uint64_t freed = 0;
  while (freed < nr_to_reclaim) {
    const uint64_t want = std::min(kBatch, nr_to_reclaim - freed);
    victims_.clear();
    while (victims_.size() < want && budget > 0) {
      const uint32_t v = choose_victim();
      if (!v) break;
      --budget;
      const Folio& f = m.folio(v);
      // No anonymous eviction without swap; sim_policy_isolate_folio refuses a folio on no
      // evictable list (unevictable, in a per-CPU batch, isolated).
      if ((f.flags & PG_swapbacked) && !can_swap) continue;
      if (sim_policy_isolate_folio(m, v, kswapd)) victims_.push_back(v);
    }
    bool chosen = true;
    if (victims_.empty()) {
      // Nothing the policy knows can go: the oldest folios of the kernel's lists.
      chosen = false;
      for (LruList l : {LRU_INACTIVE_FILE, LRU_ACTIVE_FILE, LRU_INACTIVE_ANON, LRU_ACTIVE_ANON}) {
        if (l <= LRU_ACTIVE_ANON && !can_swap) continue;
        if (m.lru_lists[l].nr) {
          victims_ = sim_policy_isolate(m, want, l, kswapd);
          break;
        }
      }
      if (victims_.empty()) break;
      for (uint32_t v : victims_) {
        if (v < where_.size() && where_[v]) unlink(v);
      }
    }
    const uint64_t n = sim_policy_evict(m, victims_, kswapd);
    freed += n;
    if (chosen) {
      for (uint32_t v : victims_) {
        if (sim_folio_was_freed(m.folio(v))) folio_evicted(m, v);
      }
    } else if (n == 0) {
      break;
    }
  }
  return freed;
}

}  // namespace mmsim
