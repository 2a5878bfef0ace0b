// "arc": Megiddo and Modha's Adaptive Replacement Cache (FAST 2003). T1 holds pages seen once
// lately, T2 pages seen at least twice (both LRU); B1 and B2 remember the pages evicted from
// each (ghosts). A miss on a B1 ghost says T1 was too small: the target size p of T1 grows;
// a miss on a B2 ghost shrinks it; either way the page goes to T2. The victim is T1's LRU
// page while T1 is larger than p, else T2's. Ghosts are trimmed to |T1|+|B1| <= c and
// |T1|+|T2|+|B1|+|B2| <= 2c, c being the most folios the policy has held. Eviction runs at
// reclaim, not at the miss, so the paper's tie rule (a B2 hit with |T1| = p takes from T1)
// has no missing page to look at and is left out.
#include "list_policy.h"

namespace mmsim {
namespace {

class ArcPolicy : public ListPolicy {
  static constexpr int kT1 = 1, kT2 = 2;  // queues; ghosts B1 = 1, B2 = 2
  void on_insert(uint32_t f, const PolicyAccess& a) override {
    const int g = ghost_of(a.page);
    const uint64_t b1 = ghost_size(kT1), b2 = ghost_size(kT2);
    if (g == kT1) {
      p_ = std::min(capacity(), p_ + std::max<uint64_t>(1, b2 / std::max<uint64_t>(b1, 1)));
    } else if (g == kT2) {
      const uint64_t d = std::max<uint64_t>(1, b1 / std::max<uint64_t>(b2, 1));
      p_ = p_ > d ? p_ - d : 0;
    }
    if (g) forget_ghost(a.page);
    push_head(g ? kT2 : kT1, f);
  }
  void on_access(uint32_t f, const PolicyAccess&) override {
    unlink(f);
    push_head(kT2, f);
  }
  uint32_t choose_victim() override {
    const int q = (size(kT1) && (size(kT1) > p_ || !size(kT2))) ? kT1 : kT2;
    const uint32_t v = tail(q);
    if (!v) return 0;
    unlink(v);
    bits(v) = static_cast<uint8_t>(q);
    return v;
  }
  void on_evicted(uint32_t f) override {
    remember(bits(f), page_of(f));
    const uint64_t c = capacity();
    trim_ghost(kT1, c > size(kT1) ? c - size(kT1) : 0);
    const uint64_t rest = size(kT1) + size(kT2) + ghost_size(kT1);
    trim_ghost(kT2, 2 * c > rest ? 2 * c - rest : 0);
  }

  uint64_t p_ = 0;  // target size of T1
};

}  // namespace

MMSIM_REGISTER_RECLAIM_POLICY("arc", ArcPolicy);

}  // namespace mmsim
