// Tests of sim/fork.cc: dup_mmap, threads, execve and exit (kernel/fork.c, mm/mmap.c).
#include <gtest/gtest.h>

#include "mmsim/procfs.h"
#include "mmsim/syscalls.h"
#include "sim/internal.h"

namespace mmsim {
namespace {

class ForkTest : public ::testing::Test {
 protected:
  ForkTest() : m_(Config()), a_(m_.spawn("A", Image::kEmpty)) {}
  static MachineConfig Config() {
    MachineConfig c;
    c.check_invariants = true;
    return c;
  }
  void TearDown() override { EXPECT_TRUE(m_.invariant_status().ok()) << m_.invariant_status(); }
  uint64_t Map(uint64_t addr, uint64_t pages) {
    long r = sys_mmap(a_, addr, pages * PAGE_SIZE, PROT_READ | PROT_WRITE,
                      MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
    EXPECT_EQ(r, static_cast<long>(addr));
    return addr;
  }
  Machine m_;
  Task& a_;
};

constexpr uint64_t kA = 0x10000000;

// 0123
// ALLA   parent: page 1-2 locked, written
// AAAA   child: same boundaries (3 VMAs), none locked; locked_vm 0
TEST_F(ForkTest, DupMmapClearsVmLockedKeepsBoundaries) {
  Map(kA, 4);
  ASSERT_EQ(user_access(a_, kA, 4 * PAGE_SIZE, true), 0);
  ASSERT_EQ(sys_mlock(a_, kA + PAGE_SIZE, 2 * PAGE_SIZE), 0);
  long pid = sys_fork(a_);
  ASSERT_GT(pid, 0);
  Task* b = m_.find_task(static_cast<int>(pid));
  ASSERT_NE(b, nullptr);
  EXPECT_EQ(b->mm->map_count, 3);
  EXPECT_EQ(b->mm->locked_vm, 0u);
  EXPECT_EQ(a_.mm->locked_vm, 2u);
  for (auto& [s, v] : b->mm->mm_mt) EXPECT_FALSE(v->vm_flags & VM_LOCKED_MASK);
  // Shared COW folio stays mlocked while the parent's locked VMA maps it.
  PageInfo pi = page_info(*b, kA + PAGE_SIZE);
  EXPECT_TRUE(pi.kpageflags & (1ull << KPF_MLOCKED));
  EXPECT_EQ(pi.kpagecount, 2);
}

// Parent writes the shared locked page: its new copy is mlocked; the old one (now the
// child's alone) is munlocked and rescued.
TEST_F(ForkTest, ParentCowWriteMovesTheLock) {
  Map(kA, 1);
  ASSERT_EQ(user_access(a_, kA, PAGE_SIZE, true), 0);
  ASSERT_EQ(sys_mlock(a_, kA, PAGE_SIZE), 0);
  Task* b = m_.find_task(static_cast<int>(sys_fork(a_)));
  const int64_t rescued = m_.vmstat[unevictable_pgs_rescued];
  ASSERT_EQ(user_access(a_, kA, PAGE_SIZE, true), 0);
  // The munlock of the old folio waits in this CPU's mlock batch until a drain.
  EXPECT_TRUE(page_info(*b, kA).kpageflags & (1ull << KPF_MLOCKED));
  EXPECT_EQ(m_.vmstat[unevictable_pgs_rescued], rescued);
  lru_add_drain(m_);
  PageInfo pa = page_info(a_, kA), pb = page_info(*b, kA);
  EXPECT_NE(pa.folio, pb.folio);
  EXPECT_TRUE(pa.kpageflags & (1ull << KPF_MLOCKED));
  EXPECT_FALSE(pb.kpageflags & (1ull << KPF_MLOCKED));
  EXPECT_FALSE(pb.kpageflags & (1ull << KPF_UNEVICTABLE));
  EXPECT_EQ(m_.vmstat[unevictable_pgs_rescued], rescued + 1);
}

// Child writes: it gets an unlocked copy; the parent's page stays mlocked.
TEST_F(ForkTest, ChildCowWriteGetsUnlockedCopy) {
  Map(kA, 1);
  ASSERT_EQ(user_access(a_, kA, PAGE_SIZE, true), 0);
  ASSERT_EQ(sys_mlock(a_, kA, PAGE_SIZE), 0);
  Task* b = m_.find_task(static_cast<int>(sys_fork(a_)));
  ASSERT_EQ(user_access(*b, kA, PAGE_SIZE, true), 0);
  EXPECT_TRUE(page_info(a_, kA).kpageflags & (1ull << KPF_MLOCKED));
  EXPECT_FALSE(page_info(*b, kA).kpageflags & (1ull << KPF_MLOCKED));
  EXPECT_EQ(page_info(a_, kA).kpagecount, 1);
}

TEST_F(ForkTest, McLFutureIsNotInheritedByForkOrExec) {
  ASSERT_EQ(sys_mlockall(a_, MCL_FUTURE), 0);
  Task* b = m_.find_task(static_cast<int>(sys_fork(a_)));
  EXPECT_EQ(b->mm->def_flags & VM_LOCKED, 0u);
  long p = sys_mmap(*b, 0, PAGE_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  ASSERT_GT(p, 0);
  EXPECT_FALSE(vma_lookup(b->mm.get(), p)->vm_flags & VM_LOCKED);
  long q = sys_mmap(a_, 0, PAGE_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  EXPECT_TRUE(vma_lookup(a_.mm.get(), q)->vm_flags & VM_LOCKED);
  ASSERT_EQ(sys_execve(a_), 0);
  EXPECT_EQ(a_.mm->def_flags & VM_LOCKED, 0u);
  EXPECT_EQ(a_.mm->locked_vm, 0u);
}

TEST_F(ForkTest, DontcopyAbsentWipeonforkEmpty) {
  Map(kA, 1);
  Map(kA + 2 * PAGE_SIZE, 1);
  ASSERT_EQ(user_access(a_, kA, PAGE_SIZE, true), 0);
  ASSERT_EQ(user_access(a_, kA + 2 * PAGE_SIZE, PAGE_SIZE, true), 0);
  ASSERT_EQ(sys_madvise(a_, kA, PAGE_SIZE, MADV_DONTFORK), 0);
  ASSERT_EQ(sys_madvise(a_, kA + 2 * PAGE_SIZE, PAGE_SIZE, MADV_WIPEONFORK), 0);
  Task* b = m_.find_task(static_cast<int>(sys_fork(a_)));
  EXPECT_EQ(vma_lookup(b->mm.get(), kA), nullptr);
  Vma* w = vma_lookup(b->mm.get(), kA + 2 * PAGE_SIZE);
  ASSERT_NE(w, nullptr);
  EXPECT_TRUE(w->vm_flags & VM_WIPEONFORK);
  EXPECT_FALSE(page_info(*b, kA + 2 * PAGE_SIZE).present);
  EXPECT_EQ(b->mm->total_vm, 1u);
}

TEST_F(ForkTest, ThreadsShareLocksAndExitFreesPages) {
  Map(kA, 2);
  long tid = sys_clone_thread(a_);
  Task* t2 = m_.find_task(static_cast<int>(tid));
  ASSERT_EQ(sys_mlock(*t2, kA, 2 * PAGE_SIZE), 0);
  EXPECT_EQ(a_.mm->locked_vm, 2u);
  EXPECT_EQ(m_.vmstat[nr_mlock], 2);
  ASSERT_EQ(sys_exit(*t2), 0);
  EXPECT_EQ(a_.mm->locked_vm, 2u);  // the mm lives on with the other thread
  ASSERT_EQ(sys_exit(a_), 0);
  // exit_mmap queued the munlocks; they (and the frees) happen at the next drain.
  EXPECT_EQ(m_.vmstat[nr_mlock], 2);
  lru_add_drain(m_);
  EXPECT_EQ(m_.vmstat[nr_mlock], 0);
  EXPECT_EQ(m_.vmstat[unevictable_pgs_munlocked], 2);
  EXPECT_EQ(m_.nr_folios_in_use(), 0u);
}

// mm/memory.c wp_can_reuse_anon_folio (tests/fuzz-divergences/fixed/fuzz-diff-s2-418-*, on the
// host): after fork, the child's munmap of its locked copy queues a munlock of the shared
// folio in the mlock batch. The parent's write then finds the folio mapped once but still
// referenced by the batch (and on the unevictable LRU, so no drain first): it copies.
TEST_F(ForkTest, WriteCopiesAPageStillHeldByABatch) {
  ASSERT_EQ(sys_mmap(a_, kA, PAGE_SIZE, PROT_READ | PROT_WRITE,
                     MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED | MAP_LOCKED, -1, 0),
            static_cast<long>(kA));
  const uint32_t before = page_info(a_, kA).folio;
  long pid = sys_fork(a_);
  ASSERT_GT(pid, 0);
  Task& b = *m_.find_task(static_cast<int>(pid));
  ASSERT_EQ(sys_mlockall(b, MCL_CURRENT | MCL_ONFAULT), 0);
  ASSERT_EQ(sys_munmap(b, kA, PAGE_SIZE), 0);
  EXPECT_EQ(m_.folio(before).mapcount, 1);
  EXPECT_GT(m_.folio(before).batch_refs, 0u);
  ASSERT_EQ(user_access(a_, kA, PAGE_SIZE, true), 0);
  EXPECT_NE(page_info(a_, kA).folio, before);
}

// The same write without a batch reference reuses the folio in place.
TEST_F(ForkTest, WriteReusesAPageMappedOnceAndUnbatched) {
  Map(kA, 1);
  ASSERT_EQ(user_access(a_, kA, PAGE_SIZE, true), 0);
  lru_add_drain(m_);
  const uint32_t before = page_info(a_, kA).folio;
  long pid = sys_fork(a_);
  ASSERT_GT(pid, 0);
  Task& b = *m_.find_task(static_cast<int>(pid));
  ASSERT_EQ(sys_munmap(b, kA, PAGE_SIZE), 0);
  ASSERT_EQ(user_access(a_, kA, PAGE_SIZE, true), 0);
  EXPECT_EQ(page_info(a_, kA).folio, before);
}

}  // namespace
}  // namespace mmsim
