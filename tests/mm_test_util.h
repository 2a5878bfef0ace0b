// Shared fixture of the model's unit tests: a Machine that runs the invariant checker after
// every syscall, one task, and helpers that place mappings at fixed addresses and describe the
// VMAs of a test area the way the kernel's tools/testing/vma tests assert them (exact ranges,
// vm_pgoff, flags).
//
// Expected values in the tests come from the 6.18 host (docs/host-facts.md, or a probe run
// while the test was written, named in the test's comment).
#ifndef MMSIM_TESTS_MM_TEST_UTIL_H_
#define MMSIM_TESTS_MM_TEST_UTIL_H_

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "mmsim/procfs.h"
#include "mmsim/syscalls.h"
#include "sim/internal.h"

namespace mmsim {
namespace testing_util {

inline constexpr uint64_t P = PAGE_SIZE;
// The host probes' private window; nothing of an Image::kEmpty task is near it.
inline constexpr uint64_t kArea = 0x7e0000000000;

// A VMA as "first-end @pgoff flags": pages relative to the area's base, vm_pgoff relative to
// the base's page number for anonymous VMAs (absolute for file VMAs), flags as smaps'
// VmFlags mnemonics (so every VM_* bit is compared).
inline std::string DescribeVma(const Vma* v, uint64_t base) {
  const int64_t pgoff =
      v->vm_file ? static_cast<int64_t>(v->vm_pgoff)
                 : static_cast<int64_t>(v->vm_pgoff) - static_cast<int64_t>(base >> PAGE_SHIFT);
  std::string flags = vm_flags_mnemonics(v->vm_flags);
  if (!flags.empty()) flags.pop_back();
  return absl::StrFormat("%d-%d @%d %s", static_cast<int64_t>(v->vm_start - base) / 4096,
                         static_cast<int64_t>(v->vm_end - base) / 4096, pgoff, flags);
}

using Layout = std::vector<std::string>;

// The expected description of a VMA covering pages [first, end) of the area; an anonymous
// VMA's pgoff (relative) equals its first page unless mremap or a file says otherwise.
inline std::string V(int first, int end, const char* flags, int pgoff = -1) {
  return absl::StrFormat("%d-%d @%d %s", first, end, pgoff < 0 ? first : pgoff, flags);
}

class MmTest : public ::testing::Test {
 protected:
  explicit MmTest(Image image = Image::kEmpty, int max_map_count = DEFAULT_MAX_MAP_COUNT)
      : m_(Config(max_map_count)), t_(m_.spawn("t", image)) {}
  static MachineConfig Config(int max_map_count) {
    MachineConfig c;
    c.check_invariants = true;
    c.max_map_count = max_map_count;
    c.ram_pages = 1 << 16;
    return c;
  }
  void TearDown() override {
    EXPECT_TRUE(m_.invariant_status().ok()) << m_.invariant_status();
    absl::Status s = m_.check_invariants();
    EXPECT_TRUE(s.ok()) << s;
  }

  MmStruct* mm() { return t_.mm.get(); }

  // A fresh mapping at addr (MAP_FIXED_NOREPLACE), private anonymous unless flags say.
  uint64_t Map(uint64_t addr, uint64_t pages, uint64_t prot = PROT_READ | PROT_WRITE,
               uint64_t flags = MAP_PRIVATE | MAP_ANONYMOUS) {
    long r = sys_mmap(t_, addr, pages * P, prot, flags | MAP_FIXED_NOREPLACE, -1, 0);
    EXPECT_EQ(r, static_cast<long>(addr)) << "mmap at " << std::hex << addr;
    return addr;
  }
  void Write(uint64_t addr, uint64_t len = 1) { ASSERT_EQ(user_access(t_, addr, len, true), 0); }
  void Read(uint64_t addr, uint64_t len = 1) { ASSERT_EQ(user_access(t_, addr, len, false), 0); }

  // The VMAs intersecting [base, base + pages * P).
  Layout LayoutOf(uint64_t base, uint64_t pages) {
    Layout out;
    for (const auto& [s, v] : mm()->mm_mt) {
      if (v->vm_start < base + pages * P && v->vm_end > base)
        out.push_back(DescribeVma(v.get(), base));
    }
    return out;
  }

  void SetMemlock(uint64_t bytes) {
    ASSERT_EQ(sys_setrlimit(t_, RLIMIT_MEMLOCK, bytes, t_.rlim->max[RLIMIT_MEMLOCK]), 0);
  }
  // capset(2) without CAP_IPC_LOCK in the effective and permitted sets.
  void DropCapIpcLock() {
    const uint64_t bit = uint64_t{1} << CAP_IPC_LOCK_BIT;
    ASSERT_EQ(sys_capset(t_, t_.cap_effective & ~bit, t_.cap_permitted & ~bit), 0);
  }

  static bool IsMapsHeader(absl::string_view line) {
    const size_t dash = line.find('-');
    if (dash == absl::string_view::npos || dash < 8) return false;
    for (size_t i = 0; i < dash; ++i) {
      if (!absl::ascii_isxdigit(line[i])) return false;
    }
    return true;
  }
  // A field of /proc/PID/smaps, in kB, for the VMA containing addr (-1 if none).
  int64_t SmapsKb(uint64_t addr, absl::string_view field) {
    const Vma* v = vma_lookup(mm(), addr);
    if (!v) return -1;
    const std::string header = absl::StrFormat("%08x-", v->vm_start);
    const std::string text = proc_pid_smaps(t_);
    bool in = false;
    for (absl::string_view line : absl::StrSplit(text, '\n')) {
      if (line.empty()) continue;
      if (IsMapsHeader(line)) {
        in = absl::StartsWith(line, header);
        continue;
      }
      if (!in || !absl::ConsumePrefix(&line, field) || !absl::ConsumePrefix(&line, ":")) continue;
      line = absl::StripAsciiWhitespace(line);
      absl::ConsumeSuffix(&line, " kB");
      int64_t kb;
      if (absl::SimpleAtoi(line, &kb)) return kb;
    }
    return -1;
  }
  // The smaps VmFlags line's value for the VMA containing addr (with its trailing space).
  std::string VmFlagsAt(uint64_t addr) {
    const Vma* v = vma_lookup(mm(), addr);
    return v ? vm_flags_mnemonics(v->vm_flags) : "(none)";
  }
  bool Locked(uint64_t addr) {
    const Vma* v = vma_lookup(mm(), addr);
    return v && (v->vm_flags & VM_LOCKED);
  }
  PageInfo Page(uint64_t addr) { return page_info(t_, addr); }
  static bool Kpf(const PageInfo& pi, int bit) { return (pi.kpageflags >> bit) & 1; }

  Machine m_;
  Task& t_;
};

}  // namespace testing_util
}  // namespace mmsim

#endif  // MMSIM_TESTS_MM_TEST_UTIL_H_
