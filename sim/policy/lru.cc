// "lru": exact least-recently-used over every access the trace makes (the replay's hooks:
// hits included, which the kernel would only see as young PTEs). One queue, newest at the
// head; a use moves the folio to the head, the victim is the tail. The reference the
// kernel's two-list approximation ("linux") and CLOCK are measured against.
#include "list_policy.h"

namespace mmsim {
namespace {

class LruPolicy : public ListPolicy {
  static constexpr int kQueue = 1;
  void on_insert(uint32_t f, const PolicyAccess&) override { push_head(kQueue, f); }
  void on_access(uint32_t f, const PolicyAccess&) override {
    unlink(f);
    push_head(kQueue, f);
  }
  uint32_t choose_victim() override {
    const uint32_t v = tail(kQueue);
    if (v) unlink(v);
    return v;
  }
};

}  // namespace

MMSIM_REGISTER_RECLAIM_POLICY("lru", LruPolicy);

}  // namespace mmsim
