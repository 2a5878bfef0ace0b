// "sieve": SIEVE (Zhang et al., NSDI 2024). One FIFO queue, new folios at the head, and a
// visited bit set by every hit. The hand starts at the tail and walks toward the head,
// clearing visited bits, and evicts the first folio without one; it stays where it stopped
// (unlike CLOCK, survivors are not moved to the head), and wraps to the tail at the head.
#include "list_policy.h"

namespace mmsim {
namespace {

class SievePolicy : public ListPolicy {
  static constexpr int kQueue = 1;
  static constexpr uint8_t kVisited = 1;
  void on_insert(uint32_t f, const PolicyAccess&) override { push_head(kQueue, f); }
  void on_access(uint32_t f, const PolicyAccess&) override { bits(f) |= kVisited; }
  uint32_t choose_victim() override {
    if (!size(kQueue)) return 0;
    uint32_t v = hand_ && queue_of(hand_) == kQueue ? hand_ : tail(kQueue);
    while (bits(v) & kVisited) {
      bits(v) &= ~kVisited;
      v = prev_of(v) ? prev_of(v) : tail(kQueue);
    }
    hand_ = prev_of(v);  // 0: the next search starts at the tail
    unlink(v);
    return v;
  }

  uint32_t hand_ = 0;
};

}  // namespace

MMSIM_REGISTER_RECLAIM_POLICY("sieve", SievePolicy);

}  // namespace mmsim
