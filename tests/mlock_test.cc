// Tests of sim/mlock.cc (mm/mlock.c): the mlock family's argument checks, limit arithmetic,
// the range walk of apply_vma_lock_flags, mlockall/munlockall, mlock_fixup's skip rules and
// accounting, and population after locking (mm/gup.c). Expected values: docs/host-facts.md
// items 1-26, 44-46 (research §11 numbering), and the [vvar] probe noted below.
#include "tests/mm_test_util.h"

namespace mmsim {
namespace {

using testing_util::DescribeVma;
using testing_util::kArea;
using testing_util::Layout;
using testing_util::MmTest;
using testing_util::P;
using testing_util::V;

constexpr const char* kRW = "rd wr mr mw me ac";
constexpr const char* kLo = "rd wr mr mw me lo ac";
constexpr const char* kLoLf = "rd wr mr mw me lo lf ac";

class MlockTest : public MmTest {};

// ---- can_do_mlock ----

// Host item 3: RLIMIT_MEMLOCK 0 and no CAP_IPC_LOCK. Flag checks come first (EINVAL), then
// EPERM, even for a zero length; munlock and munlockall need no permission.
TEST_F(MlockTest, CanDoMlockRlimitZeroWithoutCapIsEperm) {
  const uint64_t a = Map(kArea, 2);
  SetMemlock(0);
  DropCapIpcLock();
  EXPECT_EQ(sys_mlock(t_, a, P), -EPERM);
  EXPECT_EQ(sys_mlock(t_, a, 0), -EPERM);
  EXPECT_EQ(sys_mlock2(t_, a, P, MLOCK_ONFAULT), -EPERM);
  EXPECT_EQ(sys_mlockall(t_, MCL_FUTURE), -EPERM);
  EXPECT_EQ(sys_mlockall(t_, MCL_CURRENT), -EPERM);
  EXPECT_EQ(sys_mlock2(t_, a, P, 2), -EINVAL);
  EXPECT_EQ(sys_mlockall(t_, 0), -EINVAL);
  EXPECT_EQ(sys_munlock(t_, a, P), 0);
  EXPECT_EQ(sys_munlockall(t_), 0);
  EXPECT_EQ(LayoutOf(a, 2), (Layout{V(0, 2, kRW)}));
  EXPECT_EQ(mm()->locked_vm, 0u);
  EXPECT_EQ(mm()->def_flags, 0u);
}

// Host item 12 (scaled down): with CAP_IPC_LOCK a zero limit does not matter.
TEST_F(MlockTest, CanDoMlockCapIpcLockIgnoresZeroLimit) {
  const uint64_t a = Map(kArea, 64);
  SetMemlock(0);
  EXPECT_EQ(sys_mlock(t_, a, 64 * P), 0);
  EXPECT_EQ(LayoutOf(a, 64), (Layout{V(0, 64, kLo)}));
  EXPECT_EQ(mm()->locked_vm, 64u);
  EXPECT_EQ(SmapsKb(a, "Rss"), 256);
}

// ---- do_mlock: rounding ----

// Host item 5.
TEST_F(MlockTest, DoMlockAlignedZeroLengthIsNoop) {
  const uint64_t a = Map(kArea, 3);
  EXPECT_EQ(sys_mlock(t_, a, 0), 0);
  EXPECT_EQ(LayoutOf(a, 3), (Layout{V(0, 3, kRW)}));
  EXPECT_EQ(mm()->locked_vm, 0u);
  EXPECT_EQ(mm()->map_count, 1);
}

// Host item 6: len = PAGE_ALIGN(0 + offset_in_page(a+1)) = one page.
// 012
// AAA    before
// *AA    mlock(a+1, 0)
// LAA    after: two VMAs, page 0 locked and resident
// AAA    munlock(a+1, 0): one VMA again
TEST_F(MlockTest, DoMlockUnalignedZeroLengthLocksOnePage) {
  const uint64_t a = Map(kArea, 3);
  EXPECT_EQ(sys_mlock(t_, a + 1, 0), 0);
  EXPECT_EQ(LayoutOf(a, 3), (Layout{V(0, 1, kLo), V(1, 3, kRW)}));
  EXPECT_EQ(mm()->map_count, 2);
  EXPECT_EQ(mm()->locked_vm, 1u);
  EXPECT_EQ(SmapsKb(a, "Rss"), 4);
  EXPECT_EQ(SmapsKb(a, "Locked"), 4);
  EXPECT_EQ(sys_munlock(t_, a + 1, 0), 0);
  EXPECT_EQ(LayoutOf(a, 3), (Layout{V(0, 3, kRW)}));
  EXPECT_EQ(mm()->map_count, 1);
  EXPECT_EQ(mm()->locked_vm, 0u);
}

// Host item 6: two bytes straddling a page boundary lock both pages.
TEST_F(MlockTest, DoMlockTwoBytesAcrossABoundaryLockTwoPages) {
  const uint64_t a = Map(kArea, 3);
  EXPECT_EQ(sys_mlock(t_, a + P - 1, 2), 0);
  EXPECT_EQ(LayoutOf(a, 3), (Layout{V(0, 2, kLo), V(2, 3, kRW)}));
  EXPECT_EQ(mm()->locked_vm, 2u);
}

// Host (j): len wraps PAGE_ALIGN to 0 → no-op; end < start → EINVAL with CAP_IPC_LOCK but
// ENOMEM without it (the limit check comes first).
TEST_F(MlockTest, DoMlockWrappingLengths) {
  const uint64_t a = Map(kArea, 4);
  EXPECT_EQ(sys_mlock(t_, a, ~uint64_t{0}), 0);
  EXPECT_EQ(sys_mlock(t_, a + 1, ~uint64_t{0}), 0);
  EXPECT_EQ(sys_mlock(t_, a, uint64_t{0} - P), -EINVAL);
  EXPECT_EQ(sys_munlock(t_, a, ~uint64_t{0}), 0);
  EXPECT_EQ(mm()->locked_vm, 0u);
  DropCapIpcLock();
  EXPECT_EQ(sys_mlock(t_, a, uint64_t{0} - P), -ENOMEM);
  EXPECT_EQ(LayoutOf(a, 4), (Layout{V(0, 4, kRW)}));
}

// Host item 7.
TEST_F(MlockTest, DoMlockUnmappedRangeIsEnomem) {
  Map(kArea, 1);
  EXPECT_EQ(sys_mlock(t_, kArea + 4 * P, P), -ENOMEM);
  EXPECT_EQ(sys_munlock(t_, kArea + 4 * P, P), -ENOMEM);
  EXPECT_EQ(sys_mlock2(t_, kArea + 4 * P, P, MLOCK_ONFAULT), -ENOMEM);
  EXPECT_EQ(mm()->locked_vm, 0u);
  EXPECT_EQ(mm()->map_count, 1);
}

// ---- do_mlock: limit arithmetic ----

// Host item 8: limit 16 KiB, no cap. 5 pages > 4: ENOMEM, nothing changed; 4 pages fit.
// 01234567
// AAAAAAAA    before
// ****AAAA    mlock(a, 4P)
// LLLLAAAA    after
TEST_F(MlockTest, DoMlockOverLimitIsEnomemAndChangesNothing) {
  const uint64_t a = Map(kArea, 8);
  SetMemlock(16 << 10);
  DropCapIpcLock();
  EXPECT_EQ(sys_mlock(t_, a, 5 * P), -ENOMEM);
  EXPECT_EQ(LayoutOf(a, 8), (Layout{V(0, 8, kRW)}));
  EXPECT_EQ(mm()->locked_vm, 0u);
  EXPECT_EQ(sys_mlock(t_, a, 4 * P), 0);
  EXPECT_EQ(LayoutOf(a, 8), (Layout{V(0, 4, kLo), V(4, 8, kRW)}));
  EXPECT_EQ(mm()->locked_vm, 4u);
  EXPECT_EQ(SmapsKb(a, "Locked"), 16);
}

// Host items 9, 9+ and 10: when len + locked_vm exceeds the limit, the pages of the range
// that are already locked (count_mm_mlocked_page_nr) are subtracted before comparing.
TEST_F(MlockTest, DoMlockOverLimitSubtractsAlreadyLockedPages) {
  const uint64_t a = Map(kArea, 8);
  SetMemlock(16 << 10);
  DropCapIpcLock();
  ASSERT_EQ(sys_mlock(t_, a, 3 * P), 0);
  EXPECT_EQ(mm()->locked_vm, 3u);
  // 4 + 3 = 7 > 4, minus 3 already locked = 4 <= 4.
  EXPECT_EQ(sys_mlock(t_, a, 4 * P), 0);
  EXPECT_EQ(LayoutOf(a, 8), (Layout{V(0, 4, kLo), V(4, 8, kRW)}));
  EXPECT_EQ(mm()->locked_vm, 4u);
  EXPECT_EQ(sys_mlock(t_, a, 4 * P), 0);  // all four already locked
  EXPECT_EQ(sys_mlock(t_, a + 2 * P, 2 * P), 0);
  EXPECT_EQ(mm()->locked_vm, 4u);
  EXPECT_EQ(sys_mlock(t_, a + 3 * P, 2 * P), -ENOMEM);  // one new page: 5 > 4
  EXPECT_EQ(sys_mlock(t_, a + 4 * P, P), -ENOMEM);
  EXPECT_EQ(LayoutOf(a, 8), (Layout{V(0, 4, kLo), V(4, 8, kRW)}));
  EXPECT_EQ(mm()->locked_vm, 4u);
}

// Host item 11: 4095 bytes round down to a zero-page limit, but the limit is not 0, so
// can_do_mlock passes and the limit check fails: ENOMEM, not EPERM.
TEST_F(MlockTest, DoMlockLimitBelowOnePageIsEnomemNotEperm) {
  const uint64_t a = Map(kArea, 2);
  SetMemlock(4095);
  DropCapIpcLock();
  EXPECT_EQ(sys_mlock(t_, a, P), -ENOMEM);
  EXPECT_EQ(sys_mlock2(t_, a, P, MLOCK_ONFAULT), -ENOMEM);
  EXPECT_EQ(sys_mlockall(t_, MCL_CURRENT), -ENOMEM);
  EXPECT_EQ(sys_mlock(t_, a, 0), 0);
  EXPECT_EQ(sys_mlockall(t_, MCL_FUTURE), 0);
  EXPECT_EQ(mm()->locked_vm, 0u);
  EXPECT_EQ(LayoutOf(a, 2), (Layout{V(0, 2, kRW)}));
}

// Host item 1: only MLOCK_ONFAULT is a valid flag.
TEST_F(MlockTest, SysMlock2InvalidFlagsAreEinval) {
  const uint64_t a = Map(kArea, 2);
  EXPECT_EQ(sys_mlock2(t_, a, P, 2), -EINVAL);
  EXPECT_EQ(sys_mlock2(t_, a, P, 0x80000000), -EINVAL);
  EXPECT_EQ(sys_mlock2(t_, a, P, 3), -EINVAL);
  EXPECT_EQ(LayoutOf(a, 2), (Layout{V(0, 2, kRW)}));
  EXPECT_EQ(sys_mlock2(t_, a, P, 0), 0);
  EXPECT_EQ(LayoutOf(a, 2), (Layout{V(0, 1, kLo), V(1, 2, kRW)}));
}

// ---- apply_vma_lock_flags: holes ----

// Host item 46: no VMA contains start → ENOMEM, nothing changed.
// 0123
//   AA    before
// ****    mlock(a, 4P)
//   AA    after (unchanged)
TEST_F(MlockTest, ApplyVmaLockFlagsHoleAtStartChangesNothing) {
  Map(kArea + 2 * P, 2);
  EXPECT_EQ(sys_mlock(t_, kArea, 4 * P), -ENOMEM);
  EXPECT_EQ(LayoutOf(kArea, 4), (Layout{V(2, 4, kRW)}));
  EXPECT_EQ(mm()->locked_vm, 0u);
}

// Host item 44: the VMA before the hole is locked and counted, but not populated (the error
// returns before __mm_populate); B is never reached. munlock over it also unlocks A and
// returns ENOMEM (44+).
// 01234
// AA BB    before
// *****    mlock(a, 5P)
// LL BB    after: ENOMEM, A locked, Rss 0
TEST_F(MlockTest, ApplyVmaLockFlagsLaterHoleLeavesEarlierVmasLockedUnpopulated) {
  const uint64_t a = Map(kArea, 2);
  Map(kArea + 3 * P, 2);
  EXPECT_EQ(sys_mlock(t_, a, 5 * P), -ENOMEM);
  EXPECT_EQ(LayoutOf(a, 5), (Layout{V(0, 2, kLo), V(3, 5, kRW)}));
  EXPECT_EQ(mm()->locked_vm, 2u);
  EXPECT_EQ(SmapsKb(a, "Rss"), 0);
  EXPECT_EQ(sys_mlock2(t_, a, 5 * P, MLOCK_ONFAULT), -ENOMEM);
  EXPECT_EQ(LayoutOf(a, 5), (Layout{V(0, 2, kLoLf), V(3, 5, kRW)}));
  EXPECT_EQ(mm()->locked_vm, 2u);
  EXPECT_EQ(sys_munlock(t_, a, 5 * P), -ENOMEM);
  EXPECT_EQ(LayoutOf(a, 5), (Layout{V(0, 2, kRW), V(3, 5, kRW)}));
  EXPECT_EQ(mm()->locked_vm, 0u);
}

// Host item 45: the range runs past the last VMA into nothing.
// 0123
// AA      before
// ****    mlock(a, 4P)
// LL      after: ENOMEM, A locked, not populated
TEST_F(MlockTest, ApplyVmaLockFlagsHoleAtEndLeavesVmaLocked) {
  const uint64_t a = Map(kArea, 2);
  EXPECT_EQ(sys_mlock(t_, a, 4 * P), -ENOMEM);
  EXPECT_EQ(LayoutOf(a, 4), (Layout{V(0, 2, kLo)}));
  EXPECT_EQ(mm()->locked_vm, 2u);
  EXPECT_EQ(SmapsKb(a, "Rss"), 0);
}

// ---- mlockall / munlockall ----

// Host item 2.
TEST_F(MlockTest, SysMlockallFlagValidation) {
  EXPECT_EQ(sys_mlockall(t_, 0), -EINVAL);
  EXPECT_EQ(sys_mlockall(t_, MCL_ONFAULT), -EINVAL);
  EXPECT_EQ(sys_mlockall(t_, 8), -EINVAL);
  EXPECT_EQ(sys_mlockall(t_, MCL_CURRENT | 8), -EINVAL);
  EXPECT_EQ(mm()->def_flags, 0u);
  EXPECT_EQ(sys_mlockall(t_, MCL_FUTURE | MCL_ONFAULT), 0);
  EXPECT_EQ(mm()->def_flags, VM_LOCKED | VM_LOCKONFAULT);
  const long r = sys_mmap(t_, 0, P, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  ASSERT_GT(r, 0);
  EXPECT_EQ(VmFlagsAt(r), "rd wr mr mw me lo lf ac ");
  EXPECT_EQ(SmapsKb(r, "Rss"), 0);
  EXPECT_EQ(mm()->locked_vm, 1u);
}

// Host item 13: MCL_CURRENT compares total_vm with the limit; on ENOMEM nothing changes,
// not even def_flags when MCL_FUTURE was also asked for.
TEST_F(MlockTest, SysMlockallCurrentOverLimitIsEnomemAndKeepsDefFlags) {
  const uint64_t a = Map(kArea, 8);
  SetMemlock(16 << 10);
  DropCapIpcLock();
  EXPECT_EQ(sys_mlockall(t_, MCL_CURRENT | MCL_FUTURE), -ENOMEM);
  EXPECT_EQ(sys_mlockall(t_, MCL_CURRENT | MCL_FUTURE | MCL_ONFAULT), -ENOMEM);
  EXPECT_EQ(mm()->def_flags, 0u);
  EXPECT_EQ(LayoutOf(a, 8), (Layout{V(0, 8, kRW)}));
  const uint64_t b = Map(kArea + 16 * P, 1);
  EXPECT_EQ(VmFlagsAt(b), "rd wr mr mw me ac ");
  EXPECT_EQ(mm()->locked_vm, 0u);
}

// Host item 14: MCL_FUTURE puts VM_LOCKED in def_flags; new mappings are locked, populated,
// and checked by mlock_future_ok (EAGAIN, no VMA). munlockall clears def_flags (14+).
TEST_F(MlockTest, ApplyMlockallFlagsFutureLocksNewMappings) {
  SetMemlock(16 << 10);
  DropCapIpcLock();
  ASSERT_EQ(sys_mlockall(t_, MCL_FUTURE), 0);
  EXPECT_EQ(mm()->def_flags, VM_LOCKED);
  EXPECT_EQ(sys_mmap(t_, kArea, 8 * P, PROT_READ | PROT_WRITE,
                     MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0),
            -EAGAIN);
  EXPECT_EQ(mm()->map_count, 0);
  const uint64_t a = Map(kArea, 4);
  EXPECT_EQ(LayoutOf(a, 4), (Layout{V(0, 4, kLo)}));
  EXPECT_EQ(SmapsKb(a, "Rss"), 16);
  EXPECT_EQ(mm()->locked_vm, 4u);
  EXPECT_EQ(sys_mmap(t_, kArea + 8 * P, P, PROT_READ | PROT_WRITE,
                     MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0),
            -EAGAIN);
  EXPECT_EQ(sys_mmap(t_, kArea + 8 * P, P, PROT_NONE,
                     MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0),
            -EAGAIN);
  EXPECT_EQ(sys_munlockall(t_), 0);
  EXPECT_EQ(mm()->def_flags, 0u);
  EXPECT_EQ(LayoutOf(a, 4), (Layout{V(0, 4, kRW)}));
  EXPECT_EQ(mm()->locked_vm, 0u);
  const uint64_t b = Map(kArea + 8 * P, 1);
  EXPECT_EQ(VmFlagsAt(b), "rd wr mr mw me ac ");
}

// Host item 16: the flags do not stack — MCL_CURRENT alone clears MCL_FUTURE's def_flags.
TEST_F(MlockTest, ApplyMlockallFlagsCurrentAfterFutureClearsDefFlags) {
  ASSERT_EQ(sys_mlockall(t_, MCL_FUTURE), 0);
  const uint64_t a = Map(kArea, 1);
  EXPECT_EQ(VmFlagsAt(a), "rd wr mr mw me lo ac ");
  EXPECT_EQ(SmapsKb(a, "Rss"), 4);
  ASSERT_EQ(sys_mlockall(t_, MCL_CURRENT), 0);
  EXPECT_EQ(mm()->def_flags, 0u);
  const uint64_t b = Map(kArea + 4 * P, 1);
  EXPECT_EQ(VmFlagsAt(b), "rd wr mr mw me ac ");
  EXPECT_TRUE(Locked(a));
  EXPECT_EQ(mm()->locked_vm, 1u);
}

// Host item 17: MCL_FUTURE|MCL_ONFAULT: MAP_POPULATE prefaults nothing (VM_LOCKONFAULT
// short-circuits populate_vma_page_range); MAP_LOCKED also gets lf from def_flags.
TEST_F(MlockTest, ApplyMlockallFlagsFutureOnfault) {
  ASSERT_EQ(sys_mlockall(t_, MCL_FUTURE | MCL_ONFAULT), 0);
  const uint64_t a =
      Map(kArea, 4, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE);
  EXPECT_EQ(LayoutOf(a, 4), (Layout{V(0, 4, kLoLf)}));
  EXPECT_EQ(SmapsKb(a, "Rss"), 0);
  EXPECT_EQ(mm()->locked_vm, 4u);
  const uint64_t b =
      Map(kArea + 8 * P, 4, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_LOCKED);
  EXPECT_EQ(LayoutOf(b, 4), (Layout{V(0, 4, kLoLf)}));
  EXPECT_EQ(SmapsKb(b, "Rss"), 0);
  EXPECT_EQ(mm()->locked_vm, 8u);
}

// Host items 18, 19: MCL_CURRENT|MCL_ONFAULT marks the VMA lo lf without faulting; a write
// faults one mlocked page; a later plain MCL_CURRENT clears lf and populates the rest;
// locked_vm does not move when only lf changes.
TEST_F(MlockTest, ApplyMlockallFlagsCurrentOnfaultThenCurrent) {
  const uint64_t a = Map(kArea, 4);
  ASSERT_EQ(sys_mlockall(t_, MCL_CURRENT | MCL_ONFAULT), 0);
  EXPECT_EQ(LayoutOf(a, 4), (Layout{V(0, 4, kLoLf)}));
  EXPECT_EQ(SmapsKb(a, "Rss"), 0);
  EXPECT_EQ(mm()->locked_vm, 4u);
  EXPECT_EQ(mm()->def_flags, 0u);
  Write(a);
  EXPECT_EQ(SmapsKb(a, "Rss"), 4);
  EXPECT_EQ(SmapsKb(a, "Locked"), 4);
  EXPECT_TRUE(Kpf(Page(a), KPF_MLOCKED));
  ASSERT_EQ(sys_mlockall(t_, MCL_CURRENT), 0);
  EXPECT_EQ(LayoutOf(a, 4), (Layout{V(0, 4, kLo)}));
  EXPECT_EQ(SmapsKb(a, "Rss"), 16);
  EXPECT_EQ(SmapsKb(a, "Locked"), 16);
  EXPECT_EQ(mm()->locked_vm, 4u);
  PageInfo pi = Page(a + 3 * P);
  EXPECT_TRUE(Kpf(pi, KPF_LRU) && Kpf(pi, KPF_UNEVICTABLE) && Kpf(pi, KPF_MLOCKED));
}

// Host item 21: munlockall clears every VMA and def_flags; pieces split only by lock state
// re-merge (they share one anon_vma).
// 0123
// ALLA    after mlock(a+P, 2P)
// AAAA    after munlockall
TEST_F(MlockTest, ApplyMlockallFlagsMunlockallClearsAndRemerges) {
  const uint64_t a = Map(kArea, 4);
  ASSERT_EQ(sys_mlock(t_, a + P, 2 * P), 0);
  ASSERT_EQ(sys_mlockall(t_, MCL_FUTURE), 0);
  EXPECT_EQ(mm()->map_count, 3);
  EXPECT_EQ(sys_munlockall(t_), 0);
  EXPECT_EQ(LayoutOf(a, 4), (Layout{V(0, 4, kRW)}));
  EXPECT_EQ(mm()->map_count, 1);
  EXPECT_EQ(mm()->locked_vm, 0u);
  EXPECT_EQ(mm()->def_flags, 0u);
  PageInfo pi = Page(a + P);
  EXPECT_TRUE(pi.present);
  EXPECT_FALSE(Kpf(pi, KPF_MLOCKED));
  EXPECT_FALSE(Kpf(pi, KPF_UNEVICTABLE));
}

// Host item 20: mlockall ignores population errors: PROT_NONE is locked but not populated,
// RW is populated, RO maps the zero page (Rss 0).
TEST_F(MlockTest, ApplyMlockallFlagsIgnoresProtNonePopulateError) {
  const uint64_t a = Map(kArea, 2, PROT_NONE);
  const uint64_t b = Map(kArea + 4 * P, 2);
  const uint64_t c = Map(kArea + 8 * P, 2, PROT_READ);
  EXPECT_EQ(sys_mlockall(t_, MCL_CURRENT), 0);
  EXPECT_EQ(VmFlagsAt(a), "mr mw me lo ");
  EXPECT_EQ(VmFlagsAt(b), "rd wr mr mw me lo ac ");
  EXPECT_EQ(VmFlagsAt(c), "rd mr mw me lo ");
  EXPECT_EQ(SmapsKb(a, "Rss"), 0);
  EXPECT_EQ(SmapsKb(b, "Rss"), 8);
  EXPECT_EQ(SmapsKb(b, "Locked"), 8);
  EXPECT_EQ(SmapsKb(c, "Rss"), 0);
  EXPECT_EQ(mm()->locked_vm, 6u);
  EXPECT_EQ(sys_msync(t_, a, P, MS_INVALIDATE), -EBUSY);
}

// ---- mlock_fixup ----

// Probe (this session, docs: [vvar] not separately probed before): on the host,
// mlockall(MCL_CURRENT) leaves [vvar], [vvar_vclock] (pf io de) and [vdso] (de: VM_DONTEXPAND
// is in VM_SPECIAL) unlocked and uncounted: VmLck = VmSize - 32 kB. mlock([vvar]) returns 0
// and changes nothing (the populate walk skips VM_IO|VM_PFNMAP).
class MlockProcessTest : public MmTest {
 protected:
  MlockProcessTest() : MmTest(Image::kProcess) {}
};

TEST_F(MlockProcessTest, MlockFixupSkipsVmSpecialWithoutCounting) {
  const Vma* vvar = nullptr;
  for (const auto& [s, v] : mm()->mm_mt) {
    if (v->special_name && std::string(v->special_name) == "[vvar]") vvar = v.get();
  }
  ASSERT_NE(vvar, nullptr);
  const uint64_t vs = vvar->vm_start, ve = vvar->vm_end;
  const int count = mm()->map_count;
  EXPECT_EQ(sys_mlock(t_, vs, ve - vs), 0);
  EXPECT_EQ(mm()->locked_vm, 0u);
  EXPECT_FALSE(Locked(vs));
  EXPECT_EQ(sys_munlock(t_, vs, ve - vs), 0);
  EXPECT_EQ(sys_mlockall(t_, MCL_CURRENT), 0);
  EXPECT_EQ(mm()->locked_vm, mm()->total_vm - 8);  // 4 [vvar] + 2 [vvar_vclock] + 2 [vdso]
  EXPECT_EQ(mm()->map_count, count);
  for (const auto& [s, v] : mm()->mm_mt) {
    const bool special = v->vm_flags & VM_SPECIAL;
    EXPECT_EQ(static_cast<bool>(v->vm_flags & VM_LOCKED), !special) << DescribeVma(v.get(), 0);
  }
  EXPECT_EQ(VmFlagsAt(vs), "rd mr pf io de dd ");
  EXPECT_EQ(sys_munlockall(t_), 0);
  EXPECT_EQ(mm()->locked_vm, 0u);
}

// Host item 9+: mlock2(ONFAULT) on a locked VMA only sets lf: locked_vm and Rss stay.
// mlock() on it again clears lf (and populates: nothing left to fault here).
TEST_F(MlockTest, MlockFixupOnfaultToggleKeepsLockedVm) {
  const uint64_t a = Map(kArea, 4);
  ASSERT_EQ(sys_mlock(t_, a, 4 * P), 0);
  const int64_t mlocked = m_.vmstat[unevictable_pgs_mlocked];
  EXPECT_EQ(sys_mlock2(t_, a, 4 * P, MLOCK_ONFAULT), 0);
  EXPECT_EQ(LayoutOf(a, 4), (Layout{V(0, 4, kLoLf)}));
  EXPECT_EQ(mm()->locked_vm, 4u);
  EXPECT_EQ(SmapsKb(a, "Rss"), 16);
  EXPECT_EQ(sys_mlock2(t_, a + P, P, MLOCK_ONFAULT), 0);  // already so: no split
  EXPECT_EQ(mm()->map_count, 1);
  EXPECT_EQ(sys_mlock(t_, a + P, P), 0);
  EXPECT_EQ(LayoutOf(a, 4), (Layout{V(0, 1, kLoLf), V(1, 2, kLo), V(2, 4, kLoLf)}));
  EXPECT_EQ(mm()->locked_vm, 4u);
  EXPECT_EQ(m_.vmstat[unevictable_pgs_mlocked], mlocked);  // no page mlocked twice
}

// ---- population (mm/gup.c) ----

// Host item 22: untouched private RW: write faults, every page mlocked and unevictable.
TEST_F(MlockTest, PopulateVmaPageRangeWriteFaultsPrivateWritable) {
  const uint64_t a = Map(kArea, 4);
  const int64_t nr_mlock0 = m_.vmstat[nr_mlock], culled = m_.vmstat[unevictable_pgs_culled];
  EXPECT_EQ(sys_mlock(t_, a, 4 * P), 0);
  EXPECT_EQ(SmapsKb(a, "Rss"), 16);
  EXPECT_EQ(SmapsKb(a, "Anonymous"), 16);
  EXPECT_EQ(SmapsKb(a, "Locked"), 16);
  EXPECT_EQ(mm()->locked_vm, 4u);
  for (int i = 0; i < 4; ++i) {
    PageInfo pi = Page(a + i * P);
    EXPECT_TRUE(Kpf(pi, KPF_LRU) && Kpf(pi, KPF_UNEVICTABLE) && Kpf(pi, KPF_MLOCKED)) << i;
  }
  EXPECT_EQ(m_.vmstat[nr_mlock] - nr_mlock0, 4);
  EXPECT_EQ(m_.vmstat[unevictable_pgs_culled] - culled, 4);
}

// Host item 23: untouched private read-only: read faults map the zero page: Rss 0, Locked 0,
// but the whole VMA counts in locked_vm.
TEST_F(MlockTest, PopulateVmaPageRangeReadOnlyPrivateMapsZeroPage) {
  const uint64_t a = Map(kArea, 4, PROT_READ);
  EXPECT_EQ(sys_mlock(t_, a, 4 * P), 0);
  EXPECT_EQ(VmFlagsAt(a), "rd mr mw me lo ");
  EXPECT_EQ(SmapsKb(a, "Rss"), 0);
  EXPECT_EQ(SmapsKb(a, "Locked"), 0);
  EXPECT_EQ(mm()->locked_vm, 4u);
  PageInfo pi = Page(a);
  EXPECT_TRUE(pi.present);
  EXPECT_TRUE(Kpf(pi, KPF_ZERO_PAGE));
  EXPECT_FALSE(Kpf(pi, KPF_MLOCKED));
}

// Host item 24: PROT_NONE: populate fails with EFAULT → ENOMEM, but the VMA stays locked and
// counted (no rollback); munlock works.
TEST_F(MlockTest, PopulateVmaPageRangeProtNoneIsEnomemButStaysLocked) {
  const uint64_t a = Map(kArea, 1, PROT_NONE);
  EXPECT_EQ(sys_mlock(t_, a, P), -ENOMEM);
  EXPECT_EQ(LayoutOf(a, 1), (Layout{V(0, 1, "mr mw me lo")}));
  EXPECT_EQ(mm()->locked_vm, 1u);
  EXPECT_EQ(sys_msync(t_, a, P, MS_INVALIDATE), -EBUSY);
  EXPECT_EQ(sys_msync(t_, a, P, MS_SYNC), 0);
  EXPECT_EQ(sys_munlock(t_, a, P), 0);
  EXPECT_EQ(mm()->locked_vm, 0u);
}

// Host item 24b: limit 4 KiB, no cap, PROT_NONE 2 pages: 2 pages → limit ENOMEM, nothing
// changed; 1 page → populate ENOMEM, page 0 split off and locked.
TEST_F(MlockTest, PopulateVmaPageRangeProtNoneUnderLimitSplitsAndLocks) {
  const uint64_t a = Map(kArea, 2, PROT_NONE);
  SetMemlock(4096);
  DropCapIpcLock();
  EXPECT_EQ(sys_mlock(t_, a, 2 * P), -ENOMEM);
  EXPECT_EQ(LayoutOf(a, 2), (Layout{V(0, 2, "mr mw me")}));
  EXPECT_EQ(sys_mlock(t_, a, P), -ENOMEM);
  EXPECT_EQ(LayoutOf(a, 2), (Layout{V(0, 1, "mr mw me lo"), V(1, 2, "mr mw me")}));
  EXPECT_EQ(mm()->locked_vm, 1u);
}

// Host item 25: ONFAULT short-circuits before the PROT_NONE check.
TEST_F(MlockTest, PopulateVmaPageRangeOnfaultProtNoneSucceeds) {
  const uint64_t a = Map(kArea, 1, PROT_NONE);
  EXPECT_EQ(sys_mlock2(t_, a, P, MLOCK_ONFAULT), 0);
  EXPECT_EQ(VmFlagsAt(a), "mr mw me lo lf ");
  EXPECT_EQ(SmapsKb(a, "Rss"), 0);
  EXPECT_EQ(mm()->locked_vm, 1u);
}

// Host item 26: mlock2(ONFAULT) mlocks the already-resident pages at once, faults nothing;
// a later read of a never-written page maps the zero page.
TEST_F(MlockTest, MlockVmaPagesRangeOnfaultMlocksResidentPages) {
  const uint64_t a = Map(kArea, 4);
  Write(a, 2 * P);
  EXPECT_EQ(sys_mlock2(t_, a, 4 * P, MLOCK_ONFAULT), 0);
  EXPECT_EQ(VmFlagsAt(a), "rd wr mr mw me lo lf ac ");
  EXPECT_EQ(SmapsKb(a, "Rss"), 8);
  EXPECT_EQ(SmapsKb(a, "Locked"), 8);
  for (int i = 0; i < 2; ++i) {
    PageInfo pi = Page(a + i * P);
    EXPECT_TRUE(Kpf(pi, KPF_LRU) && Kpf(pi, KPF_UNEVICTABLE) && Kpf(pi, KPF_MLOCKED)) << i;
  }
  EXPECT_FALSE(Page(a + 2 * P).present);
  Write(a + 2 * P);
  EXPECT_EQ(SmapsKb(a, "Rss"), 12);
  EXPECT_TRUE(Kpf(Page(a + 2 * P), KPF_MLOCKED));
  Read(a + 3 * P);
  EXPECT_TRUE(Kpf(Page(a + 3 * P), KPF_ZERO_PAGE));
  EXPECT_EQ(SmapsKb(a, "Rss"), 12);
}

// tests/host/probes/drain.c (6.18.44, pinned to CPU 0): a page written into a MLOCK_ONFAULT
// range is mlocked at once but waits in the mlock batch; munmap (populated or not),
// MAP_FIXED over other pages and MADV_DONTNEED leave it there; mlock2 of another range
// (mlock_vma_pages_range) and MADV_COLD drain it onto the unevictable list.
TEST_F(MlockTest, UnmapPathsDoNotDrainTheMlockBatch) {
  const uint64_t a = Map(kArea, 4);
  const uint64_t other = Map(kArea + 0x100000, 8);
  Write(other, 2 * P);
  ASSERT_EQ(sys_mlock2(t_, a, 4 * P, MLOCK_ONFAULT), 0);
  Write(a);
  auto waiting = [&] {
    PageInfo pi = Page(a);
    return Kpf(pi, KPF_MLOCKED) && !Kpf(pi, KPF_UNEVICTABLE) && !Kpf(pi, KPF_LRU);
  };
  EXPECT_TRUE(waiting());
  EXPECT_EQ(sys_munmap(t_, other + 4 * P, 2 * P), 0);
  EXPECT_TRUE(waiting()) << "munmap of unpopulated pages";
  EXPECT_EQ(sys_munmap(t_, other, P), 0);
  EXPECT_TRUE(waiting()) << "munmap of a populated page";
  EXPECT_EQ(sys_madvise(t_, other + P, P, MADV_DONTNEED), 0);
  EXPECT_TRUE(waiting()) << "MADV_DONTNEED";
  EXPECT_EQ(
      sys_mmap(t_, other + 6 * P, P, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0),
      static_cast<long>(other + 6 * P));
  EXPECT_TRUE(waiting()) << "MAP_FIXED over other pages";
  EXPECT_EQ(sys_mlock2(t_, other + 7 * P, P, MLOCK_ONFAULT), 0);
  PageInfo pi = Page(a);
  EXPECT_TRUE(Kpf(pi, KPF_MLOCKED) && Kpf(pi, KPF_UNEVICTABLE) && Kpf(pi, KPF_LRU));
}

// Host (pvm_no_zero_page=1 kernel, scenarios/pages/no-zero-page.scn): without the zero page a
// read fault allocates an anonymous folio; mlock of a read-only mapping then locks it.
TEST(MlockNoZeroPage, ReadOnlyPopulateLocksRealFolios) {
  MachineConfig c;
  c.check_invariants = true;
  c.zero_page = false;
  Machine m(c);
  Task& t = m.spawn("t", Image::kEmpty);
  const uint64_t a = kArea;
  ASSERT_EQ(sys_mmap(t, a, 2 * P, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0),
            static_cast<long>(a));
  ASSERT_EQ(sys_mlock(t, a, 2 * P), 0);
  for (int i = 0; i < 2; ++i) {
    PageInfo pi = page_info(t, a + i * P);
    EXPECT_TRUE(pi.present) << i;
    EXPECT_FALSE((pi.kpageflags >> KPF_ZERO_PAGE) & 1) << i;
    EXPECT_TRUE((pi.kpageflags >> KPF_ANON) & 1) << i;
    EXPECT_TRUE((pi.kpageflags >> KPF_MLOCKED) & 1) << i;
  }
  EXPECT_EQ(t.mm->rss_stat[MM_ANONPAGES], 2);
}

}  // namespace
}  // namespace mmsim
