// `mmsim explain`: what a step did inside the model — the kernel call path and decisions
// (include/mmsim/trace.h), the VMA layout before and after as a picture in the style of the
// kernel's tools/testing/vma merge tests, and the mlock counters that moved.
#ifndef MMSIM_SCENARIO_EXPLAIN_H_
#define MMSIM_SCENARIO_EXPLAIN_H_

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "mmsim/machine.h"
#include "mmsim/trace.h"

namespace mmsim::scenario {

// One VMA as it was at a moment; `id` is the Vma's identity (kept by a merge that expands
// it), compared but never dereferenced.
struct VmaSnap {
  uintptr_t id = 0;
  uint64_t start = 0, end = 0;
  uint64_t flags = 0;
  std::string name;
};

struct MmSnap {
  bool valid = false;  // the task existed
  std::vector<VmaSnap> vmas;
  uint64_t locked_vm = 0;
  int map_count = 0;
  VmStat vmstat;
};

MmSnap SnapshotMm(const Task* t, const Machine& m);

// The window of pages to draw: the step's range if it has one, else the union of what the
// task mapped, widened to whole VMAs (within reason) and padded by one VMA each side.
std::pair<uint64_t, uint64_t> ChooseWindow(
    const MmSnap& before, const MmSnap& after, bool has_range, uint64_t range_start,
    uint64_t range_end, const std::vector<std::pair<uint64_t, uint64_t>>& mapped);

// The picture: ruler, before row, the step's range as `*`, after row, and a legend.
std::string RenderLayout(const MmSnap& before, const MmSnap& after, uint64_t lo, uint64_t hi,
                         bool has_range, uint64_t range_start, uint64_t range_end);
// "locked_vm 0 -> 2 pages, map_count 1 -> 3" and the mlock vmstat deltas.
std::string RenderCounters(const MmSnap& before, const MmSnap& after);
// The kernel functions entered, in order, each name once per call depth ("sys_mlock →
// do_mlock → ... → split_vma → __split_vma"): a loop over VMAs or pages shows once.
std::string CompactCallPath(const Trace& trace);
// The trace's events, calls and notes indented by depth (at most max_lines lines).
std::string RenderTrace(const Trace& trace, size_t max_lines = 400);

}  // namespace mmsim::scenario

#endif  // MMSIM_SCENARIO_EXPLAIN_H_
