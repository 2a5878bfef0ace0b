// "2q": Johnson and Shasha's 2Q (VLDB 1994), the full version. New pages enter A1in, a FIFO
// of a quarter of the cache; the pages it evicts are remembered in A1out (a ghost FIFO of half
// the cache's size). A page that comes back while remembered was used twice at a distance:
// it goes to Am, an LRU queue, and only Am's pages move on a hit. Victims come from A1in
// while it holds more than its quarter, else from Am's tail. The cache size is the most
// folios the policy has held.
#include "list_policy.h"

namespace mmsim {
namespace {

class TwoQPolicy : public ListPolicy {
  static constexpr int kA1in = 1, kAm = 2;  // queues; A1out is ghost list kA1in
  void on_insert(uint32_t f, const PolicyAccess& a) override {
    if (ghost_of(a.page) == kA1in) {
      forget_ghost(a.page);
      push_head(kAm, f);
    } else {
      push_head(kA1in, f);
    }
  }
  void on_access(uint32_t f, const PolicyAccess&) override {
    if (queue_of(f) != kAm) return;  // A1in is a FIFO: correlated references don't count
    unlink(f);
    push_head(kAm, f);
  }
  uint32_t choose_victim() override {
    const uint64_t kin = std::max<uint64_t>(1, capacity() / 4);
    const int q = (size(kA1in) > kin || !size(kAm)) ? kA1in : kAm;
    const uint32_t v = tail(q);
    if (!v) return 0;
    unlink(v);
    bits(v) = static_cast<uint8_t>(q);
    return v;
  }
  void on_evicted(uint32_t f) override {
    if (bits(f) != kA1in) return;
    remember(kA1in, page_of(f));
    trim_ghost(kA1in, std::max<uint64_t>(1, capacity() / 2));
  }
};

}  // namespace

MMSIM_REGISTER_RECLAIM_POLICY("2q", TwoQPolicy);

}  // namespace mmsim
