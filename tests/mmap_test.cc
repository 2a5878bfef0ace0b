// Tests of sim/mmap.cc (mm/mmap.c, mm/vma.c __mmap_region, do_vmi_munmap, brk): MAP_LOCKED
// and MCL_FUTURE against RLIMIT_MEMLOCK (can_do_mlock, mlock_future_ok), population of locked
// mappings, map_count limits, munmap of locked ranges, brk under MCL_FUTURE, MAP_DROPPABLE.
// Expected values: docs/host-facts.md items 4, 4b, 14, 15, 38+, 39, 47-52 and table (k).
#include <fcntl.h>

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
constexpr uint64_t kAnon = MAP_PRIVATE | MAP_ANONYMOUS;

class MmapTest : public MmTest {
 protected:
  long MmapAt(uint64_t addr, uint64_t pages, uint64_t flags,
              uint64_t prot = PROT_READ | PROT_WRITE) {
    return sys_mmap(t_, addr, pages * P, prot, flags | MAP_FIXED_NOREPLACE, -1, 0);
  }
};

// Host items 4, 4b: MAP_LOCKED needs can_do_mlock (EPERM); the rest of mmap does not.
TEST_F(MmapTest, DoMmapMapLockedNeedsCanDoMlock) {
  SetMemlock(0);
  EXPECT_EQ(MmapAt(kArea, 1, kAnon | MAP_LOCKED), static_cast<long>(kArea));  // with the cap
  EXPECT_EQ(VmFlagsAt(kArea), "rd wr mr mw me lo ac ");
  EXPECT_EQ(SmapsKb(kArea, "Rss"), 4);
  EXPECT_EQ(mm()->locked_vm, 1u);
  DropCapIpcLock();
  EXPECT_EQ(MmapAt(kArea + 4 * P, 1, kAnon | MAP_LOCKED), -EPERM);
  EXPECT_EQ(MmapAt(kArea + 4 * P, 1, kAnon), static_cast<long>(kArea + 4 * P));
  EXPECT_EQ(mm()->map_count, 2);
}

// Host (k): limit 16 KiB, no cap: mlock_future_ok compares len + locked_vm, PROT_NONE
// included; EAGAIN leaves no VMA. 4095 bytes → EAGAIN, not EPERM.
TEST_F(MmapTest, MlockFutureOkMapLockedOverLimitIsEagain) {
  SetMemlock(16 << 10);
  DropCapIpcLock();
  EXPECT_EQ(MmapAt(kArea, 5, kAnon | MAP_LOCKED), -EAGAIN);
  EXPECT_EQ(mm()->map_count, 0);
  EXPECT_EQ(MmapAt(kArea, 4, kAnon | MAP_LOCKED), static_cast<long>(kArea));
  EXPECT_EQ(LayoutOf(kArea, 4), (Layout{V(0, 4, kLo)}));
  EXPECT_EQ(SmapsKb(kArea, "Rss"), 16);
  EXPECT_EQ(mm()->locked_vm, 4u);
  EXPECT_EQ(MmapAt(kArea + 8 * P, 1, kAnon | MAP_LOCKED, PROT_NONE), -EAGAIN);
  SetMemlock(4095);
  EXPECT_EQ(MmapAt(kArea + 8 * P, 1, kAnon | MAP_LOCKED), -EAGAIN);
}

