// "s3fifo": S3-FIFO (Yang et al., SOSP 2023). A small FIFO S of a tenth of the cache takes
// new folios, a main FIFO M the rest, and a ghost FIFO G remembers as many pages as M holds.
// A hit counts up to 3. S's tail moves to M if it was used since it came in (else it is
// evicted and remembered in G); M's tail goes round again with its count less one while the
// count is not 0 (a two-bit CLOCK). A page remembered in G comes back straight into M. As in
// libCacheSim's default, one use in S is enough to move to M, and the count starts again
// there.
#include "list_policy.h"

namespace mmsim {
namespace {

class S3FifoPolicy : public ListPolicy {
  static constexpr int kSmall = 1, kMain = 2, kGhost = 1;
  static constexpr uint8_t kFreq = 3, kFromSmall = 0x80;
  void on_insert(uint32_t f, const PolicyAccess& a) override {
    if (ghost_of(a.page) == kGhost) {
      forget_ghost(a.page);
      push_head(kMain, f);
    } else {
      push_head(kSmall, f);
    }
  }
  void on_access(uint32_t f, const PolicyAccess&) override {
    if ((bits(f) & kFreq) < 3) ++bits(f);
  }
  uint32_t choose_victim() override {
    const uint64_t small_max = std::max<uint64_t>(1, capacity() / 10);
    while (size(kSmall) || size(kMain)) {
      if (size(kSmall) && (size(kSmall) >= small_max || !size(kMain))) {
        const uint32_t t = tail(kSmall);
        unlink(t);
        if (bits(t) & kFreq) {
          bits(t) = 0;
          push_head(kMain, t);
          continue;
        }
        bits(t) = kFromSmall;
        return t;
      }
      const uint32_t t = tail(kMain);
      unlink(t);
      if (bits(t) & kFreq) {
        --bits(t);
        push_head(kMain, t);
        continue;
      }
      return t;
    }
    return 0;
  }
  void on_evicted(uint32_t f) override {
    if (!(bits(f) & kFromSmall)) return;
    remember(kGhost, page_of(f));
    const uint64_t c = capacity();
    trim_ghost(kGhost, c - std::min(c, std::max<uint64_t>(1, c / 10)));
  }
};

}  // namespace

MMSIM_REGISTER_RECLAIM_POLICY("s3fifo", S3FifoPolicy);

}  // namespace mmsim
