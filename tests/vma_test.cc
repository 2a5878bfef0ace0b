// Tests of sim/vma.cc (mm/vma.c): vma_merge_existing_range's cases, splits, the anon_vma
// rules that decide re-merging, vma_merge_new_range, and max_map_count during splits.
// Changes are driven through mlock/munlock/madvise as a program would. Pictures: one column
// per page; letters name VMAs (L locked, A/U unlocked, D MADV_DONTFORK), * the changed range.
// Expected values: docs/host-facts.md items 30-41 and "37 extra"; cases 7 and 8 and the
// all-three new-range merge were probed on the host while writing these tests (same layouts).
#include "tests/mm_test_util.h"

namespace mmsim {
namespace {

using testing_util::kArea;
using testing_util::Layout;
using testing_util::MmTest;
using testing_util::P;
using testing_util::V;

constexpr const char* kRW = "rd wr mr mw me ac";
constexpr const char* kLo = "rd wr mr mw me lo ac";
constexpr const char* kDc = "rd wr mr mw me dc ac";

class VmaTest : public MmTest {};

// ---- vma_merge_existing_range ----

// Host item 30: no neighbour, range strictly inside: two splits.
// 012
// AAA     before
// A*A     mlock page 1
// ALA     after: three VMAs, map_count +2, pgoffs follow the addresses
TEST_F(VmaTest, VmaMergeExistingRangeStrictlyInsideSplitsTwice) {
  const uint64_t a = Map(kArea, 3);
  EXPECT_EQ(sys_mlock(t_, a + P, P), 0);
  EXPECT_EQ(LayoutOf(a, 3), (Layout{V(0, 1, kRW), V(1, 2, kLo), V(2, 3, kRW)}));
  EXPECT_EQ(mm()->map_count, 3);
  EXPECT_EQ(mm()->locked_vm, 1u);
  EXPECT_EQ(vma_lookup(mm(), a + 2 * P)->vm_pgoff, (a >> PAGE_SHIFT) + 2);
}

// No merge, the range is the whole VMA: flags change in place.
// 012
// ***     mlock all
// LLL     after: one VMA
TEST_F(VmaTest, VmaMergeExistingRangeWholeVmaChangesInPlace) {
  const uint64_t a = Map(kArea, 3);
  const Vma* before = vma_lookup(mm(), a);
  EXPECT_EQ(sys_mlock(t_, a, 3 * P), 0);
  EXPECT_EQ(LayoutOf(a, 3), (Layout{V(0, 3, kLo)}));
  EXPECT_EQ(vma_lookup(mm(), a), before);
  EXPECT_EQ(mm()->map_count, 1);
}

// No merge, range at one edge: one split.
// 012
// **A     mlock pages 0-1
// LLA     after
TEST_F(VmaTest, VmaMergeExistingRangeEdgeSplitsOnce) {
  const uint64_t a = Map(kArea, 3);
  EXPECT_EQ(sys_mlock(t_, a, 2 * P), 0);
  EXPECT_EQ(LayoutOf(a, 3), (Layout{V(0, 2, kLo), V(2, 3, kRW)}));
  EXPECT_EQ(mm()->map_count, 2);
}

// Host item 34 (case 4: left side of middle merges into prev; middle's start and pgoff move).
// 0123
// LLUU    before
//   *U    mlock page 2
// LLLU    after: map_count unchanged
TEST_F(VmaTest, VmaMergeExistingRangeCase4MergeLeftPartOfMiddle) {
  const uint64_t a = Map(kArea, 4);
  ASSERT_EQ(sys_mlock(t_, a, 2 * P), 0);
  ASSERT_EQ(mm()->map_count, 2);
  EXPECT_EQ(sys_mlock(t_, a + 2 * P, P), 0);
  EXPECT_EQ(LayoutOf(a, 4), (Layout{V(0, 3, kLo), V(3, 4, kRW)}));
  EXPECT_EQ(mm()->map_count, 2);
  EXPECT_EQ(mm()->locked_vm, 3u);
}

// Host item 35 (case 5: right side of middle merges into next; next's start and pgoff move
// down).
// 0123
// UULL    before
//  *LL    mlock page 1
// ULLL    after
TEST_F(VmaTest, VmaMergeExistingRangeCase5MergeRightPartOfMiddle) {
  const uint64_t a = Map(kArea, 4);
  ASSERT_EQ(sys_mlock(t_, a + 2 * P, 2 * P), 0);
  EXPECT_EQ(sys_mlock(t_, a + P, P), 0);
  EXPECT_EQ(LayoutOf(a, 4), (Layout{V(0, 1, kRW), V(1, 4, kLo)}));
  EXPECT_EQ(mm()->map_count, 2);
  EXPECT_EQ(mm()->locked_vm, 3u);
}

// Host item 36 (case 6: whole middle, both neighbours: prev swallows middle and next).
// 012
// LUL     before (pieces of one VMA: mlock all, munlock page 1)
// L*L     mlock page 1
// LLL     after: map_count -2
TEST_F(VmaTest, VmaMergeExistingRangeCase6MergeBoth) {
  const uint64_t a = Map(kArea, 3);
  ASSERT_EQ(sys_mlock(t_, a, 3 * P), 0);
  ASSERT_EQ(sys_munlock(t_, a + P, P), 0);
  ASSERT_EQ(LayoutOf(a, 3), (Layout{V(0, 1, kLo), V(1, 2, kRW), V(2, 3, kLo)}));
  EXPECT_EQ(sys_mlock(t_, a + P, P), 0);
  EXPECT_EQ(LayoutOf(a, 3), (Layout{V(0, 3, kLo)}));
  EXPECT_EQ(mm()->map_count, 1);
  EXPECT_EQ(mm()->locked_vm, 3u);
}

// Case 7 (whole middle, prev only: next differs in VM_DONTCOPY). Host probe: map_count -1.
// 012
// LUD     before
// L*D     mlock page 1
// LLD     after
TEST_F(VmaTest, VmaMergeExistingRangeCase7MergeLeftWholeMiddle) {
  const uint64_t a = Map(kArea, 3);
  ASSERT_EQ(sys_madvise(t_, a + 2 * P, P, MADV_DONTFORK), 0);
  ASSERT_EQ(sys_mlock(t_, a, P), 0);
  ASSERT_EQ(LayoutOf(a, 3), (Layout{V(0, 1, kLo), V(1, 2, kRW), V(2, 3, kDc)}));
  EXPECT_EQ(sys_mlock(t_, a + P, P), 0);
  EXPECT_EQ(LayoutOf(a, 3), (Layout{V(0, 2, kLo), V(2, 3, kDc)}));
  EXPECT_EQ(mm()->map_count, 2);
  EXPECT_EQ(mm()->locked_vm, 2u);
  EXPECT_EQ(SmapsKb(a, "Rss"), 8);
}

// Case 8 (whole middle, next only: next grows down, pgoff = next's - pages). Host probe.
// 012
// DUL     before
// D*L     mlock page 1
// DLL     after
TEST_F(VmaTest, VmaMergeExistingRangeCase8MergeRightWholeMiddle) {
  const uint64_t a = Map(kArea, 3);
  ASSERT_EQ(sys_madvise(t_, a, P, MADV_DONTFORK), 0);
  ASSERT_EQ(sys_mlock(t_, a + 2 * P, P), 0);
  ASSERT_EQ(LayoutOf(a, 3), (Layout{V(0, 1, kDc), V(1, 2, kRW), V(2, 3, kLo)}));
  EXPECT_EQ(sys_mlock(t_, a + P, P), 0);
  EXPECT_EQ(LayoutOf(a, 3), (Layout{V(0, 1, kDc), V(1, 3, kLo)}));
  EXPECT_EQ(mm()->map_count, 2);
  EXPECT_EQ(mm()->locked_vm, 2u);
}

// Host item 37: two separate, adjacent mmaps (the first MAP_LOCKED, the second untouched)
// merge once both are locked; locked_vm counts only the newly locked pages.
// 0123
// LLAA    before (two mmaps)
// ****    mlock all
// LLLL    after: one VMA
TEST_F(VmaTest, VmaMergeExistingRangeSeparateMmapsMergeWhenLocked) {
  const uint64_t a =
      Map(kArea, 2, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_LOCKED);
  Map(kArea + 2 * P, 2);
  ASSERT_EQ(LayoutOf(a, 4), (Layout{V(0, 2, kLo), V(2, 4, kRW)}));
  EXPECT_EQ(mm()->locked_vm, 2u);
  EXPECT_EQ(sys_mlock(t_, a, 4 * P), 0);
  EXPECT_EQ(LayoutOf(a, 4), (Layout{V(0, 4, kLo)}));
  EXPECT_EQ(mm()->locked_vm, 4u);
  EXPECT_EQ(mm()->map_count, 1);
}

// Host item 37 variant: the second VMA was written before the mlock, while its flags
// differed from the first's: it has its own anon_vma and cannot merge.
TEST_F(VmaTest, VmaMergeExistingRangeDifferentAnonVmasDoNotMerge) {
  const uint64_t a =
      Map(kArea, 2, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_LOCKED);
  Map(kArea + 2 * P, 2);
  Write(a + 2 * P);
  EXPECT_EQ(sys_mlock(t_, a, 4 * P), 0);
  EXPECT_EQ(LayoutOf(a, 4), (Layout{V(0, 2, kLo), V(2, 4, kLo)}));
  EXPECT_EQ(mm()->locked_vm, 4u);
  EXPECT_NE(vma_lookup(mm(), a)->anon_vma, vma_lookup(mm(), a + 2 * P)->anon_vma);
}

// ---- anon_vma rules (mm/rmap.c __anon_vma_prepare, mm/vma.c is_mergeable_anon_vma) ----

// Host item 31: the untouched pieces have no anon_vma; munlock merges them with the middle,
// whose anon_vma (from mlock's population) the merged VMA adopts.
// 012
// ALA     after mlock page 1 (only the middle faulted)
// A*A     munlock page 1
// AAA     after: one VMA with the middle's anon_vma
TEST_F(VmaTest, IsMergeableAnonVmaUntouchedPiecesAdoptTheMiddles) {
  const uint64_t a = Map(kArea, 3);
  ASSERT_EQ(sys_mlock(t_, a + P, P), 0);
  AnonVma* av = vma_lookup(mm(), a + P)->anon_vma;
  ASSERT_NE(av, nullptr);
  EXPECT_EQ(vma_lookup(mm(), a)->anon_vma, nullptr);
  EXPECT_EQ(sys_munlock(t_, a + P, P), 0);
  EXPECT_EQ(LayoutOf(a, 3), (Layout{V(0, 3, kRW)}));
  EXPECT_EQ(vma_lookup(mm(), a)->anon_vma, av);
  EXPECT_EQ(mm()->map_count, 1);
}

// Host item 32: page 0 faulted first; splits copy the anon_vma, so every piece shares it.
// 012
// wAA     write page 0 (anon_vma X)
// ALA     mlock page 1: three pieces, all with X
// AAA     munlock page 1: one VMA
TEST_F(VmaTest, AnonVmaCloneLetsPiecesRemerge) {
  const uint64_t a = Map(kArea, 3);
  Write(a);
  ASSERT_EQ(sys_mlock(t_, a + P, P), 0);
  AnonVma* av = vma_lookup(mm(), a)->anon_vma;
  EXPECT_EQ(vma_lookup(mm(), a + P)->anon_vma, av);
  EXPECT_EQ(vma_lookup(mm(), a + 2 * P)->anon_vma, av);
  EXPECT_EQ(sys_munlock(t_, a + P, P), 0);
  EXPECT_EQ(LayoutOf(a, 3), (Layout{V(0, 3, kRW)}));
}

// Host item 33: page 0 faulted after the split, while its flags differed from the middle's
// (anon_vma_compatible refuses VM_LOCKED differences): it gets its own anon_vma and the two
// never merge again, not even when all pages are locked and unlocked together.
// 012
// ALA     mlock page 1 (middle: anon_vma X)
// wLA     write page 0 (new anon_vma Y)
// A*A     munlock page 1
// AAA     after: 0-1 (Y) and 1-3 (X), identical flags
TEST_F(VmaTest, AnonVmaPrepareNeighbourFaultedWhileFlagsDifferedDoesNotRemerge) {
  const uint64_t a = Map(kArea, 3);
  ASSERT_EQ(sys_mlock(t_, a + P, P), 0);
  Write(a);
  EXPECT_NE(vma_lookup(mm(), a)->anon_vma, vma_lookup(mm(), a + P)->anon_vma);
  EXPECT_EQ(sys_munlock(t_, a + P, P), 0);
  EXPECT_EQ(LayoutOf(a, 3), (Layout{V(0, 1, kRW), V(1, 3, kRW)}));
  EXPECT_EQ(mm()->map_count, 2);
  EXPECT_EQ(sys_mlock(t_, a, 3 * P), 0);
  EXPECT_EQ(sys_munlock(t_, a, 3 * P), 0);
  EXPECT_EQ(LayoutOf(a, 3), (Layout{V(0, 1, kRW), V(1, 3, kRW)}));
}

// ---- vma_merge_new_range ----

// Host (b): hint-less mmaps go top-down, each directly below the previous one, and merge
// (case 3: next grows down and takes the new pgoff).
TEST_F(VmaTest, VmaMergeNewRangeHintlessMmapsAreAdjacentAndMerge) {
  const long first = sys_mmap(t_, 0, P, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  const long second =
      sys_mmap(t_, 0, P, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  ASSERT_GT(first, 0);
  EXPECT_EQ(second, first - static_cast<long>(P));
  EXPECT_EQ(LayoutOf(second, 2), (Layout{V(0, 2, kRW)}));
  EXPECT_EQ(mm()->map_count, 1);
  EXPECT_EQ(vma_lookup(mm(), second)->vm_pgoff, static_cast<uint64_t>(second) >> PAGE_SHIFT);
}

// Probe (this session): MAP_FIXED into the one-page gap between two compatible untouched
// VMAs merges all three (case 1); a new range just below a VMA merges into it (case 3).
// 01234
// AA BB   before
//   *     mmap(MAP_FIXED) page 2
// AAAAA   after: one VMA, map_count 1
TEST_F(VmaTest, VmaMergeNewRangeFixedIntoGapMergesAllThree) {
  const uint64_t a = Map(kArea, 2);
  Map(kArea + 3 * P, 2);
  ASSERT_EQ(mm()->map_count, 2);
  EXPECT_EQ(sys_mmap(t_, a + 2 * P, P, PROT_READ | PROT_WRITE,
                     MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0),
            static_cast<long>(a + 2 * P));
  EXPECT_EQ(LayoutOf(a, 5), (Layout{V(0, 5, kRW)}));
  EXPECT_EQ(mm()->map_count, 1);
}

// 0123
//   BB    before
// **      mmap(MAP_FIXED) pages 0-1
// BBBB    after: next grew down
TEST_F(VmaTest, VmaMergeNewRangeNextOnly) {
  Map(kArea + 2 * P, 2);
  const Vma* next = vma_lookup(mm(), kArea + 2 * P);
  EXPECT_EQ(sys_mmap(t_, kArea, 2 * P, PROT_READ | PROT_WRITE,
                     MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0),
            static_cast<long>(kArea));
  EXPECT_EQ(LayoutOf(kArea, 4), (Layout{V(0, 4, kRW)}));
  EXPECT_EQ(vma_lookup(mm(), kArea), next);
}

// Host "37 extra": both neighbours were written separately (different anon_vmas): the new
// range can merge with either but not both; it joins prev.
// 012345
// ww  ww  before: two faulted VMAs
//   **    mmap(MAP_FIXED) pages 2-3
// AAAABB  after
TEST_F(VmaTest, VmaMergeNewRangeNeighboursWithDifferentAnonVmasMergePrevOnly) {
  const uint64_t a = Map(kArea, 2);
  Map(kArea + 4 * P, 2);
  Write(a);
  Write(a + 4 * P);
  EXPECT_EQ(sys_mmap(t_, a + 2 * P, 2 * P, PROT_READ | PROT_WRITE,
                     MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0),
            static_cast<long>(a + 2 * P));
  EXPECT_EQ(LayoutOf(a, 6), (Layout{V(0, 4, kRW), V(4, 6, kRW)}));
}

// ---- split_vma and vm.max_map_count ----

// Host item 38/42: at map_count == max_map_count every change that needs a split fails
// (mlock/mprotect ENOMEM, madvise EAGAIN) and the layout is unchanged.
// 012
// A*A     mlock page 1: needs two splits → ENOMEM
// *AA     mlock page 0: needs one split → ENOMEM
TEST_F(VmaTest, SplitVmaAtMaxMapCountRefusesAndChangesNothing) {
  const uint64_t a = Map(kArea, 3);
  m_.set_max_map_count(mm()->map_count);
  EXPECT_EQ(sys_mlock(t_, a + P, P), -ENOMEM);
  EXPECT_EQ(sys_mlock(t_, a, P), -ENOMEM);
  EXPECT_EQ(sys_mprotect(t_, a + P, P, PROT_READ), -ENOMEM);
  EXPECT_EQ(sys_madvise(t_, a + P, P, MADV_DONTFORK), -EAGAIN);
  EXPECT_EQ(LayoutOf(a, 3), (Layout{V(0, 3, kRW)}));
  EXPECT_EQ(mm()->locked_vm, 0u);
  // The whole VMA needs no split.
  EXPECT_EQ(sys_mlock(t_, a, 3 * P), 0);
  EXPECT_EQ(LayoutOf(a, 3), (Layout{V(0, 3, kLo)}));
}

// Host item 39: one below the limit, the first split (at start) succeeds, the second fails:
// ENOMEM, and the VMA stays split with the old flags on both pieces.
// 012
// A*A     mlock page 1
// AAA     after: 0-1 and 1-3, both unlocked; locked_vm 0
TEST_F(VmaTest, SplitVmaOneBelowMaxLeavesPartialSplit) {
  const uint64_t a = Map(kArea, 3);
  m_.set_max_map_count(mm()->map_count + 1);
  EXPECT_EQ(sys_mlock(t_, a + P, P), -ENOMEM);
  EXPECT_EQ(LayoutOf(a, 3), (Layout{V(0, 1, kRW), V(1, 3, kRW)}));
  EXPECT_EQ(mm()->map_count, 2);
  EXPECT_EQ(mm()->locked_vm, 0u);
  EXPECT_EQ(SmapsKb(a + P, "Rss"), 0);
}

// Host item 39 for mprotect (ENOMEM) and madvise (EAGAIN): the same partial split.
TEST_F(VmaTest, SplitVmaOneBelowMaxPartialSplitForMprotectAndMadvise) {
  const uint64_t a = Map(kArea, 3);
  const uint64_t b = Map(kArea + 8 * P, 3);
  m_.set_max_map_count(mm()->map_count + 1);
  EXPECT_EQ(sys_mprotect(t_, a + P, P, PROT_READ), -ENOMEM);
  EXPECT_EQ(LayoutOf(a, 3), (Layout{V(0, 1, kRW), V(1, 3, kRW)}));
  m_.set_max_map_count(mm()->map_count + 1);
  EXPECT_EQ(sys_madvise(t_, b + P, P, MADV_DONTFORK), -EAGAIN);
  EXPECT_EQ(LayoutOf(b, 3), (Layout{V(0, 1, kRW), V(1, 3, kRW)}));
}

// Host item 40: one split fits at count + 1.
// 012
// *AA     mlock page 0
// LAA     after
TEST_F(VmaTest, SplitVmaOneSplitFitsOneBelowMax) {
  const uint64_t a = Map(kArea, 3);
  m_.set_max_map_count(mm()->map_count + 1);
  EXPECT_EQ(sys_mlock(t_, a, P), 0);
  EXPECT_EQ(LayoutOf(a, 3), (Layout{V(0, 1, kLo), V(1, 3, kRW)}));
  EXPECT_EQ(mm()->map_count, 2);
}

// Host item 41: at the limit, changes that merge need no new VMA and succeed.
// 012
// UUL     before, max_map_count = map_count
//  *L     mlock page 1 (case 5)
// ULL     after
// U*L     munlock page 1 (case 4 into prev)
// UUL     after
TEST_F(VmaTest, VmaMergeExistingRangeMergeNeedsNoNewVmaAtMax) {
  const uint64_t a = Map(kArea, 3);
  ASSERT_EQ(sys_mlock(t_, a + 2 * P, P), 0);
  m_.set_max_map_count(mm()->map_count);
  EXPECT_EQ(sys_mlock(t_, a + P, P), 0);
  EXPECT_EQ(LayoutOf(a, 3), (Layout{V(0, 1, kRW), V(1, 3, kLo)}));
  EXPECT_EQ(sys_munlock(t_, a + P, P), 0);
  EXPECT_EQ(LayoutOf(a, 3), (Layout{V(0, 2, kRW), V(2, 3, kLo)}));
  EXPECT_EQ(mm()->locked_vm, 1u);
}

// ---- vma_merge_existing_range's plan, then commit_merge (called directly) ----

// 0123
// DDUU    before: pages 0-1 VM_DONTCOPY (prev), 2-3 not (middle)
//   *U    page 2 takes prev's flags
// DDDU    after: prev extends to page 3; middle's start and pgoff move up (adjust middle)
TEST_F(VmaTest, VmaMergeExistingRangePlanMergeLeftAdjustsMiddle) {
  const uint64_t a = Map(kArea, 4);
  ASSERT_EQ(sys_madvise(t_, a, 2 * P, MADV_DONTFORK), 0);
  Vma* prev = vma_lookup(mm(), a);
  Vma* middle = vma_lookup(mm(), a + 2 * P);
  VmaMergeStruct vmg = vmg_vma_state(mm(), prev, middle, a + 2 * P, a + 3 * P);
  vmg.vm_flags = prev->vm_flags;
  EXPECT_EQ(vma_merge_existing_range(m_, vmg), prev);
  EXPECT_EQ(vmg.state, VmaMergeStruct::VMA_MERGE_SUCCESS);
  EXPECT_EQ(vmg.target, prev);
  EXPECT_TRUE(vmg.__adjust_middle_start);
  EXPECT_FALSE(vmg.__adjust_next_start || vmg.__remove_middle || vmg.__remove_next);
  EXPECT_EQ(vmg.start, a);
  EXPECT_EQ(vmg.end, a + 3 * P);
  EXPECT_EQ(vmg.pgoff, a >> PAGE_SHIFT);
  EXPECT_EQ(LayoutOf(a, 4), (Layout{V(0, 3, kDc), V(3, 4, kRW)}));
  EXPECT_EQ(mm()->map_count, 2);
}

// 0123
// UUDD    before: pages 0-1 not VM_DONTCOPY (middle), 2-3 VM_DONTCOPY (next)
//  *DD    page 1 takes next's flags (prev is middle itself: the range starts inside it)
// UDDD    after: middle is the VMA changed to [0, 1); next grows down (adjust next)
TEST_F(VmaTest, VmaMergeExistingRangePlanMergeRightAdjustsNext) {
  const uint64_t a = Map(kArea, 4);
  ASSERT_EQ(sys_madvise(t_, a + 2 * P, 2 * P, MADV_DONTFORK), 0);
  Vma* middle = vma_lookup(mm(), a);
  Vma* next = vma_lookup(mm(), a + 2 * P);
  VmaMergeStruct vmg = vmg_vma_state(mm(), middle, middle, a + P, a + 2 * P);
  vmg.vm_flags = next->vm_flags;
  EXPECT_EQ(vma_merge_existing_range(m_, vmg), next);
  EXPECT_EQ(vmg.target, next);
  EXPECT_TRUE(vmg.__adjust_next_start);
  EXPECT_FALSE(vmg.__adjust_middle_start || vmg.__remove_middle || vmg.__remove_next);
  EXPECT_EQ(vmg.start, a);
  EXPECT_EQ(vmg.end, a + P);
  EXPECT_EQ(LayoutOf(a, 4), (Layout{V(0, 1, kRW), V(1, 4, kDc)}));
  EXPECT_EQ(next->vm_pgoff, (a >> PAGE_SHIFT) + 1);
}

// 012
// DUD     before
// D*D     page 1 takes the neighbours' flags
// DDD     after: prev spans all three; middle and next are removed
TEST_F(VmaTest, VmaMergeExistingRangePlanMergeBothRemovesMiddleAndNext) {
  const uint64_t a = Map(kArea, 3);
  ASSERT_EQ(sys_madvise(t_, a, P, MADV_DONTFORK), 0);
  ASSERT_EQ(sys_madvise(t_, a + 2 * P, P, MADV_DONTFORK), 0);
  Vma* prev = vma_lookup(mm(), a);
  Vma* middle = vma_lookup(mm(), a + P);
  VmaMergeStruct vmg = vmg_vma_state(mm(), prev, middle, a + P, a + 2 * P);
  vmg.vm_flags = prev->vm_flags;
  EXPECT_EQ(vma_merge_existing_range(m_, vmg), prev);
  EXPECT_TRUE(vmg.__remove_middle && vmg.__remove_next);
  EXPECT_FALSE(vmg.__adjust_middle_start || vmg.__adjust_next_start);
  EXPECT_EQ(vmg.start, a);
  EXPECT_EQ(vmg.end, a + 3 * P);
  EXPECT_EQ(LayoutOf(a, 3), (Layout{V(0, 3, kDc)}));
  EXPECT_EQ(mm()->map_count, 1);
}

// ---- VmaIterator and the tree cursor ----

// 0123456789
// AA BBB CC   three VMAs with holes between them
class VmaIteratorTest : public VmaTest {
 protected:
  void SetUp() override {
    Map(kArea, 2);
    Map(kArea + 3 * P, 3);
    Map(kArea + 7 * P, 2);
  }
  // The first VMA ending above addr, by a walk over the whole tree.
  Vma* FindVmaByWalk(uint64_t addr) {
    for (const auto& [end, v] : mm()->mm_mt) {
      if (end > addr) return v.get();
    }
    return nullptr;
  }
};

TEST_F(VmaIteratorTest, ForEachVmaRangeVisitsTheVmasStartingBelowEnd) {
  VMA_ITERATOR(vmi, mm(), kArea + P);  // inside A
  std::vector<uint64_t> starts;
  Vma* vma;
  for_each_vma_range(vmi, vma, kArea + 7 * P) starts.push_back((vma->vm_start - kArea) / P);
  EXPECT_EQ(starts, (std::vector<uint64_t>{0, 3}));  // C starts at the end: not visited
  EXPECT_EQ(vma_iter_end(&vmi), kArea + 6 * P);
  Vma* c = vma_next(&vmi);
  ASSERT_NE(c, nullptr);
  EXPECT_EQ(c->vm_start, kArea + 7 * P);
  EXPECT_EQ(vma_next(&vmi), nullptr);
}

// The setup of mlock's and mprotect's walks: load the VMA at start, take the one before it,
// and the walk then begins with the loaded VMA again.
TEST_F(VmaIteratorTest, VmaPrevThenVmaFindReturnsTheLoadedVma) {
  VMA_ITERATOR(vmi, mm(), kArea + 4 * P);
  Vma* b = vma_iter_load(&vmi);
  ASSERT_NE(b, nullptr);
  EXPECT_EQ(b->vm_start, kArea + 3 * P);
  Vma* a = vma_prev(&vmi);
  ASSERT_NE(a, nullptr);
  EXPECT_EQ(a->vm_start, kArea);
  EXPECT_EQ(vma_find(&vmi, kArea + 10 * P), b);
  VMA_ITERATOR(first, mm(), kArea);
  ASSERT_EQ(vma_iter_load(&first), a);
  EXPECT_EQ(vma_prev(&first), nullptr);
  EXPECT_EQ(vma_find(&first, kArea + 10 * P), a);
}

// find_vma answers from the cursor's slot or the next one when it can: from every cursor
// position, every address (inside VMAs, in holes, past the end) gets the tree walk's answer.
TEST_F(VmaIteratorTest, FindVmaFromAnyCursorPositionMatchesATreeWalk) {
  const uint64_t cursors[] = {kArea, kArea + 3 * P, kArea + 7 * P};
  for (uint64_t c : cursors) {
    for (uint64_t addr = kArea - 2 * P; addr < kArea + 11 * P; addr += P / 2) {
      ASSERT_NE(vma_lookup(mm(), c), nullptr);  // puts the cursor on the VMA at c
      EXPECT_EQ(find_vma(mm(), addr), FindVmaByWalk(addr))
          << std::hex << "cursor at " << c << ", addr " << addr;
      Vma* prev = nullptr;
      Vma* v = find_vma_prev(mm(), addr, &prev);
      EXPECT_EQ(v, FindVmaByWalk(addr));
      Vma* expected_prev = nullptr;
      for (const auto& [end, w] : mm()->mm_mt) {
        if (end <= addr) expected_prev = w.get();  // every VMA before v ends by addr
      }
      EXPECT_EQ(prev, expected_prev) << std::hex << "addr " << addr;
    }
  }
}

}  // namespace
}  // namespace mmsim