// Host item 15: MAP_FIXED|MAP_LOCKED over an already locked range gets no overlap credit:
// EAGAIN and the old mapping stays (locked, contents kept). Without MAP_LOCKED the
// replacement succeeds and locked_vm drops.
TEST_F(MmapTest, MlockFutureOkNoOverlapCreditForFixedReplacement) {
  SetMemlock(16 << 10);
  DropCapIpcLock();
  ASSERT_EQ(MmapAt(kArea, 4, kAnon | MAP_LOCKED), static_cast<long>(kArea));
  const uint32_t folio = Page(kArea).folio;
  EXPECT_EQ(
      sys_mmap(t_, kArea, 4 * P, PROT_READ | PROT_WRITE, kAnon | MAP_FIXED | MAP_LOCKED, -1, 0),
      -EAGAIN);
  EXPECT_EQ(LayoutOf(kArea, 4), (Layout{V(0, 4, kLo)}));
  EXPECT_EQ(mm()->locked_vm, 4u);
  EXPECT_EQ(Page(kArea).folio, folio);
  EXPECT_EQ(sys_mmap(t_, kArea, 4 * P, PROT_READ | PROT_WRITE, kAnon | MAP_FIXED, -1, 0),
            static_cast<long>(kArea));
  EXPECT_EQ(LayoutOf(kArea, 4), (Layout{V(0, 4, kRW)}));
  EXPECT_EQ(mm()->locked_vm, 0u);
  EXPECT_EQ(SmapsKb(kArea, "Rss"), 0);
}

// Host item 47: MAP_LOCKED populates (RW: real pages; RO: zero page; PROT_NONE: error
// ignored) and counts; a MAP_LOCKED mapping next to a locked faulted VMA merges.
TEST_F(MmapTest, MmapRegionMapLockedPopulatesAndCounts) {
  EXPECT_EQ(MmapAt(kArea, 4, kAnon | MAP_LOCKED), static_cast<long>(kArea));
  EXPECT_EQ(SmapsKb(kArea, "Rss"), 16);
  EXPECT_EQ(SmapsKb(kArea, "Locked"), 16);
  EXPECT_EQ(mm()->locked_vm, 4u);
  EXPECT_EQ(MmapAt(kArea + 16 * P, 2, kAnon | MAP_LOCKED, PROT_READ),
            static_cast<long>(kArea + 16 * P));
  EXPECT_EQ(VmFlagsAt(kArea + 16 * P), "rd mr mw me lo ");
  EXPECT_EQ(SmapsKb(kArea + 16 * P, "Rss"), 0);
  EXPECT_EQ(MmapAt(kArea + 32 * P, 1, kAnon | MAP_LOCKED, PROT_NONE),
            static_cast<long>(kArea + 32 * P));
  EXPECT_EQ(VmFlagsAt(kArea + 32 * P), "mr mw me lo ");
  EXPECT_EQ(mm()->locked_vm, 7u);
  // 0123456
  // LLLL      before
  //     **    mmap(MAP_LOCKED) pages 4-5
  // LLLLLL    after: merged with the faulted locked VMA
  EXPECT_EQ(MmapAt(kArea + 4 * P, 2, kAnon | MAP_LOCKED), static_cast<long>(kArea + 4 * P));
  EXPECT_EQ(LayoutOf(kArea, 6), (Layout{V(0, 6, kLo)}));
  EXPECT_EQ(mm()->locked_vm, 9u);
}

// Host item 47: shared anonymous MAP_LOCKED: read faults allocate shmem pages.
TEST_F(MmapTest, MmapRegionSharedAnonMapLocked) {
  EXPECT_EQ(MmapAt(kArea, 2, MAP_SHARED | MAP_ANONYMOUS | MAP_LOCKED), static_cast<long>(kArea));
  EXPECT_EQ(VmFlagsAt(kArea), "rd wr sh mr mw me ms lo ");
  EXPECT_EQ(SmapsKb(kArea, "Rss"), 8);
  EXPECT_EQ(SmapsKb(kArea, "Locked"), 8);
  EXPECT_EQ(SmapsKb(kArea, "Anonymous"), 0);
}

// Host item 38+: do_mmap refuses only when map_count > max (so one mmap may reach max+1).
TEST_F(MmapTest, DoMmapMapCountLimitIsStrictlyGreater) {
  Map(kArea, 1);
  m_.set_max_map_count(mm()->map_count);
  EXPECT_EQ(MmapAt(kArea + 4 * P, 1, kAnon), static_cast<long>(kArea + 4 * P));
  EXPECT_EQ(mm()->map_count, 2);
  EXPECT_EQ(MmapAt(kArea + 8 * P, 1, kAnon), -ENOMEM);
  EXPECT_EQ(mm()->map_count, 2);
}

