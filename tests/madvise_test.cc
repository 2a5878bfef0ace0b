// Tests of sim/madvise.cc (mm/madvise.c, mm/msync.c): flag advice through the merge/split
// engine (madvise_update_vma), ENOMEM→EAGAIN, advice refused on VM_LOCKED VMAs, the walk over
// holes, and msync(MS_INVALIDATE)'s EBUSY.
// Expected values: docs/host-facts.md items 42, 44/(i), 46, 57-59, 64, (g), (h); the
// DONTFORK/WIPEONFORK layouts were probed on the host while writing these tests.
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
constexpr const char* kWf = "rd wr mr mw me ac wf";

class MadviseTest : public MmTest {};

// Probe: DONTFORK in the middle splits twice; DOFORK merges all three back.
// 0123
// A**A    madvise(DONTFORK) pages 1-2
// ADDA    after
// A**A    madvise(DOFORK)
// AAAA    after: one VMA
TEST_F(MadviseTest, MadviseUpdateVmaDontforkSplitsDoforkRemerges) {
  const uint64_t a = Map(kArea, 4);
  EXPECT_EQ(sys_madvise(t_, a + P, 2 * P, MADV_DONTFORK), 0);
  EXPECT_EQ(LayoutOf(a, 4), (Layout{V(0, 1, kRW), V(1, 3, kDc), V(3, 4, kRW)}));
  EXPECT_EQ(mm()->map_count, 3);
  EXPECT_EQ(sys_madvise(t_, a + P, 2 * P, MADV_DOFORK), 0);
  EXPECT_EQ(LayoutOf(a, 4), (Layout{V(0, 4, kRW)}));
  EXPECT_EQ(mm()->map_count, 1);
}

// Probe: WIPEONFORK on page 0 splits once; on page 1 it merges into prev (case 4);
// KEEPONFORK over everything merges back.
// 0123
// *AAA    WIPEONFORK page 0 → WAAA
// W*AA    WIPEONFORK page 1 → WWAA
// ****    KEEPONFORK all    → AAAA
TEST_F(MadviseTest, MadviseUpdateVmaWipeonforkMergesLeft) {
  const uint64_t a = Map(kArea, 4);
  EXPECT_EQ(sys_madvise(t_, a, P, MADV_WIPEONFORK), 0);
  EXPECT_EQ(LayoutOf(a, 4), (Layout{V(0, 1, kWf), V(1, 4, kRW)}));
  EXPECT_EQ(sys_madvise(t_, a + P, P, MADV_WIPEONFORK), 0);
  EXPECT_EQ(LayoutOf(a, 4), (Layout{V(0, 2, kWf), V(2, 4, kRW)}));
  EXPECT_EQ(mm()->map_count, 2);
  EXPECT_EQ(sys_madvise(t_, a, 4 * P, MADV_KEEPONFORK), 0);
  EXPECT_EQ(LayoutOf(a, 4), (Layout{V(0, 4, kRW)}));
}

// Host item 64: WIPEONFORK is refused on shared memory; DONTFORK is not.
TEST_F(MadviseTest, MadviseVmaBehaviorWipeonforkOnSharedIsEinval) {
  const uint64_t a = Map(kArea, 1, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS);
  EXPECT_EQ(sys_madvise(t_, a, P, MADV_WIPEONFORK), -EINVAL);
  EXPECT_EQ(sys_madvise(t_, a, P, MADV_DONTFORK), 0);
  EXPECT_EQ(VmFlagsAt(a), "rd wr sh mr mw me ms dc ");
}

// Host items 38/39/42: ENOMEM from split_vma reaches the caller as EAGAIN.
// 012
// A*A     DONTFORK page 1 at max_map_count → EAGAIN, unchanged
TEST_F(MadviseTest, MadviseVmaBehaviorSplitEnomemBecomesEagain) {
  const uint64_t a = Map(kArea, 3);
  m_.set_max_map_count(mm()->map_count);
  EXPECT_EQ(sys_madvise(t_, a + P, P, MADV_DONTFORK), -EAGAIN);
  EXPECT_EQ(sys_madvise(t_, a, P, MADV_WIPEONFORK), -EAGAIN);
  EXPECT_EQ(LayoutOf(a, 3), (Layout{V(0, 3, kRW)}));
  EXPECT_EQ(sys_madvise(t_, a, 3 * P, MADV_DONTFORK), 0);  // whole VMA: no split
  EXPECT_EQ(LayoutOf(a, 3), (Layout{V(0, 3, kDc)}));
}

