// Tests of sim/vmscan.cc: reclaim honours VM_LOCKED through the rmap walks
// (folio_referenced, try_to_unmap), and MADV_PAGEOUT without swap.
#include <fcntl.h>
#include <gtest/gtest.h>

#include "mmsim/procfs.h"
#include "mmsim/syscalls.h"
#include "sim/internal.h"

namespace mmsim {
namespace {

MachineConfig SmallMachine() {
  MachineConfig c;
  c.ram_pages = 4096;  // 16 MiB: watermarks min 128, low 160, high 192 pages
  c.check_invariants = true;
  return c;
}

TEST(Vmscan, WatermarksFollowSetupPerZoneWmarks) {
  Machine m(SmallMachine());
  EXPECT_EQ(m.wmark_min, 128u);  // sqrt(16384 kB * 16) = 512 kB
  EXPECT_EQ(m.wmark_low, 160u);
  EXPECT_EQ(m.wmark_high, 192u);
}

// A file larger than memory is read through two mappings of it: the locked one (first 64
// pages) and an unlocked one. Reclaim frees unlocked page-cache pages and never a page
// that a VM_LOCKED VMA maps, even though the unlocked mapping maps it too.
TEST(Vmscan, ReclaimNeverEvictsPagesMappedByVmLocked) {
  Machine m(SmallMachine());
  Task& t = m.spawn("A", Image::kEmpty);
  constexpr uint64_t kPages = 8192;
  ASSERT_NE(m.create_file("/data/big", kPages * PAGE_SIZE), nullptr);
  long fd = sys_open(t, "/data/big", O_RDONLY);
  ASSERT_GE(fd, 3);
  long locked = sys_mmap(t, 0, 64 * PAGE_SIZE, PROT_READ, MAP_SHARED, static_cast<int>(fd), 0);
  ASSERT_GT(locked, 0);
  ASSERT_EQ(sys_mlock(t, locked, 64 * PAGE_SIZE), 0);
  long all = sys_mmap(t, 0, kPages * PAGE_SIZE, PROT_READ, MAP_SHARED, static_cast<int>(fd), 0);
  ASSERT_GT(all, 0);
  ASSERT_EQ(user_access(t, all, kPages * PAGE_SIZE, false), 0);
  EXPECT_GT(m.vmstat[pgsteal_file], 0);
  for (uint64_t i = 0; i < 64; ++i) {
    PageInfo pi = page_info(t, locked + i * PAGE_SIZE);
    ASSERT_TRUE(pi.present) << i;
    EXPECT_TRUE(pi.kpageflags & (1ull << KPF_MLOCKED)) << i;
  }
  EXPECT_TRUE(m.invariant_status().ok()) << m.invariant_status();
}

// No swap: MADV_PAGEOUT of written anonymous pages cannot reclaim them; shrink_folio_list
// activates them (pgactivate) and they return through the lru_add batch.
TEST(Vmscan, PageoutWithoutSwapActivatesAnonPages) {
  Machine m(SmallMachine());
  Task& t = m.spawn("A", Image::kEmpty);
  long p =
      sys_mmap(t, 0, 4 * PAGE_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  ASSERT_EQ(user_access(t, p, 4 * PAGE_SIZE, true), 0);
  lru_add_drain(m);
  const int64_t act = m.vmstat[pgactivate];
  ASSERT_EQ(sys_madvise(t, p, 4 * PAGE_SIZE, MADV_PAGEOUT), 0);
  EXPECT_EQ(m.vmstat[pgactivate], act + 4);
  PageInfo pi = page_info(t, p);
  EXPECT_TRUE(pi.present);
  EXPECT_TRUE(pi.kpageflags & (1ull << KPF_ACTIVE));
  EXPECT_FALSE(pi.kpageflags & (1ull << KPF_LRU));  // in the lru_add batch until a drain
  lru_add_drain(m);
  EXPECT_EQ(m.vmstat[nr_active_anon], 4);
  EXPECT_TRUE(m.invariant_status().ok()) << m.invariant_status();
}

// A folio on the inactive list mapped by a VM_LOCKED VMA but not PG_mlocked (possible when
// mlock_count erred low) is found by folio_referenced, mlocked, and culled.
TEST(Vmscan, FolioReferencedMlocksAndStops) {
  Machine m(SmallMachine());
  Task& t = m.spawn("A", Image::kEmpty);
  long p = sys_mmap(t, 0, PAGE_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  ASSERT_EQ(user_access(t, p, PAGE_SIZE, true), 0);
  lru_add_drain(m);
  Vma* v = vma_lookup(t.mm.get(), p);
  v->vm_flags |= VM_LOCKED;  // as if the page had been munlocked early by a low count
  t.mm->locked_vm += 1;
  vm_flags_t flags;
  const uint32_t folio = page_info(t, p).folio;
  EXPECT_EQ(folio_referenced(m, folio, &flags), 0);
  EXPECT_TRUE(flags & VM_LOCKED);
  EXPECT_TRUE(m.folio(folio).flags & PG_mlocked);
  EXPECT_FALSE(try_to_unmap(m, folio));
}

}  // namespace
}  // namespace mmsim
