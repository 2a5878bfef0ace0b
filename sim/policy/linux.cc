// "linux": the kernel's reclaim, unchanged. Direct reclaim is do_try_to_free_pages
// (sim/vmscan.cc), lowering the priority from DEF_PRIORITY until enough is freed; a kswapd
// wake-up is wakeup_kswapd → balance_pgdat, which reclaims until free memory is above the
// high watermark. Both shrink the node through shrink_lruvec: get_scan_count splits the scan
// between anon and file by swappiness and the recent reclaim cost of each, shrink_active_list
// ages the active lists, and shrink_inactive_list gives referenced folios a second trip
// (folio_check_references).
#include "mmsim/policy_toolkit.h"
#include "mmsim/reclaim_policy.h"

namespace mmsim {
namespace {

class LinuxPolicy : public ReclaimPolicy {
 public:
  uint64_t reclaim(Machine& m, uint64_t nr_to_reclaim, bool kswapd) override {
    return do_try_to_free_pages(m, nr_to_reclaim, kswapd);
  }
};

}  // namespace

MMSIM_REGISTER_RECLAIM_POLICY("linux", LinuxPolicy);

}  // namespace mmsim
