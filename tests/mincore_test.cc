// Tests of sim/mincore.cc (mm/mincore.c): the argument rules, and which pages are resident:
// present PTEs, the page cache behind a file VMA without PTEs, the swap cache behind a swap
// PTE.
#include <fcntl.h>
#include <gtest/gtest.h>

#include <string>

#include "mm_test_util.h"
#include "mmsim/syscalls.h"
#include "sim/internal.h"

namespace mmsim {
namespace {

using testing_util::kArea;
using testing_util::P;

class MincoreTest : public testing_util::MmTest {
 protected:
  // The vector as a string of 0/1, or the errno as "-N".
  std::string Mincore(Task& t, uint64_t addr, uint64_t len) {
    std::vector<uint8_t> vec;
    const long r = sys_mincore(t, addr, len, &vec);
    if (r < 0) return std::to_string(r);
    std::string s;
    for (uint8_t b : vec) s.push_back(static_cast<char>('0' + b));
    return s;
  }
};

TEST_F(MincoreTest, ArgumentRules) {
  // 0123
  // AA A   (page 2 a hole)
  Map(kArea, 2);
  Map(kArea + 3 * P, 1);
  EXPECT_EQ(Mincore(t_, kArea + 1, P), std::to_string(-EINVAL));          // start unaligned
  EXPECT_EQ(Mincore(t_, kArea, 4 * P), std::to_string(-ENOMEM));          // hole at page 2
  EXPECT_EQ(Mincore(t_, kArea + 2 * P, P), std::to_string(-ENOMEM));      // all hole
  EXPECT_EQ(Mincore(t_, kArea, 0), "");                                   // nothing asked
  EXPECT_EQ(Mincore(t_, TASK_SIZE - P, 2 * P), std::to_string(-ENOMEM));  // beyond user space
  EXPECT_EQ(Mincore(t_, kArea, ~uint64_t{0}), std::to_string(-ENOMEM));   // wraps
  EXPECT_EQ(Mincore(t_, kArea, P + 1), "00");  // a partial page is a page
  // The pages before a hole are written out before the ENOMEM.
  std::vector<uint8_t> vec;
  Write(kArea);
  EXPECT_EQ(sys_mincore(t_, kArea, 4 * P, &vec), -ENOMEM);
  EXPECT_EQ(vec, (std::vector<uint8_t>{1, 0}));
}

TEST_F(MincoreTest, PresentPtesAreResident) {
  Map(kArea, 4);
  Write(kArea);
  Read(kArea + 2 * P);  // the zero page is resident too
  EXPECT_EQ(Mincore(t_, kArea, 4 * P), "1010");
  ASSERT_EQ(sys_madvise(t_, kArea, P, MADV_DONTNEED), 0);
  EXPECT_EQ(Mincore(t_, kArea, 4 * P), "0010");
}

TEST_F(MincoreTest, FilePagesAreResidentWhileThePageCacheHoldsThem) {
  m_.create_file("/data/f", 4 * P);
  const long fd = sys_open(t_, "/data/f", O_RDWR);
  ASSERT_GE(fd, 0);
  const long a = sys_mmap(t_, kArea, 4 * P, PROT_READ, MAP_SHARED | MAP_FIXED_NOREPLACE,
                          static_cast<int>(fd), 0);
  ASSERT_EQ(a, static_cast<long>(kArea));
  Read(kArea + P);
  // A second mapping of the file, no PTEs: mincore_page looks at the page cache.
  const long b = sys_mmap(t_, kArea + 8 * P, 4 * P, PROT_READ, MAP_SHARED | MAP_FIXED_NOREPLACE,
                          static_cast<int>(fd), 0);
  ASSERT_EQ(b, static_cast<long>(kArea + 8 * P));
  EXPECT_EQ(Mincore(t_, kArea + 8 * P, 4 * P), "0100");
  // An anonymous mapping never consults a page cache.
  Map(kArea + 16 * P, 2);
  EXPECT_EQ(Mincore(t_, kArea + 16 * P, 2 * P), "00");
}

TEST_F(MincoreTest, SwapPtesAreResidentWhileTheSwapCacheHoldsTheFolio) {
  m_.create_file("/swapfile", 16 * P);
  ASSERT_EQ(sys_swapon(t_, "/swapfile", 0), 0);
  Map(kArea, 2);
  Write(kArea, 2 * P);
  lru_add_drain(m_);
  ASSERT_EQ(sys_madvise(t_, kArea, 2 * P, MADV_PAGEOUT), 0);
  ASSERT_TRUE(page_info(t_, kArea).swapped);
  EXPECT_EQ(Mincore(t_, kArea, 2 * P), "00");  // written out and freed
  // The child swaps page 0 in: the folio joins the swap cache while the parent's entry
  // still refers to the slot, so the parent's swap PTE now reads as resident.
  const long pid = sys_fork(t_);
  ASSERT_GT(pid, 0);
  Task* child = m_.find_task(static_cast<int>(pid));
  ASSERT_NE(child, nullptr);
  ASSERT_EQ(user_access(*child, kArea, 1, false), 0);
  ASSERT_TRUE(page_info(t_, kArea).swapped);
  EXPECT_EQ(Mincore(t_, kArea, 2 * P), "10");
  EXPECT_EQ(Mincore(*child, kArea, 2 * P), "10");
}

}  // namespace
}  // namespace mmsim