// Host item 52: munmap of a locked page lowers locked_vm; the pieces stay locked. The folio
// is munlocked through the rmap removal (nr_mlock drops after the drain).
// 0123
// LLLL    before
//  *      munmap page 1
// L LL    after
TEST_F(MmapTest, DoVmiMunmapLockedRangeLowersLockedVm) {
  ASSERT_EQ(MmapAt(kArea, 4, kAnon | MAP_LOCKED), static_cast<long>(kArea));
  const int64_t nr_mlock0 = m_.vmstat[nr_mlock];
  EXPECT_EQ(sys_munmap(t_, kArea + P, P), 0);
  EXPECT_EQ(LayoutOf(kArea, 4), (Layout{V(0, 1, kLo), V(2, 4, kLo)}));
  EXPECT_EQ(mm()->locked_vm, 3u);
  EXPECT_EQ(mm()->map_count, 2);
  lru_add_drain_all(m_);
  EXPECT_EQ(m_.vmstat[nr_mlock] - nr_mlock0, -1);
}

// Host items 38+ and 39: a hole inside one VMA needs a new VMA: ENOMEM at the limit; an
// edge unmap does not; one below the limit the hole succeeds.
// 012
// A*A     munmap page 1 at max → ENOMEM
// *AA     munmap page 0 at max → 0
TEST_F(MmapTest, DoVmiMunmapHolePunchAtMaxIsEnomem) {
  const uint64_t a = Map(kArea, 3);
  m_.set_max_map_count(mm()->map_count);
  EXPECT_EQ(sys_munmap(t_, a + P, P), -ENOMEM);
  EXPECT_EQ(LayoutOf(a, 3), (Layout{V(0, 3, kRW)}));
  EXPECT_EQ(sys_munmap(t_, a, P), 0);
  EXPECT_EQ(LayoutOf(a, 3), (Layout{V(1, 3, kRW)}));
  const uint64_t b = Map(kArea + 8 * P, 3);
  m_.set_max_map_count(mm()->map_count + 1);
  EXPECT_EQ(sys_munmap(t_, b + P, P), 0);
  EXPECT_EQ(LayoutOf(b, 3), (Layout{V(0, 1, kRW), V(2, 3, kRW)}));
}

// Host (j): munmap argument checks.
TEST_F(MmapTest, DoVmiMunmapArgumentChecks) {
  const uint64_t a = Map(kArea, 4);
  EXPECT_EQ(sys_munmap(t_, a + 1, P), -EINVAL);
  EXPECT_EQ(sys_munmap(t_, a, 0), -EINVAL);
  EXPECT_EQ(sys_munmap(t_, a, ~uint64_t{0}), -EINVAL);
  EXPECT_EQ(sys_munmap(t_, uint64_t{1} << 47, P), -EINVAL);
  EXPECT_EQ(sys_munmap(t_, (uint64_t{1} << 47) - P, P), -EINVAL);
  EXPECT_EQ(sys_munmap(t_, kArea + 64 * P, P), 0);  // nothing mapped
  EXPECT_EQ(LayoutOf(a, 4), (Layout{V(0, 4, kRW)}));
}

