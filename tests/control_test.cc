// Tests of the control surface (include/mmsim/control.h, sim/control.cc): what front ends do
// to a Machine from outside. Public headers only.
#include "mmsim/control.h"

#include <gtest/gtest.h>

#include <vector>

#include "absl/strings/match.h"
#include "mmsim/procfs.h"
#include "mmsim/syscalls.h"

namespace mmsim {
namespace {

constexpr uint64_t P = PAGE_SIZE;
using control::Batch;
using control::BatchEntry;
using control::BatchOp;

class ControlTest : public ::testing::Test {
 protected:
  ControlTest() : m_(Config()), t_(m_.spawn("t", Image::kEmpty)) {}
  static MachineConfig Config() {
    MachineConfig c;
    c.check_invariants = true;
    c.ram_pages = 1 << 16;
    return c;
  }
  void TearDown() override { EXPECT_TRUE(m_.invariant_status().ok()) << m_.invariant_status(); }
  long Map(Task& t, uint64_t pages, uint64_t flags = MAP_PRIVATE | MAP_ANONYMOUS) {
    const long p = sys_mmap(t, 0, pages * P, PROT_READ | PROT_WRITE, flags, -1, 0);
    EXPECT_GT(p, 0);
    return p;
  }
  uint32_t Folio(long addr) { return page_info(t_, addr).folio; }
  bool Flag(long addr, int kpf) { return page_info(t_, addr).kpageflags >> kpf & 1; }
  std::vector<BatchEntry> Entries(long p, int pages, BatchOp op) {
    std::vector<BatchEntry> out;
    for (int i = 0; i < pages; ++i) out.push_back({Folio(p + i * P), op});
    return out;
  }
  Machine m_;
  Task& t_;
};

// Fresh anonymous folios wait in the lru_add batch, off every list; draining the head takes
// the oldest ones onto the LRU and leaves the rest queued in order.
TEST_F(ControlTest, DrainBatchHeadMovesOnlyTheOldestLruAddEntries) {
  const long p = Map(t_, 4);
  ASSERT_EQ(user_access(t_, p, 4 * P, true), 0);
  ASSERT_EQ(control::batch_contents(m_, 0, Batch::kLruAdd), Entries(p, 4, BatchOp::kMove));
  EXPECT_FALSE(Flag(p, KPF_LRU));
  ASSERT_TRUE(control::drain_batch_head(m_, 0, Batch::kLruAdd, 2).ok());
  EXPECT_TRUE(Flag(p, KPF_LRU));
  EXPECT_TRUE(Flag(p + P, KPF_LRU));
  EXPECT_FALSE(Flag(p + 2 * P, KPF_LRU));
  EXPECT_EQ(control::batch_contents(m_, 0, Batch::kLruAdd), Entries(p + 2 * P, 2, BatchOp::kMove));
  ASSERT_TRUE(control::drain_batch_head(m_, 0, Batch::kLruAdd, 99).ok());  // at most all
  EXPECT_TRUE(Flag(p + 3 * P, KPF_LRU));
  EXPECT_TRUE(control::batch_contents(m_, 0, Batch::kLruAdd).empty());
  EXPECT_TRUE(m_.check_invariants().ok());
}

// Faults in a VM_LOCKED (on fault) VMA queue new folios on the mlock batch, mlocked already
// but off the LRU until drained.
TEST_F(ControlTest, MlockBatchEntriesAndTheirHeadDrain) {
  const long p = Map(t_, 3);
  ASSERT_EQ(sys_mlock2(t_, p, 3 * P, MLOCK_ONFAULT), 0);
  ASSERT_EQ(user_access(t_, p, 3 * P, true), 0);
  ASSERT_EQ(control::batch_contents(m_, 0, Batch::kMlock), Entries(p, 3, BatchOp::kMlockNew));
  ASSERT_TRUE(control::drain_batch_head(m_, 0, Batch::kMlock, 1).ok());
  EXPECT_TRUE(Flag(p, KPF_LRU) && Flag(p, KPF_UNEVICTABLE));
  EXPECT_FALSE(Flag(p + P, KPF_LRU));
  EXPECT_EQ(control::batch_contents(m_, 0, Batch::kMlock), Entries(p + P, 2, BatchOp::kMlockNew));
}

TEST_F(ControlTest, DrainBatchHeadRefusesOtherBatchesAndUnknownCpus) {
  EXPECT_EQ(control::nr_cpus(m_), 2);
  EXPECT_TRUE(absl::IsInvalidArgument(control::drain_batch_head(m_, 0, Batch::kLruActivate, 1)));
  EXPECT_TRUE(absl::IsOutOfRange(control::drain_batch_head(m_, 2, Batch::kLruAdd, 1)));
  EXPECT_TRUE(absl::IsOutOfRange(control::drain_batch_head(m_, -1, Batch::kMlock, 1)));
}

// drain_local_batches drains the CPU of the last kernel entry only; drain_all_batches every
// CPU.
TEST_F(ControlTest, LocalDrainIsTheLastEntrysCpuAllDrainIsEveryCpu) {
  Task& u = m_.spawn("u", Image::kEmpty);
  u.cpu = 1;
  const long a = Map(t_, 2), b = Map(u, 3);
  ASSERT_EQ(user_access(t_, a, 2 * P, true), 0);
  ASSERT_EQ(user_access(u, b, 3 * P, true), 0);
  ASSERT_EQ(control::batch_contents(m_, 0, Batch::kLruAdd).size(), 2u);
  ASSERT_EQ(control::batch_contents(m_, 1, Batch::kLruAdd).size(), 3u);
  control::drain_local_batches(m_);
  EXPECT_EQ(control::batch_contents(m_, 0, Batch::kLruAdd).size(), 2u);
  EXPECT_TRUE(control::batch_contents(m_, 1, Batch::kLruAdd).empty());
  control::drain_all_batches(m_);
  EXPECT_TRUE(control::batch_contents(m_, 0, Batch::kLruAdd).empty());
  EXPECT_TRUE(Flag(a, KPF_LRU));
}

// reclaim frees pages through the machine's policy (about the number asked for); here
// anonymous pages go to swap, and the pages it reports are the pages freed.
TEST_F(ControlTest, ReclaimFreesPagesToSwap) {
  m_.create_file("/swapfile", 64 * P);
  ASSERT_EQ(sys_swapon(t_, "/swapfile", 0), 0);
  const long p = Map(t_, 32);
  ASSERT_EQ(user_access(t_, p, 32 * P, true), 0);
  control::drain_all_batches(m_);
  const uint64_t before = m_.nr_folios_in_use();
  const uint64_t got = control::reclaim(m_, 8);
  EXPECT_GT(got, 0u);
  EXPECT_EQ(m_.nr_folios_in_use(), before - got);
}

// A folio whose refault the model judged not recent, activated afterwards as a recent one
// would have been: active list, workingset counters and nonresident age, no pgactivate.
TEST_F(ControlTest, ActivateAsRefaultActivatesWithoutPgactivate) {
  m_.create_file("/swapfile", 64 * P);
  ASSERT_EQ(sys_swapon(t_, "/swapfile", 0), 0);
  const long p = Map(t_, 2);
  ASSERT_EQ(user_access(t_, p, 2 * P, true), 0);
  control::drain_all_batches(m_);
  ASSERT_EQ(sys_madvise(t_, p, 2 * P, MADV_PAGEOUT), 0);
  ASSERT_EQ(user_access(t_, p, P, false), 0);
  control::drain_all_batches(m_);
  ASSERT_FALSE(Flag(p, KPF_ACTIVE));  // judged not recent
  const int64_t active0 = m_.lru_lists[LRU_ACTIVE_ANON].nr;
  const int64_t pgactivate0 = m_.vmstat[pgactivate];
  const uint64_t age0 = m_.nonresident_age;
  control::activate_as_refault(m_, Folio(p));
  EXPECT_TRUE(Flag(p, KPF_ACTIVE));
  EXPECT_EQ(m_.lru_lists[LRU_ACTIVE_ANON].nr, active0 + 1);
  EXPECT_EQ(m_.vmstat[pgactivate], pgactivate0);
  EXPECT_EQ(m_.vmstat[workingset_activate_anon], 1);
  EXPECT_EQ(m_.nonresident_age, age0 + 1);
  control::activate_as_refault(m_, Folio(p));  // already active: nothing more
  EXPECT_EQ(m_.vmstat[workingset_activate_anon], 1);
  EXPECT_TRUE(m_.check_invariants().ok());
}

TEST_F(ControlTest, VmaAtFindsTheVmaContainingAnAddress) {
  const long p = Map(t_, 4);
  ASSERT_EQ(sys_mprotect(t_, p + 2 * P, 2 * P, PROT_READ), 0);
  const Vma* v = control::vma_at(t_, p + 3 * P + 5);
  ASSERT_NE(v, nullptr);
  EXPECT_EQ(v->vm_start, static_cast<uint64_t>(p + 2 * P));
  EXPECT_EQ(v->vm_end, static_cast<uint64_t>(p + 4 * P));
  EXPECT_EQ(control::vma_at(t_, p + P)->vm_end, static_cast<uint64_t>(p + 2 * P));
  EXPECT_EQ(control::vma_at(t_, p + 4 * P), nullptr);
}

// A swapped-out private page counts one reference; after fork the child's PTE makes two.
TEST_F(ControlTest, SwapCountCountsTheEntrysReferences) {
  m_.create_file("/swapfile", 64 * P);
  ASSERT_EQ(sys_swapon(t_, "/swapfile", 0), 0);
  const long p = Map(t_, 1);
  ASSERT_EQ(user_access(t_, p, P, true), 0);
  control::drain_all_batches(m_);
  ASSERT_EQ(sys_madvise(t_, p, P, MADV_PAGEOUT), 0);
  const PageInfo pi = page_info(t_, p);
  ASSERT_TRUE(pi.swapped);
  EXPECT_EQ(control::swap_count(m_, pi.swap_type, pi.swap_offset), 1u);
  ASSERT_GT(sys_fork(t_), 0);
  EXPECT_EQ(control::swap_count(m_, pi.swap_type, pi.swap_offset), 2u);
}

TEST_F(ControlTest, SetSysctlWritesTheModelledKnobsAndRefusesOthers) {
  EXPECT_EQ(control::modelled_sysctls(),
            (std::vector<absl::string_view>{"vm.max_map_count", "vm.swappiness"}));
  ASSERT_TRUE(control::set_sysctl(m_, "vm.max_map_count", 100).ok());
  EXPECT_EQ(m_.max_map_count(), 100);
  ASSERT_TRUE(control::set_sysctl(m_, "vm.swappiness", 200).ok());
  EXPECT_EQ(m_.swappiness, 200);
  EXPECT_TRUE(absl::IsOutOfRange(control::set_sysctl(m_, "vm.swappiness", 201)));
  EXPECT_TRUE(absl::IsOutOfRange(control::set_sysctl(m_, "vm.max_map_count", 1ull << 31)));
  EXPECT_TRUE(absl::IsNotFound(control::set_sysctl(m_, "vm.overcommit_memory", 1)));
  EXPECT_EQ(m_.swappiness, 200);
  EXPECT_EQ(m_.max_map_count(), 100);
}

TEST_F(ControlTest, MadviseIsModelledNamesImplementedAdviceOnly) {
  EXPECT_TRUE(control::madvise_is_modelled(MADV_DONTNEED));
  EXPECT_TRUE(control::madvise_is_modelled(MADV_PAGEOUT));
  EXPECT_FALSE(control::madvise_is_modelled(MADV_FREE));  // valid, not modelled
  EXPECT_FALSE(control::madvise_is_modelled(12345));      // not valid advice
}

}  // namespace
}  // namespace mmsim