// Host item 58/(h): DONTNEED over [U written][L locked]: U is zapped, then EINVAL at L.
// Reversed, the walk stops at L first and U keeps its page.
// 01
// UL      madvise(DONTNEED) both → EINVAL, U empty
TEST_F(MadviseTest, MadviseVmaBehaviorDontneedOnLockedAfterZappingEarlier) {
  const uint64_t u = Map(kArea, 1);
  Map(kArea + P, 1, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_LOCKED);
  Write(u);
  ASSERT_TRUE(Page(u).present);
  EXPECT_EQ(sys_madvise(t_, u, 2 * P, MADV_DONTNEED), -EINVAL);
  EXPECT_FALSE(Page(u).present);
  EXPECT_EQ(SmapsKb(u, "Rss"), 0);
  EXPECT_EQ(SmapsKb(u + P, "Rss"), 4);

  const uint64_t l2 =
      Map(kArea + 8 * P, 1, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_LOCKED);
  const uint64_t u2 = Map(kArea + 9 * P, 1);
  Write(u2);
  EXPECT_EQ(sys_madvise(t_, l2, 2 * P, MADV_DONTNEED), -EINVAL);
  EXPECT_TRUE(Page(u2).present);
}

// Host item 57: advice refused on a locked VMA; MADV_DONTNEED_LOCKED zaps and keeps lo and
// locked_vm; later faults are mlocked again.
TEST_F(MadviseTest, MadviseVmaBehaviorDontneedLockedZapsButKeepsTheLock) {
  const uint64_t a = Map(kArea, 2);
  ASSERT_EQ(sys_mlock(t_, a, 2 * P), 0);
  EXPECT_EQ(sys_madvise(t_, a, 2 * P, MADV_DONTNEED), -EINVAL);
  EXPECT_EQ(sys_madvise(t_, a, 2 * P, MADV_REMOVE), -EINVAL);
  EXPECT_EQ(sys_madvise(t_, a, 2 * P, MADV_COLD), -EINVAL);
  EXPECT_EQ(sys_madvise(t_, a, 2 * P, MADV_PAGEOUT), -EINVAL);
  EXPECT_EQ(sys_madvise(t_, a, 2 * P, MADV_WILLNEED), 0);
  EXPECT_EQ(SmapsKb(a, "Rss"), 8);
  EXPECT_EQ(sys_madvise(t_, a, 2 * P, MADV_DONTFORK), 0);
  EXPECT_EQ(LayoutOf(a, 2), (Layout{V(0, 2, "rd wr mr mw me lo dc ac")}));
  EXPECT_EQ(sys_madvise(t_, a, 2 * P, MADV_DONTNEED_LOCKED), 0);
  EXPECT_EQ(SmapsKb(a, "Rss"), 0);
  EXPECT_EQ(SmapsKb(a, "Locked"), 0);
  EXPECT_EQ(mm()->locked_vm, 2u);
  EXPECT_TRUE(Locked(a));
  Read(a);
  EXPECT_TRUE(Kpf(Page(a), KPF_ZERO_PAGE));
  EXPECT_EQ(SmapsKb(a, "Rss"), 0);
  Write(a + P);
  EXPECT_EQ(SmapsKb(a, "Locked"), 4);
  EXPECT_TRUE(Kpf(Page(a + P), KPF_MLOCKED));
}