// Host item 50: under MCL_FUTURE the heap's growth cannot merge with the old, unlocked heap
// VMA: a separate locked VMA, populated. It grows and shrinks by itself; after munlockall
// the two stay apart (the locked piece was faulted with its own anon_vma).
// 0123
// hh      heap (written), then mlockall(MCL_FUTURE)
//   *     brk(+1 page)
// hhL     after: two VMAs; brk(+1) → hhLL; brk(-1) → hhL
TEST_F(MmapTest, SysBrkUnderMclFutureMakesASeparateLockedVma) {
  const uint64_t base = mm()->start_brk;
  ASSERT_EQ(sys_brk(t_, base + 2 * P), static_cast<long>(base + 2 * P));
  Write(base, 2 * P);
  ASSERT_EQ(sys_mlockall(t_, MCL_FUTURE), 0);
  EXPECT_EQ(sys_brk(t_, base + 3 * P), static_cast<long>(base + 3 * P));
  EXPECT_EQ(LayoutOf(base, 4), (Layout{V(0, 2, kRW), V(2, 3, kLo)}));
  EXPECT_EQ(mm()->locked_vm, 1u);
  EXPECT_EQ(SmapsKb(base + 2 * P, "Rss"), 4);
  EXPECT_EQ(SmapsKb(base + 2 * P, "Locked"), 4);
  EXPECT_EQ(sys_brk(t_, base + 4 * P), static_cast<long>(base + 4 * P));
  EXPECT_EQ(LayoutOf(base, 4), (Layout{V(0, 2, kRW), V(2, 4, kLo)}));
  EXPECT_EQ(mm()->locked_vm, 2u);
  EXPECT_EQ(sys_brk(t_, base + 3 * P), static_cast<long>(base + 3 * P));
  EXPECT_EQ(mm()->locked_vm, 1u);
  EXPECT_EQ(sys_munlockall(t_), 0);
  EXPECT_EQ(sys_brk(t_, base + 4 * P), static_cast<long>(base + 4 * P));
  EXPECT_EQ(LayoutOf(base, 4), (Layout{V(0, 2, kRW), V(2, 4, kRW)}));
}

// Host item 51: limit 8 KiB, no cap, MCL_FUTURE, locked_vm 1: growth by 2 pages fails (brk
// returns the old break, no VMA), by 1 page succeeds.
TEST_F(MmapTest, CheckBrkLimitsOverLimitReturnsTheOldBreak) {
  SetMemlock(8 << 10);
  DropCapIpcLock();
  ASSERT_EQ(sys_mlockall(t_, MCL_FUTURE), 0);
  Map(kArea, 1);
  ASSERT_EQ(mm()->locked_vm, 1u);
  const uint64_t base = mm()->brk;
  const int count = mm()->map_count;
  EXPECT_EQ(sys_brk(t_, base + 2 * P), static_cast<long>(base));
  EXPECT_EQ(mm()->brk, base);
  EXPECT_EQ(mm()->map_count, count);
  EXPECT_EQ(sys_brk(t_, base + P), static_cast<long>(base + P));
  EXPECT_EQ(mm()->locked_vm, 2u);
  EXPECT_EQ(VmFlagsAt(base), "rd wr mr mw me lo ac ");
}

// Host items 48, 49: MAP_DROPPABLE can never be locked: with MAP_LOCKED → EINVAL; mlock →
// 0, no lo, not counted, but populated; under MCL_FUTURE(|MCL_ONFAULT) no lo/lf, yet the
// limit is checked and the mapping is prefaulted.
TEST_F(MmapTest, DoMmapDroppableIsNeverLocked) {
  EXPECT_EQ(MmapAt(kArea, 2, MAP_DROPPABLE | MAP_ANONYMOUS | MAP_LOCKED), -EINVAL);
  ASSERT_EQ(MmapAt(kArea, 2, MAP_DROPPABLE | MAP_ANONYMOUS), static_cast<long>(kArea));
  EXPECT_EQ(VmFlagsAt(kArea), "rd wr mr mw me nr wf dd dp ");
  EXPECT_EQ(sys_mlock(t_, kArea, 2 * P), 0);
  EXPECT_EQ(VmFlagsAt(kArea), "rd wr mr mw me nr wf dd dp ");
  EXPECT_EQ(mm()->locked_vm, 0u);
  EXPECT_EQ(SmapsKb(kArea, "Rss"), 8);
  EXPECT_FALSE(Kpf(Page(kArea), KPF_MLOCKED));
  EXPECT_EQ(sys_madvise(t_, kArea, 2 * P, MADV_KEEPONFORK), -EINVAL);
  ASSERT_EQ(sys_mlockall(t_, MCL_FUTURE | MCL_ONFAULT), 0);
  ASSERT_EQ(MmapAt(kArea + 8 * P, 2, MAP_DROPPABLE | MAP_ANONYMOUS),
            static_cast<long>(kArea + 8 * P));
  EXPECT_EQ(VmFlagsAt(kArea + 8 * P), "rd wr mr mw me nr wf dd dp ");
  EXPECT_EQ(SmapsKb(kArea + 8 * P, "Rss"), 8);
  EXPECT_EQ(mm()->locked_vm, 0u);
  SetMemlock(4096);
  DropCapIpcLock();
  EXPECT_EQ(MmapAt(kArea + 16 * P, 2, MAP_DROPPABLE | MAP_ANONYMOUS), -EAGAIN);
}

