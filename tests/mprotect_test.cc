// Tests of sim/mprotect.cc (mm/mprotect.c do_mprotect_pkey, mprotect_fixup): lock bits kept
// on every piece, VM_ACCOUNT rules, EACCES from VM_MAY*, holes, argument checks, and the
// COW-breaking population when a locked private VMA becomes writable.
// Expected values: docs/host-facts.md items 43, 44/(i), 46, "extra", (f), (j); the EACCES
// cases were probed on the host while writing these tests.
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

class MprotectTest : public MmTest {};

// Host item 43: mprotect splits a locked VMA; every piece keeps lo (and ac: the VMA was
// faulted); locked_vm unchanged; mprotect back re-merges.
// 012
// LLL     before (locked, populated)
//  *      mprotect page 1 PROT_READ
// LRL     after: three locked VMAs
TEST_F(MprotectTest, MprotectFixupKeepsLockOnAllPieces) {
  const uint64_t a = Map(kArea, 3);
  ASSERT_EQ(sys_mlock(t_, a, 3 * P), 0);
  EXPECT_EQ(sys_mprotect(t_, a + P, P, PROT_READ), 0);
  EXPECT_EQ(LayoutOf(a, 3), (Layout{V(0, 1, kLo), V(1, 2, "rd mr mw me lo ac"), V(2, 3, kLo)}));
  EXPECT_EQ(mm()->locked_vm, 3u);
  for (int i = 0; i < 3; ++i) EXPECT_EQ(SmapsKb(a + i * P, "Locked"), 4) << i;
  EXPECT_EQ(sys_mprotect(t_, a + P, P, PROT_READ | PROT_WRITE), 0);
  EXPECT_EQ(LayoutOf(a, 3), (Layout{V(0, 3, kLo)}));
  EXPECT_EQ(mm()->locked_vm, 3u);
}

// Host "extra": an untouched private VMA made read-only gives back VM_ACCOUNT; made
// writable again it gets it back and re-merges.
// 012
// A*A     mprotect page 1 PROT_READ: middle loses ac
// AAA     mprotect back RW: one VMA
TEST_F(MprotectTest, MprotectFixupUntouchedReadOnlyLosesAccount) {
  const uint64_t a = Map(kArea, 3);
  EXPECT_EQ(sys_mprotect(t_, a + P, P, PROT_READ), 0);
  EXPECT_EQ(LayoutOf(a, 3), (Layout{V(0, 1, kRW), V(1, 2, "rd mr mw me"), V(2, 3, kRW)}));
  EXPECT_EQ(sys_mprotect(t_, a + P, P, PROT_READ | PROT_WRITE), 0);
  EXPECT_EQ(LayoutOf(a, 3), (Layout{V(0, 3, kRW)}));
  // Probe: RWX then PROT_NONE in the middle.
  EXPECT_EQ(sys_mprotect(t_, a, 3 * P, PROT_READ | PROT_WRITE | PROT_EXEC), 0);
  EXPECT_EQ(sys_mprotect(t_, a + P, P, PROT_NONE), 0);
  EXPECT_EQ(LayoutOf(a, 3), (Layout{V(0, 1, "rd wr ex mr mw me ac"), V(1, 2, "mr mw me"),
                                    V(2, 3, "rd wr ex mr mw me ac")}));
}

// Probe (this session): a MAP_SHARED mapping of a file opened O_RDONLY has no VM_MAYWRITE:
// PROT_WRITE is EACCES; PROT_EXEC is allowed (VM_MAYEXEC) and splits. A MAP_PRIVATE mapping
// of the same descriptor may become writable (and accountable).
// 01
// SS      before: r--s
// *S      mprotect page 0 R|X
// XS      after: r-xs, r--s (pgoff 0 and 1 in the file)
TEST_F(MprotectTest, DoMprotectPkeyPermissionBeyondVmMayIsEacces) {
  ASSERT_NE(m_.create_file("/tmp/f4", 4 * P), nullptr);
  const long fd = sys_open(t_, "/tmp/f4", O_RDONLY);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(sys_mmap(t_, kArea, 2 * P, PROT_READ, MAP_SHARED | MAP_FIXED, static_cast<int>(fd), 0),
            static_cast<long>(kArea));
  EXPECT_EQ(LayoutOf(kArea, 2), (Layout{V(0, 2, "rd mr me ms", 0)}));
  EXPECT_EQ(sys_mprotect(t_, kArea, P, PROT_READ | PROT_WRITE), -EACCES);
  EXPECT_EQ(sys_mprotect(t_, kArea, P, PROT_READ | PROT_EXEC), 0);
  EXPECT_EQ(LayoutOf(kArea, 2), (Layout{V(0, 1, "rd ex mr me ms", 0), V(1, 2, "rd mr me ms", 1)}));
  const uint64_t b = kArea + 16 * P;
  ASSERT_EQ(sys_mmap(t_, b, 2 * P, PROT_READ, MAP_PRIVATE | MAP_FIXED, static_cast<int>(fd), 0),
            static_cast<long>(b));
  EXPECT_EQ(sys_mprotect(t_, b, P, PROT_READ | PROT_WRITE), 0);
  EXPECT_EQ(LayoutOf(b, 2), (Layout{V(0, 1, "rd wr mr mw me ac", 0), V(1, 2, "rd mr mw me", 1)}));
}

// Host 44/(i): a hole after the first VMA: ENOMEM after the first VMA was changed.
// 01234
// AA BB   before
// *****   mprotect PROT_READ
// RR BB   after: A read-only (untouched: loses ac), B unchanged
TEST_F(MprotectTest, DoMprotectPkeyLaterHoleEnomemAfterChangingEarlier) {
  const uint64_t a = Map(kArea, 2);
  Map(kArea + 3 * P, 2);
  EXPECT_EQ(sys_mprotect(t_, a, 5 * P, PROT_READ), -ENOMEM);
  EXPECT_EQ(LayoutOf(a, 5), (Layout{V(0, 2, "rd mr mw me"), V(3, 5, kRW)}));
}

