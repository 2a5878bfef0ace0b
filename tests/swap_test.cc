// Tests of sim/swapfile.cc and the swap paths of sim/vmscan.cc, sim/memory.cc and sim/fork.cc
// (mm/swapfile.c swap_map counts and continuation, add_to_swap / try_to_unmap,
// do_swap_page, copy_nonpresent_pte → swap_duplicate, free_swap_and_cache, swapoff).
#include <gtest/gtest.h>

#include "absl/strings/str_cat.h"
#include "mmsim/procfs.h"
#include "mmsim/syscalls.h"
#include "sim/internal.h"

namespace mmsim {
namespace {

class SwapTest : public ::testing::Test {
 protected:
  SwapTest() : m_(Config()), a_(m_.spawn("A", Image::kEmpty)) {
    m_.create_file("/swapfile", 64 * PAGE_SIZE);  // 63 usable slots
    EXPECT_EQ(sys_swapon(a_, "/swapfile", 0), 0);
  }
  static MachineConfig Config() {
    MachineConfig c;
    c.check_invariants = true;
    return c;
  }
  void TearDown() override { EXPECT_TRUE(m_.invariant_status().ok()) << m_.invariant_status(); }
  long MapWritten(uint64_t pages) {
    long p = sys_mmap(a_, 0, pages * PAGE_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
                      -1, 0);
    EXPECT_GT(p, 0);
    EXPECT_EQ(user_access(a_, p, pages * PAGE_SIZE, true), 0);
    lru_add_drain(m_);
    return p;
  }
  uint64_t SlotCount(const Task& t, uint64_t addr) {
    PageInfo pi = page_info(t, addr);
    EXPECT_TRUE(pi.swapped);
    return swp_swapcount(m_, {pi.swap_type, pi.swap_offset});
  }
  Machine m_;
  Task& a_;
};

TEST_F(SwapTest, SwaponAssignsAutomaticPrioritiesDownFromMinusTwo) {
  EXPECT_EQ(m_.swap_info[0]->prio, -2);
  m_.create_file("/swap2", 16 * PAGE_SIZE);
  ASSERT_EQ(sys_swapon(a_, "/swap2", 0), 0);
  EXPECT_EQ(m_.swap_info[1]->prio, -3);
  EXPECT_EQ(sys_swapon(a_, "/swap2", 0), -EBUSY);
  EXPECT_EQ(sys_swapon(a_, "/nonexistent", 0), -ENOENT);
}

TEST_F(SwapTest, TheTwentyNinthSwaponFails) {
  for (int i = 1; i < MAX_SWAPFILES; ++i) {
    const std::string path = "/s" + std::to_string(i);
    m_.create_file(path, 4 * PAGE_SIZE);
    ASSERT_EQ(sys_swapon(a_, path, 0), 0) << i;
  }
  m_.create_file("/one-too-many", 4 * PAGE_SIZE);
  EXPECT_EQ(sys_swapon(a_, "/one-too-many", 0), -EPERM);
}

// MADV_PAGEOUT of 4 written pages: each PTE becomes a swap entry of device 0, slots 1..4,
// count 1; VmSwap 16 kB; SwapFree 4 pages lower. reclaim_pages counts neither pgscan nor
// pgsteal (only shrink_inactive_list does; docs/host-facts.md item 49 on the host).
TEST_F(SwapTest, PageoutSwapsAnonymousPagesOut) {
  long p = MapWritten(4);
  const uint64_t free_before = nr_swap_pages(m_);
  ASSERT_EQ(sys_madvise(a_, p, 4 * PAGE_SIZE, MADV_PAGEOUT), 0);
  for (int i = 0; i < 4; ++i) {
    PageInfo pi = page_info(a_, p + i * PAGE_SIZE);
    ASSERT_TRUE(pi.swapped) << i;
    EXPECT_EQ(pi.swap_type, 0u);
    EXPECT_EQ(SlotCount(a_, p + i * PAGE_SIZE), 1u);
  }
  EXPECT_EQ(a_.mm->rss_stat[MM_SWAPENTS], 4);
  EXPECT_EQ(a_.mm->rss_stat[MM_ANONPAGES], 0);
  EXPECT_EQ(nr_swap_pages(m_), free_before - 4);
  EXPECT_NE(proc_pid_status(a_).find("VmSwap:\t      16 kB"), std::string::npos);
  EXPECT_EQ(m_.vmstat[pgsteal_anon], 0);
  EXPECT_EQ(m_.vmstat[pgscan_anon], 0);
}

// A locked page is never swapped: MADV_PAGEOUT refuses the VMA.
TEST_F(SwapTest, LockedPagesAreNotPagedOut) {
  long p = MapWritten(2);
  ASSERT_EQ(sys_mlock(a_, p, 2 * PAGE_SIZE), 0);
  EXPECT_EQ(sys_madvise(a_, p, 2 * PAGE_SIZE, MADV_PAGEOUT), -EINVAL);
  EXPECT_TRUE(page_info(a_, p).present);
}

// fork duplicates swap entries: one slot, count 2, SwapFree unchanged; the slot is free only
// when both PTEs are gone.
TEST_F(SwapTest, ForkSharesTheSlotAndExitReleasesIt) {
  long p = MapWritten(1);
  ASSERT_EQ(sys_madvise(a_, p, PAGE_SIZE, MADV_PAGEOUT), 0);
  const uint64_t free_before = nr_swap_pages(m_);
  Task* b = m_.find_task(static_cast<int>(sys_fork(a_)));
  EXPECT_EQ(nr_swap_pages(m_), free_before);
  EXPECT_EQ(SlotCount(a_, p), 2u);
  EXPECT_EQ(page_info(*b, p).swap_offset, page_info(a_, p).swap_offset);
  ASSERT_EQ(sys_exit(*b), 0);
  EXPECT_EQ(SlotCount(a_, p), 1u);
  ASSERT_EQ(sys_munmap(a_, p, PAGE_SIZE), 0);
  EXPECT_EQ(nr_swap_pages(m_), free_before + 1);
}

// One swapped page shared by 200 children: the count passes SWAP_MAP_MAX into continuation
// pages and comes back to a free slot as they exit.
TEST_F(SwapTest, CountContinuationPastSwapMapMax) {
  long p = MapWritten(1);
  ASSERT_EQ(sys_madvise(a_, p, PAGE_SIZE, MADV_PAGEOUT), 0);
  const PageInfo pi = page_info(a_, p);
  std::vector<Task*> kids;
  for (int i = 0; i < 200; ++i) kids.push_back(m_.find_task(static_cast<int>(sys_fork(a_))));
  EXPECT_EQ(SlotCount(a_, p), 201u);
  const SwapInfo& si = *m_.swap_info[0];
  EXPECT_TRUE(si.swap_map[pi.swap_offset] & COUNT_CONTINUED);
  EXPECT_EQ(si.cont_pages, 1u);
  for (Task* k : kids) ASSERT_EQ(sys_exit(*k), 0);
  EXPECT_EQ(SlotCount(a_, p), 1u);
  EXPECT_EQ(si.swap_map[pi.swap_offset], 1);
  ASSERT_EQ(sys_munmap(a_, p, PAGE_SIZE), 0);
  EXPECT_EQ(si.swap_map[pi.swap_offset], 0);
  EXPECT_EQ(si.inuse_pages, 0u);
}

// A read fault brings the page back through the swap cache, which keeps the slot
// (SWAP_HAS_CACHE, no user) while swap is far from full; the exclusive page is mapped
// writable, so a later write does not fault. A write fault frees the slot at once.
TEST_F(SwapTest, SwapInReadKeepsTheSwapCacheWriteFreesIt) {
  long p = MapWritten(2);
  ASSERT_EQ(sys_madvise(a_, p, 2 * PAGE_SIZE, MADV_PAGEOUT), 0);
  const PageInfo out0 = page_info(a_, p), out1 = page_info(a_, p + PAGE_SIZE);
  const int64_t maj = m_.vmstat[pgmajfault];
  ASSERT_EQ(user_access(a_, p, 1, false), 0);
  EXPECT_EQ(m_.vmstat[pgmajfault], maj + 1);
  const SwapInfo& si = *m_.swap_info[0];
  EXPECT_EQ(si.swap_map[out0.swap_offset], SWAP_HAS_CACHE);
  EXPECT_TRUE(page_info(a_, p).kpageflags & (1ull << KPF_SWAPCACHE));
  EXPECT_TRUE(page_info(a_, p).writable);
  ASSERT_EQ(user_access(a_, p + PAGE_SIZE, 1, true), 0);
  EXPECT_EQ(si.swap_map[out1.swap_offset], 0);
  EXPECT_FALSE(page_info(a_, p + PAGE_SIZE).kpageflags & (1ull << KPF_SWAPCACHE));
  // munmap drops the stale swap-cache copy with the last mapping.
  ASSERT_EQ(sys_munmap(a_, p, 2 * PAGE_SIZE), 0);
  EXPECT_EQ(si.inuse_pages, 0u);
}

// The host sequence of docs/host-facts.md (swap file, 4 pages paged out): slots 1-4 in
// order; a read swap-in of an exclusive page keeps its slot (Used unchanged) and a write
// after it does not fault; after a fork (which clears the exclusive bit) a read then a write
// frees the slot, and so does a write fault straight from swap.
TEST_F(SwapTest, HostSequenceExclusiveBitAndFork) {
  long p = MapWritten(4);
  ASSERT_EQ(sys_madvise(a_, p, 4 * PAGE_SIZE, MADV_PAGEOUT), 0);
  for (uint64_t i = 0; i < 4; ++i) EXPECT_EQ(page_info(a_, p + i * PAGE_SIZE).swap_offset, i + 1);
  const SwapInfo& si = *m_.swap_info[0];
  EXPECT_EQ(si.inuse_pages, 4u);
  ASSERT_EQ(user_access(a_, p, 1, false), 0);
  EXPECT_EQ(si.inuse_pages, 4u);
  ASSERT_EQ(user_access(a_, p, 1, true), 0);
  EXPECT_EQ(si.inuse_pages, 4u);
  Task* b = m_.find_task(static_cast<int>(sys_fork(a_)));
  ASSERT_EQ(sys_exit(*b), 0);
  ASSERT_EQ(user_access(a_, p + PAGE_SIZE, 1, false), 0);
  EXPECT_EQ(si.inuse_pages, 4u);
  ASSERT_EQ(user_access(a_, p + PAGE_SIZE, 1, true), 0);
  EXPECT_EQ(si.inuse_pages, 3u);
  ASSERT_EQ(user_access(a_, p + 2 * PAGE_SIZE, 1, true), 0);
  EXPECT_EQ(si.inuse_pages, 2u);
  EXPECT_TRUE(page_info(a_, p + 3 * PAGE_SIZE).swapped);
}

// swapoff brings every page back (try_to_unuse) and frees the device.
TEST_F(SwapTest, SwapoffBringsPagesBack) {
  long p = MapWritten(3);
  ASSERT_EQ(sys_madvise(a_, p, 3 * PAGE_SIZE, MADV_PAGEOUT), 0);
  ASSERT_EQ(sys_swapoff(a_, "/swapfile"), 0);
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(page_info(a_, p + i * PAGE_SIZE).present);
  EXPECT_EQ(a_.mm->rss_stat[MM_SWAPENTS], 0);
  EXPECT_EQ(total_swap_pages(m_), 0u);
  EXPECT_EQ(sys_swapoff(a_, "/swapfile"), -EINVAL);
}

// Under memory pressure with swap, reclaim swaps unlocked anonymous pages out and leaves
// the locked ones resident.
TEST(SwapReclaim, PressureSwapsUnlockedAnonNeverLocked) {
  MachineConfig c;
  c.ram_pages = 4096;
  c.check_invariants = true;
  Machine m(c);
  Task& t = m.spawn("A", Image::kEmpty);
  m.create_file("/swapfile", 8192 * PAGE_SIZE);
  ASSERT_EQ(sys_swapon(t, "/swapfile", 0), 0);
  long locked = sys_mmap(t, 0, 256 * PAGE_SIZE, PROT_READ | PROT_WRITE,
                         MAP_PRIVATE | MAP_ANONYMOUS | MAP_LOCKED, -1, 0);
  ASSERT_GT(locked, 0);
  long big =
      sys_mmap(t, 0, 6000 * PAGE_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  ASSERT_EQ(user_access(t, big, 6000 * PAGE_SIZE, true), 0);
  EXPECT_GT(t.mm->rss_stat[MM_SWAPENTS], 0);
  for (int i = 0; i < 256; ++i) ASSERT_TRUE(page_info(t, locked + i * PAGE_SIZE).present) << i;
  EXPECT_TRUE(m.invariant_status().ok()) << m.invariant_status();
}

// mm/workingset.c: a page paged out leaves a shadow in its slot; reading it back counts a
// refault and, when the refault distance fits in the workingset (here: other pages on the
// active anonymous list, swap being available), activates it at once. The shadow goes with
// the slot.
TEST_F(SwapTest, RefaultWithinTheWorkingsetIsActivated) {
  const long hot = MapWritten(8);
  for (int i = 0; i < 8; ++i) {  // 8 pages accessed twice: active, the workingset
    const uint32_t f = page_info(a_, hot + i * PAGE_SIZE).folio;
    folio_mark_accessed(m_, f);
    folio_mark_accessed(m_, f);
  }
  lru_add_drain(m_);
  const long p = MapWritten(1);
  const uint64_t age0 = m_.nonresident_age;
  ASSERT_EQ(sys_madvise(a_, p, PAGE_SIZE, MADV_PAGEOUT), 0);
  EXPECT_EQ(m_.nonresident_age, age0 + 1);  // workingset_eviction ages by one
  PageInfo pi = page_info(a_, p);
  ASSERT_TRUE(pi.swapped);
  EXPECT_EQ(m_.swap_info[pi.swap_type]->shadows.count(pi.swap_offset), 1u);
  EXPECT_EQ(user_access(a_, p, PAGE_SIZE, false), 0);
  EXPECT_EQ(m_.vmstat[workingset_refault_anon], 1);
  EXPECT_EQ(m_.vmstat[workingset_activate_anon], 1);  // distance 1 <= 8 active anon pages
  EXPECT_EQ(m_.vmstat[workingset_restore_anon], 0);   // it was never on the active list
  lru_add_drain(m_);
  EXPECT_TRUE((page_info(a_, p).kpageflags >> KPF_ACTIVE) & 1);
  EXPECT_TRUE(m_.swap_info[pi.swap_type]->shadows.empty());
}

// The same refault with nothing else resident is not recent (distance 1 > workingset 0): the
// page goes to the inactive list; and a shadow whose slot is freed (munmap) disappears.
TEST_F(SwapTest, RefaultOutsideTheWorkingsetStaysInactive) {
  const long p = MapWritten(2);
  ASSERT_EQ(sys_madvise(a_, p, 2 * PAGE_SIZE, MADV_PAGEOUT), 0);
  EXPECT_EQ(user_access(a_, p, PAGE_SIZE, false), 0);
  EXPECT_EQ(m_.vmstat[workingset_refault_anon], 1);
  EXPECT_EQ(m_.vmstat[workingset_activate_anon], 0);
  lru_add_drain(m_);
  EXPECT_FALSE((page_info(a_, p).kpageflags >> KPF_ACTIVE) & 1);
  const PageInfo second = page_info(a_, p + PAGE_SIZE);
  ASSERT_TRUE(second.swapped);
  EXPECT_EQ(m_.swap_info[second.swap_type]->shadows.count(second.swap_offset), 1u);
  ASSERT_EQ(sys_munmap(a_, p + PAGE_SIZE, PAGE_SIZE), 0);
  EXPECT_EQ(m_.swap_info[second.swap_type]->shadows.count(second.swap_offset), 0u);
}

// ---- the cluster allocator (mm/swapfile.c cluster_alloc_swap_entry) ----

// Devices of `slots` slots each at the given priorities, and a task whose anonymous pages
// are paged out one at a time.
class SwapClusterTest : public ::testing::Test {
 protected:
  SwapClusterTest() : m_(Config()), a_(m_.spawn("A", Image::kEmpty)) {}
  static MachineConfig Config() {
    MachineConfig c;
    c.check_invariants = true;
    c.nr_cpus = 2;
    return c;
  }
  void TearDown() override { EXPECT_TRUE(m_.invariant_status().ok()) << m_.invariant_status(); }
  void Swapon(const std::string& path, uint64_t slots, int prio) {
    m_.create_file(path, slots * PAGE_SIZE);
    ASSERT_EQ(sys_swapon(a_, path, 0x8000 | prio), 0);
  }
  void Map(uint64_t pages) {
    p_ = sys_mmap(a_, 0, pages * PAGE_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1,
                  0);
    ASSERT_GT(p_, 0);
    ASSERT_EQ(user_access(a_, p_, pages * PAGE_SIZE, true), 0);
    lru_add_drain(m_);
  }
  // Pages out page i of the mapping; "type:offset" of its slot.
  std::string Pageout(uint64_t i, Task* t = nullptr) {
    if (!t) t = &a_;
    EXPECT_EQ(sys_madvise(*t, p_ + i * PAGE_SIZE, PAGE_SIZE, MADV_PAGEOUT), 0);
    const PageInfo pi = page_info(*t, p_ + i * PAGE_SIZE);
    EXPECT_TRUE(pi.swapped) << i;
    return absl::StrCat(pi.swap_type, ":", pi.swap_offset);
  }
  void Unmap(uint64_t i) { ASSERT_EQ(sys_munmap(a_, p_ + i * PAGE_SIZE, PAGE_SIZE), 0); }
  SwapClusterInfo::Flag Flag(int type, uint64_t cluster) {
    return m_.swap_info[type]->cluster_info[cluster].flags;
  }

  Machine m_;
  Task& a_;
  long p_ = 0;
};

// A rotating device allocates through one cursor: slots 1, 2, 3, ... of cluster 0 (whose
// header slot 0 put it on the nonfull list at swapon), then a free cluster. A slot freed
// behind the cursor is not reused until the cursor's cluster is used up: then the nonfull
// list (the cluster with the hole) comes before the free list.
TEST_F(SwapClusterTest, RotatingDeviceFollowsItsCursorThenTheNonfullList) {
  Swapon("/swap", 4 * SWAPFILE_CLUSTER, 5);  // clusters 0..3
  EXPECT_EQ(Flag(0, 0), SwapClusterInfo::CLUSTER_FLAG_NONFULL);
  EXPECT_EQ(Flag(0, 1), SwapClusterInfo::CLUSTER_FLAG_FREE);
  Map(1100);
  for (uint64_t i = 0; i < 511; ++i) ASSERT_EQ(Pageout(i), absl::StrCat("0:", i + 1));
  EXPECT_EQ(Flag(0, 0), SwapClusterInfo::CLUSTER_FLAG_FULL);
  EXPECT_EQ(m_.swap_info[0]->global_cluster_next, 0u);  // cluster 0 used up
  EXPECT_EQ(Pageout(511), "0:512");                     // a free cluster
  EXPECT_EQ(Flag(0, 1), SwapClusterInfo::CLUSTER_FLAG_FRAG);
  Unmap(1);  // frees slot 2: cluster 0 goes to the nonfull list
  EXPECT_EQ(Flag(0, 0), SwapClusterInfo::CLUSTER_FLAG_NONFULL);
  EXPECT_EQ(Pageout(512), "0:513");  // the cursor goes on (lowest-free would give 2)
  for (uint64_t i = 513; i < 1023; ++i) ASSERT_EQ(Pageout(i), absl::StrCat("0:", i + 1));
  EXPECT_EQ(Flag(0, 1), SwapClusterInfo::CLUSTER_FLAG_FULL);
  EXPECT_EQ(Pageout(1023), "0:2");     // nonfull before free
  EXPECT_EQ(Pageout(1024), "0:1024");  // then cluster 2 from the free list
  EXPECT_EQ(m_.swap_info[0]->inuse_pages, 1024u);
}

// Equal-priority rotating devices take turns slot by slot (every allocation goes through
// swap_alloc_slow, which requeues the device it used); a higher priority always comes first.
TEST_F(SwapClusterTest, EqualPriorityRotatingDevicesTakeTurnsPerSlot) {
  Swapon("/a", 64, 7);
  Swapon("/b", 64, 7);
  Swapon("/low", 64, 3);
  Map(4);
  EXPECT_EQ(Pageout(0), "0:1");
  EXPECT_EQ(Pageout(1), "1:1");
  EXPECT_EQ(Pageout(2), "0:2");
  EXPECT_EQ(Pageout(3), "1:2");
}

// A solid-state device keeps each CPU on its own cluster (swap_alloc_fast); equal-priority
// devices then take turns per cluster, not per slot. Another CPU starts from the device the
// requeue left first.
TEST_F(SwapClusterTest, SolidStateDevicesKeepAPerCpuCluster) {
  Swapon("/a", 4 * SWAPFILE_CLUSTER, 7);
  Swapon("/b", 4 * SWAPFILE_CLUSTER, 7);
  m_.swap_info[0]->solidstate = m_.swap_info[1]->solidstate = true;
  Map(8);
  EXPECT_EQ(Pageout(0), "0:1");
  EXPECT_EQ(Pageout(1), "0:2");
  EXPECT_EQ(Pageout(2), "0:3");
  ASSERT_EQ(m_.percpu_swap_cluster.size(), 1u);
  EXPECT_EQ(m_.percpu_swap_cluster[0].type, 0);
  EXPECT_EQ(m_.percpu_swap_cluster[0].offset, 4u);
  a_.cpu = 1;
  EXPECT_EQ(Pageout(3), "1:1");
  EXPECT_EQ(Pageout(4), "1:2");
  a_.cpu = 0;
  EXPECT_EQ(Pageout(5), "0:4");
  // swapoff forgets the per-CPU cluster on the device.
  Unmap(0);
  Unmap(1);
  Unmap(2);
  Unmap(5);
  ASSERT_EQ(sys_swapoff(a_, "/a"), 0);
  EXPECT_EQ(m_.percpu_swap_cluster[0].type, -1);
}

// A full device leaves the avail list and the next priority takes over; a freed slot puts it
// back, and its hole (on the nonfull list) is used first.
TEST_F(SwapClusterTest, FullDeviceLeavesTheAvailListUntilASlotIsFreed) {
  Swapon("/high", 64, 10);  // 63 usable slots
  Swapon("/low", 64, 5);
  Map(70);
  for (uint64_t i = 0; i < 63; ++i) ASSERT_EQ(Pageout(i), absl::StrCat("0:", i + 1));
  EXPECT_EQ(m_.swap_avail_list, std::vector<int>{1});
  EXPECT_EQ(Pageout(63), "1:1");
  Unmap(10);  // slot 0:11
  EXPECT_EQ(m_.swap_avail_list, (std::vector<int>{0, 1}));
  EXPECT_EQ(Pageout(64), "0:11");
  EXPECT_EQ(Pageout(65), "1:2");
}

}  // namespace
}  // namespace mmsim