// mm/memory.c do_fault_around: a read fault on a file mapping also maps the page-cache pages
// already present in a 16-page window, without counting faults for them
// (tests/fuzz-divergences/fixed/fuzz-diff-s1-629-fault-around.scn on the host). The window
// starts at the faulting page's aligned 16-page block, or at the VMA's start if that is
// later, and runs 16 pages from its start, clamped to the VMA and the page table: a VMA that
// starts inside a block gets a window reaching into the next block
// (tests/fuzz-divergences/fixed/fuzz-diff-s5-124-fault-around-window.scn on the host).
TEST(FaultAround, ReadFaultMapsCachedNeighboursInItsWindow) {
  MachineConfig c;
  c.check_invariants = true;
  Machine m(c);
  Task& t = m.spawn("t", Image::kEmpty);
  m.create_file("/f", 64 * PAGE_SIZE);
  const int fd = static_cast<int>(sys_open(t, "/f", O_RDONLY));
  const long warm = sys_mmap(t, 0, 64 * PAGE_SIZE, PROT_READ, MAP_SHARED, fd, 0);
  ASSERT_GT(warm, 0);
  ASSERT_EQ(user_access(t, warm, 64 * PAGE_SIZE, false), 0);  // the whole file in the cache
  // One VMA starting 16-page aligned, one starting 3 pages into a block; both 32 pages.
  constexpr uint64_t kBase = 0x7f0000000000;  // 2 MiB aligned: one page table
  for (const uint64_t start_page : {uint64_t{16}, uint64_t{67}}) {
    const uint64_t start = kBase + start_page * PAGE_SIZE;
    const long p = sys_mmap(t, start, 32 * PAGE_SIZE, PROT_READ, MAP_SHARED | MAP_FIXED, fd, 0);
    ASSERT_EQ(p, static_cast<long>(start));
    for (const uint64_t fault : {uint64_t{0}, uint64_t{21}}) {  // page index in the VMA
      ASSERT_EQ(sys_madvise(t, start, 32 * PAGE_SIZE, MADV_DONTNEED), 0);
      const uint64_t flt = t.min_flt + t.maj_flt;
      ASSERT_EQ(user_access(t, start + fault * PAGE_SIZE, 1, false), 0);
      EXPECT_EQ(t.min_flt + t.maj_flt, flt + 1);
      const uint64_t vpn = (start >> PAGE_SHIFT) + fault;
      const uint64_t from = std::max(vpn & ~uint64_t{15}, start >> PAGE_SHIFT);
      const uint64_t to = std::min(from + 16, (start >> PAGE_SHIFT) + 32);
      for (uint64_t i = 0; i < 32; ++i) {
        const uint64_t v = (start >> PAGE_SHIFT) + i;
        EXPECT_EQ(page_info(t, v << PAGE_SHIFT).present, v >= from && v < to)
            << "VMA at page " << start_page << ", fault at " << fault << ", page " << i;
      }
    }
  }
  // The VMA at page 67, faulting its first page: pages 67..82 (the next block's 80..82 too).
  ASSERT_EQ(sys_madvise(t, kBase + 67 * PAGE_SIZE, 32 * PAGE_SIZE, MADV_DONTNEED), 0);
  ASSERT_EQ(user_access(t, kBase + 67 * PAGE_SIZE, 1, false), 0);
  EXPECT_TRUE(page_info(t, kBase + 82 * PAGE_SIZE).present);
  EXPECT_FALSE(page_info(t, kBase + 83 * PAGE_SIZE).present);
}

}  // namespace
}  // namespace mmsim
