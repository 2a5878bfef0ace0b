// anon_vma rules that decide whether pieces of a VMA re-merge (mm/rmap.c
// __anon_vma_prepare / find_mergeable_anon_vma, mm/vma.c is_mergeable_anon_vma). Expected
// layouts were confirmed on the 6.18 host (research items 31-33 and the hole case 44).
#include <gtest/gtest.h>

#include "mmsim/syscalls.h"
#include "sim/internal.h"

namespace mmsim {
namespace {

class AnonVmaTest : public ::testing::Test {
 protected:
  AnonVmaTest() : m_(Config()), t_(m_.spawn("A", Image::kEmpty)) {}
  static MachineConfig Config() {
    MachineConfig c;
    c.check_invariants = true;
    return c;
  }
  void TearDown() override { EXPECT_TRUE(m_.invariant_status().ok()) << m_.invariant_status(); }
  void Map(uint64_t addr, uint64_t pages) {
    ASSERT_EQ(sys_mmap(t_, addr, pages * PAGE_SIZE, PROT_READ | PROT_WRITE,
                       MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0),
              static_cast<long>(addr));
  }
  std::vector<std::pair<uint64_t, uint64_t>> Layout(uint64_t lo, uint64_t hi) {
    std::vector<std::pair<uint64_t, uint64_t>> out;
    for (auto& [s, v] : t_.mm->mm_mt)
      if (v->vm_start < hi && v->vm_end > lo) out.emplace_back(v->vm_start - lo, v->vm_end - lo);
    return out;
  }
  Machine m_;
  Task& t_;
};

constexpr uint64_t kBase = 0x7e0000000000;
using L = std::vector<std::pair<uint64_t, uint64_t>>;

// 012
// AAA    untouched
// ALA    mlock page 1 (populated: the middle gets an anon_vma)
// AAA    munlock: the untouched neighbours adopt the middle's anon_vma, all merge
TEST_F(AnonVmaTest, UntouchedNeighboursAdoptTheMiddlesAnonVma) {
  Map(kBase, 3);
  ASSERT_EQ(sys_mlock(t_, kBase + PAGE_SIZE, PAGE_SIZE), 0);
  EXPECT_EQ(Layout(kBase, kBase + 3 * PAGE_SIZE),
            (L{{0, 0x1000}, {0x1000, 0x2000}, {0x2000, 0x3000}}));
  ASSERT_EQ(sys_munlock(t_, kBase + PAGE_SIZE, PAGE_SIZE), 0);
  EXPECT_EQ(Layout(kBase, kBase + 3 * PAGE_SIZE), (L{{0, 0x3000}}));
}

// 012
// ALA    mlock page 1 first
// wLA    write page 0: its fault cannot reuse the middle's anon_vma (flags differ in
//        VM_LOCKED, anon_vma_compatible fails) and gets a new one
// AAA?   munlock: page 0's VMA and the rest have different anon_vmas: two VMAs remain
TEST_F(AnonVmaTest, NeighbourFaultedWhileFlagsDifferedDoesNotRemerge) {
  Map(kBase, 3);
  ASSERT_EQ(sys_mlock(t_, kBase + PAGE_SIZE, PAGE_SIZE), 0);
  ASSERT_EQ(user_access(t_, kBase, 1, true), 0);
  ASSERT_EQ(sys_munlock(t_, kBase + PAGE_SIZE, PAGE_SIZE), 0);
  EXPECT_EQ(Layout(kBase, kBase + 3 * PAGE_SIZE), (L{{0, 0x1000}, {0x1000, 0x3000}}));
}

// Writing page 0 before the split: every piece shares its anon_vma, all re-merge.
TEST_F(AnonVmaTest, PiecesOfOneFaultedVmaRemerge) {
  Map(kBase, 3);
  ASSERT_EQ(user_access(t_, kBase, 1, true), 0);
  ASSERT_EQ(sys_mlock(t_, kBase + PAGE_SIZE, PAGE_SIZE), 0);
  ASSERT_EQ(sys_munlock(t_, kBase + PAGE_SIZE, PAGE_SIZE), 0);
  EXPECT_EQ(Layout(kBase, kBase + 3 * PAGE_SIZE), (L{{0, 0x3000}}));
}

// [A][hole][B]: mlock over all three pages fails with ENOMEM after locking A.
TEST_F(AnonVmaTest, MlockOverAHoleLocksWhatCameBefore) {
  Map(kBase, 1);
  Map(kBase + 2 * PAGE_SIZE, 1);
  EXPECT_EQ(sys_mlock(t_, kBase, 3 * PAGE_SIZE), -ENOMEM);
  EXPECT_TRUE(vma_lookup(t_.mm.get(), kBase)->vm_flags & VM_LOCKED);
  EXPECT_FALSE(vma_lookup(t_.mm.get(), kBase + 2 * PAGE_SIZE)->vm_flags & VM_LOCKED);
  EXPECT_EQ(t_.mm->locked_vm, 1u);
  EXPECT_EQ(t_.mm->rss_stat[MM_ANONPAGES], 0);  // not populated: the error came first
}

// Two hint-less mmaps: the second lands just below the first and they merge.
TEST_F(AnonVmaTest, HintlessMmapsAreAdjacentAndMerge) {
  long x = sys_mmap(t_, 0, PAGE_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  long y = sys_mmap(t_, 0, PAGE_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  EXPECT_EQ(y, x - static_cast<long>(PAGE_SIZE));
  EXPECT_EQ(t_.mm->map_count, 1);
}

}  // namespace
}  // namespace mmsim