// Host item 46: start in a hole: ENOMEM, nothing changed.
TEST_F(MprotectTest, DoMprotectPkeyHoleAtStartChangesNothing) {
  Map(kArea + 2 * P, 2);
  EXPECT_EQ(sys_mprotect(t_, kArea, 4 * P, PROT_READ), -ENOMEM);
  EXPECT_EQ(LayoutOf(kArea, 4), (Layout{V(2, 4, kRW)}));
}

// Host (j): argument checks.
TEST_F(MprotectTest, DoMprotectPkeyArgumentChecks) {
  const uint64_t a = Map(kArea, 4);
  EXPECT_EQ(sys_mprotect(t_, a + 1, P, PROT_READ), -EINVAL);
  EXPECT_EQ(sys_mprotect(t_, a, 0, PROT_READ), 0);
  EXPECT_EQ(sys_mprotect(t_, a + 1, 0, PROT_READ), -EINVAL);
  EXPECT_EQ(sys_mprotect(t_, a, ~uint64_t{0}, PROT_READ), -ENOMEM);
  EXPECT_EQ(sys_mprotect(t_, a, uint64_t{0} - P, PROT_READ), -ENOMEM);
  EXPECT_EQ(sys_mprotect(t_, uint64_t{1} << 47, P, PROT_READ), -ENOMEM);
  EXPECT_EQ(sys_mprotect(t_, a, P, 0x10 | PROT_READ), -EINVAL);
  EXPECT_EQ(sys_mprotect(t_, a, P, PROT_READ | PROT_WRITE | PROT_EXEC | PROT_GROWSDOWN), -EINVAL);
  EXPECT_EQ(sys_mprotect(t_, a, P, PROT_READ | PROT_GROWSDOWN | PROT_GROWSUP), -EINVAL);
  EXPECT_EQ(LayoutOf(a, 4), (Layout{V(0, 4, kRW)}));
  // A huge length runs into the hole after A: ENOMEM, but A was changed.
  EXPECT_EQ(sys_mprotect(t_, a, uint64_t{1} << 62, PROT_READ), -ENOMEM);
  EXPECT_EQ(LayoutOf(a, 4), (Layout{V(0, 4, "rd mr mw me")}));
}

// Host (f)+: a locked PROT_NONE VMA (mlock returned ENOMEM) is populated by mprotect(RW);
// an ONFAULT one is not; a locked read-only one gets its zero pages replaced (COW broken).
TEST_F(MprotectTest, MprotectFixupLockedPrivateBecomingWritableIsPopulated) {
  const uint64_t a = Map(kArea, 2, PROT_NONE);
  EXPECT_EQ(sys_mlock(t_, a, 2 * P), -ENOMEM);
  EXPECT_EQ(sys_mprotect(t_, a, 2 * P, PROT_READ | PROT_WRITE), 0);
  EXPECT_EQ(VmFlagsAt(a), "rd wr mr mw me lo ac ");
  EXPECT_EQ(SmapsKb(a, "Rss"), 8);
  EXPECT_EQ(SmapsKb(a, "Locked"), 8);

  const uint64_t b = Map(kArea + 8 * P, 1, PROT_NONE);
  EXPECT_EQ(sys_mlock2(t_, b, P, MLOCK_ONFAULT), 0);
  EXPECT_EQ(sys_mprotect(t_, b, P, PROT_READ | PROT_WRITE), 0);
  EXPECT_EQ(VmFlagsAt(b), "rd wr mr mw me lo lf ac ");
  EXPECT_EQ(SmapsKb(b, "Rss"), 0);
  Write(b);
  EXPECT_EQ(SmapsKb(b, "Locked"), 4);

  const uint64_t c = Map(kArea + 16 * P, 2, PROT_READ);
  EXPECT_EQ(sys_mlock(t_, c, 2 * P), 0);
  EXPECT_EQ(SmapsKb(c, "Rss"), 0);
  EXPECT_EQ(sys_mprotect(t_, c, 2 * P, PROT_READ | PROT_WRITE), 0);
  EXPECT_EQ(SmapsKb(c, "Rss"), 8);
  EXPECT_EQ(SmapsKb(c, "Locked"), 8);
  PageInfo pi = Page(c);
  EXPECT_TRUE(Kpf(pi, KPF_ANON) && Kpf(pi, KPF_UNEVICTABLE) && Kpf(pi, KPF_MLOCKED));
}

// Host (f)+: PROT_NONE on a locked, populated VMA keeps the pages mapped and mlocked; smaps
// still counts them.
TEST_F(MprotectTest, MprotectFixupProtNoneKeepsLockedPages) {
  const uint64_t a = Map(kArea, 2);
  ASSERT_EQ(sys_mlock(t_, a, 2 * P), 0);
  EXPECT_EQ(sys_mprotect(t_, a, 2 * P, PROT_NONE), 0);
  EXPECT_EQ(VmFlagsAt(a), "mr mw me lo ac ");
  EXPECT_EQ(SmapsKb(a, "Rss"), 8);
  EXPECT_EQ(SmapsKb(a, "Locked"), 8);
  EXPECT_TRUE(Kpf(Page(a), KPF_MLOCKED));
  EXPECT_TRUE(Kpf(Page(a), KPF_UNEVICTABLE));
  EXPECT_EQ(mm()->locked_vm, 2u);
}

}  // namespace
}  // namespace mmsim