// Host item 59/(h): COLD and PAGEOUT refuse locked VMAs (ONFAULT too); an empty range is 0;
// unlocked pages are fine. On a mixed [U][L] range U is processed before the EINVAL.
TEST_F(MadviseTest, MadviseVmaBehaviorColdAndPageoutOnLockedAreEinval) {
  const uint64_t l = Map(kArea, 2);
  ASSERT_EQ(sys_mlock(t_, l, 2 * P), 0);
  EXPECT_EQ(sys_madvise(t_, l, 2 * P, MADV_PAGEOUT), -EINVAL);
  EXPECT_EQ(sys_madvise(t_, l, P, MADV_COLD), -EINVAL);
  EXPECT_EQ(sys_madvise(t_, l, 0, MADV_COLD), 0);
  EXPECT_EQ(sys_madvise(t_, l, 0, MADV_PAGEOUT), 0);
  const uint64_t f = Map(kArea + 8 * P, 1);
  ASSERT_EQ(sys_mlock2(t_, f, P, MLOCK_ONFAULT), 0);
  EXPECT_EQ(sys_madvise(t_, f, P, MADV_PAGEOUT), -EINVAL);
  EXPECT_EQ(sys_madvise(t_, f, P, MADV_COLD), -EINVAL);
  EXPECT_EQ(sys_madvise(t_, f, P, MADV_DONTNEED), -EINVAL);
  const uint64_t u = Map(kArea + 16 * P, 1);
  Write(u);
  EXPECT_EQ(sys_madvise(t_, u, P, MADV_COLD), 0);
  EXPECT_EQ(sys_madvise(t_, u, P, MADV_PAGEOUT), 0);
  EXPECT_TRUE(Page(u).present);  // no swap: the page stays
  // [U][L]: PAGEOUT handles U (isolated, put back active), then EINVAL.
  const uint64_t u2 = Map(kArea + 24 * P, 1);
  Map(kArea + 25 * P, 1, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_LOCKED);
  Write(u2);
  lru_add_drain_all(m_);
  ASSERT_FALSE(Kpf(Page(u2), KPF_ACTIVE));
  EXPECT_EQ(sys_madvise(t_, u2, 2 * P, MADV_PAGEOUT), -EINVAL);
  lru_add_drain_all(m_);
  EXPECT_TRUE(Kpf(Page(u2), KPF_ACTIVE));
}

// Host 44/(i), 46: madvise walks past holes, advising every VMA, then returns ENOMEM.
// 01234
// AA BB   madvise(DONTFORK) all five pages → ENOMEM, both dc
TEST_F(MadviseTest, MadviseWalkVmasContinuesPastHolesThenEnomem) {
  const uint64_t a = Map(kArea, 2);
  Map(kArea + 3 * P, 2);
  EXPECT_EQ(sys_madvise(t_, a, 5 * P, MADV_DONTFORK), -ENOMEM);
  EXPECT_EQ(LayoutOf(a, 5), (Layout{V(0, 2, kDc), V(3, 5, kDc)}));
  // [hole][C]: C advised, ENOMEM.
  const uint64_t c = Map(kArea + 10 * P, 2);
  EXPECT_EQ(sys_madvise(t_, kArea + 8 * P, 4 * P, MADV_DONTFORK), -ENOMEM);
  EXPECT_EQ(VmFlagsAt(c), "rd wr mr mw me dc ac ");
  EXPECT_EQ(sys_madvise(t_, kArea + 20 * P, P, MADV_NORMAL), -ENOMEM);  // hole only
}

// Host (g): [U 2P][L 1P][U 1P]: MS_INVALIDATE on any range touching L is EBUSY (alone or
// with MS_SYNC/MS_ASYNC); MS_SYNC alone is fine; lo lf counts as locked too.
TEST_F(MadviseTest, SysMsyncInvalidateOnLockedIsEbusy) {
  const uint64_t a = Map(kArea, 4);
  ASSERT_EQ(sys_mlock(t_, a + 2 * P, P), 0);
  EXPECT_EQ(sys_msync(t_, a, 2 * P, MS_INVALIDATE), 0);
  EXPECT_EQ(sys_msync(t_, a, 4 * P, MS_INVALIDATE), -EBUSY);
  EXPECT_EQ(sys_msync(t_, a + 2 * P, P, MS_INVALIDATE | MS_SYNC), -EBUSY);
  EXPECT_EQ(sys_msync(t_, a + P, 2 * P, MS_INVALIDATE | MS_ASYNC), -EBUSY);
  EXPECT_EQ(sys_msync(t_, a + 2 * P, P, MS_SYNC), 0);
  EXPECT_EQ(sys_msync(t_, a + 1, P, MS_SYNC), -EINVAL);
  EXPECT_EQ(sys_msync(t_, a, P, MS_SYNC | MS_ASYNC), -EINVAL);
  EXPECT_EQ(sys_msync(t_, a, 0, MS_SYNC), 0);
  const uint64_t f = Map(kArea + 8 * P, 1);
  ASSERT_EQ(sys_mlock2(t_, f, P, MLOCK_ONFAULT), 0);
  EXPECT_EQ(sys_msync(t_, f, P, MS_INVALIDATE), -EBUSY);
  EXPECT_EQ(LayoutOf(a, 4), (Layout{V(0, 2, kRW), V(2, 3, kLo), V(3, 4, kRW)}));
}

}  // namespace
}  // namespace mmsim
