// Model of mm/page_alloc.c for one zone: the watermarks, and the allocator's slow path
// reduced to what reclaim needs (direct reclaim at the min watermark, a kswapd pass below
// low). Pages are entries of the Machine's folio table; free ones are on its free list.
#include <algorithm>
#include <cmath>

#include "mmsim/machine.h"
#include "sim/internal.h"

namespace mmsim {

// mm/page_alloc.c init_per_zone_wmark_min → __setup_per_zone_wmarks: min_free_kbytes =
// sqrt(lowmem_kbytes * 16), within [128, 262144]; low and high add max(min / 4, managed *
// watermark_scale_factor (10) / 10000) each.
void init_per_zone_wmark_min(Machine& m) {
  const uint64_t ram_pages = m.config().ram_pages;
  const uint64_t kbytes = ram_pages * 4;
  uint64_t min_free_kbytes = static_cast<uint64_t>(std::sqrt(static_cast<double>(kbytes) * 16));
  min_free_kbytes = std::clamp<uint64_t>(min_free_kbytes, 128, 262144);
  m.wmark_min = min_free_kbytes / 4;
  const uint64_t step = std::max(m.wmark_min / 4, ram_pages * 10 / 10000);
  m.wmark_low = m.wmark_min + step;
  m.wmark_high = m.wmark_low + step;
}

// mm/page_alloc.c __alloc_pages → __alloc_pages_slowpath, reduced: direct reclaim at the min
// watermark, OOM at zero, and wakeup_kswapd below low.
uint32_t Machine::alloc_folio() {
  if (static_cast<uint64_t>(vmstat[nr_free_pages]) <= wmark_min) {
    try_to_free_pages(*this, 32, false);
  }
  if (vmstat[nr_free_pages] <= 0) {
    TRACE_NOTE(trace, "out of memory: no free page and nothing reclaimable");
    return 0;
  }
  uint32_t idx;
  if (!free_folios_.empty()) {
    idx = free_folios_.back();
    free_folios_.pop_back();
    folios_[idx] = Folio{};
  } else {
    idx = static_cast<uint32_t>(folios_.size());
    folios_.emplace_back();
  }
  vmstat[nr_free_pages]--;
  // wakeup_kswapd: below low, a kswapd pass (synchronous here) brings free memory to high.
  if (static_cast<uint64_t>(vmstat[nr_free_pages]) < wmark_low) {
    // The new folio is on no list yet, so the pass cannot take it.
    try_to_free_pages(*this, wmark_high - static_cast<uint64_t>(vmstat[nr_free_pages]), true);
  }
  return idx;
}

// mm/page_alloc.c free_unref_folios for one folio: back to the free list.
void Machine::free_folio(uint32_t idx) {
  folios_[idx] = Folio{};
  free_folios_.push_back(idx);
  vmstat[nr_free_pages]++;
}

}  // namespace mmsim
