// "opt": Belady's MIN (1966), the offline optimum: evict the folio whose next use is farthest
// in the future, or never comes. It needs the future, so it runs only under a trace replay,
// which computes each request's next access in a first pass over the trace
// (ReclaimPolicy::wants_next_access). Held in a max-heap keyed by next access; an entry
// whose folio has since been used again or has left is skipped.
#include <algorithm>
#include <cstdint>
#include <limits>
#include <vector>

#include "list_policy.h"

namespace mmsim {
namespace {

class OptPolicy : public ListPolicy {
 public:
  bool wants_next_access() const override { return true; }

 private:
  static constexpr int kQueue = 1;
  struct Entry {
    int64_t next;
    uint32_t folio, stamp;
    bool operator<(const Entry& o) const { return next < o.next; }
  };
  void on_insert(uint32_t f, const PolicyAccess& a) override {
    push_head(kQueue, f);
    note(f, a);
  }
  void on_access(uint32_t f, const PolicyAccess& a) override { note(f, a); }
  uint32_t choose_victim() override {
    while (!heap_.empty()) {
      std::pop_heap(heap_.begin(), heap_.end());
      const Entry e = heap_.back();
      heap_.pop_back();
      if (queue_of(e.folio) == kQueue && stamp_[e.folio] == e.stamp) {
        unlink(e.folio);
        return e.folio;
      }
    }
    return 0;
  }
  void note(uint32_t f, const PolicyAccess& a) {
    if (f >= stamp_.size()) {
      stamp_.resize(std::max<size_t>(f + 1, stamp_.size() * 2));
      next_.resize(stamp_.size());
    }
    next_[f] = a.next_access < 0 ? std::numeric_limits<int64_t>::max() : a.next_access;
    heap_.push_back({next_[f], f, ++stamp_[f]});
    std::push_heap(heap_.begin(), heap_.end());
    if (heap_.size() > 2 * tracked() + 1024) {  // drop the stale entries
      heap_.clear();
      for (uint32_t g = tail(kQueue); g; g = prev_of(g)) heap_.push_back({next_[g], g, stamp_[g]});
      std::make_heap(heap_.begin(), heap_.end());
    }
  }

  std::vector<Entry> heap_;
  std::vector<uint32_t> stamp_;
  std::vector<int64_t> next_;
};

}  // namespace

MMSIM_REGISTER_RECLAIM_POLICY("opt", OptPolicy);

}  // namespace mmsim
