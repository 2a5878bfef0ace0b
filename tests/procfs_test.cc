// Tests of sim/procfs.cc (fs/proc/task_mmu.c show_map_vma, show_smap, show_smap_vma_flags,
// task_mem): the text formats a process reads. Expected strings were copied from this host
// (6.18, no CONFIG_MEM_SOFT_DIRTY: no `sd`) with `cat -A`, see docs/host-facts.md (d) and
// items 20, 23, 26, 28.
#include <fcntl.h>

#include "tests/mm_test_util.h"

namespace mmsim {
namespace {

using testing_util::kArea;
using testing_util::MmTest;
using testing_util::P;

class ProcfsTest : public MmTest {};

// show_smap_vma_flags: one mnemonic and a space per set bit, in bit order.
TEST(ShowSmapVmaFlags, MnemonicsInBitOrderWithTrailingSpace) {
  constexpr vm_flags_t kAnon = VM_READ | VM_WRITE | VM_MAYREAD | VM_MAYWRITE | VM_MAYEXEC;
  EXPECT_EQ(vm_flags_mnemonics(kAnon | VM_ACCOUNT), "rd wr mr mw me ac ");
  EXPECT_EQ(vm_flags_mnemonics(kAnon | VM_ACCOUNT | VM_LOCKED), "rd wr mr mw me lo ac ");
  EXPECT_EQ(vm_flags_mnemonics(kAnon | VM_ACCOUNT | VM_LOCKED | VM_LOCKONFAULT),
            "rd wr mr mw me lo lf ac ");
  EXPECT_EQ(
      vm_flags_mnemonics(VM_READ | VM_MAYREAD | VM_PFNMAP | VM_IO | VM_DONTEXPAND | VM_DONTDUMP),
      "rd mr pf io de dd ");
  EXPECT_EQ(vm_flags_mnemonics(kAnon | VM_NORESERVE | VM_WIPEONFORK | VM_DONTDUMP | VM_DROPPABLE),
            "rd wr mr mw me nr wf dd dp ");
  EXPECT_EQ(vm_flags_mnemonics(kAnon | VM_ACCOUNT | VM_SEALED), "rd wr mr mw me ac sl ");
  EXPECT_EQ(vm_flags_mnemonics(kAnon | VM_GROWSDOWN | VM_ACCOUNT), "rd wr mr mw me gd ac ");
  EXPECT_EQ(vm_flags_mnemonics(0), "");
}

// show_smap: the whole block of a locked, written one-page VMA, as the host prints it
// (labels padded to 16, values in 8 columns; THPeligible without unit; VmFlags ends with a
// space; the maps header of an anonymous VMA ends with "0 ").
TEST_F(ProcfsTest, ShowSmapBlockOfALockedVma) {
  const uint64_t a = Map(kArea, 2);
  ASSERT_EQ(sys_mlock(t_, a, P), 0);
  ASSERT_EQ(sys_mlock2(t_, a + P, P, MLOCK_ONFAULT), 0);
  const std::string expected =
      "7e0000000000-7e0000001000 rw-p 00000000 00:00 0 \n"
      "Size:                  4 kB\n"
      "KernelPageSize:        4 kB\n"
      "MMUPageSize:           4 kB\n"
      "Rss:                   4 kB\n"
      "Pss:                   4 kB\n"
      "Pss_Dirty:             4 kB\n"
      "Shared_Clean:          0 kB\n"
      "Shared_Dirty:          0 kB\n"
      "Private_Clean:         0 kB\n"
      "Private_Dirty:         4 kB\n"
      "Referenced:            4 kB\n"
      "Anonymous:             4 kB\n"
      "KSM:                   0 kB\n"
      "LazyFree:              0 kB\n"
      "AnonHugePages:         0 kB\n"
      "ShmemPmdMapped:        0 kB\n"
      "FilePmdMapped:         0 kB\n"
      "Shared_Hugetlb:        0 kB\n"
      "Private_Hugetlb:       0 kB\n"
      "Swap:                  0 kB\n"
      "SwapPss:               0 kB\n"
      "Locked:                4 kB\n"
      "THPeligible:           0\n"
      "VmFlags: rd wr mr mw me lo ac \n";
  const std::string smaps = proc_pid_smaps(t_);
  ASSERT_GE(smaps.size(), expected.size());
  EXPECT_EQ(smaps.substr(0, expected.size()), expected);
  EXPECT_NE(smaps.find("VmFlags: rd wr mr mw me lo lf ac \n"), std::string::npos);
}

// show_smap: Locked: counts resident, non-zero pages of VM_LOCKED VMAs only (host items 20,
// 23, 26): an unlocked resident page is not Locked; zero pages are neither Rss nor Locked;
// a lo lf VMA shows only faulted pages.
TEST_F(ProcfsTest, ShowSmapLockedCountsResidentPagesOfLockedVmasOnly) {
  const uint64_t u = Map(kArea, 2);
  Write(u, 2 * P);
  EXPECT_EQ(SmapsKb(u, "Rss"), 8);
  EXPECT_EQ(SmapsKb(u, "Locked"), 0);
  const uint64_t r = Map(kArea + 8 * P, 4, PROT_READ);
  ASSERT_EQ(sys_mlock(t_, r, 4 * P), 0);
  EXPECT_EQ(SmapsKb(r, "Rss"), 0);
  EXPECT_EQ(SmapsKb(r, "Locked"), 0);
  const uint64_t f = Map(kArea + 16 * P, 4);
  ASSERT_EQ(sys_mlock2(t_, f, 4 * P, MLOCK_ONFAULT), 0);
  EXPECT_EQ(SmapsKb(f, "Locked"), 0);
  Write(f + 2 * P);
  EXPECT_EQ(SmapsKb(f, "Rss"), 4);
  EXPECT_EQ(SmapsKb(f, "Locked"), 4);
  EXPECT_EQ(mm()->locked_vm, 8u);
}

// show_smap: Locked: is PSS: a file page mapped by a locked shared VMA and by a locked
// private read-only VMA counts half in each (host 28+).
TEST_F(ProcfsTest, ShowSmapLockedIsProportional) {
  ASSERT_NE(m_.create_file("/tmp/f4", 4 * P), nullptr);
  const long fd = sys_open(t_, "/tmp/f4", O_RDWR);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(sys_mmap(t_, kArea, 4 * P, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED,
                     static_cast<int>(fd), 0),
            static_cast<long>(kArea));
  ASSERT_EQ(sys_mlock(t_, kArea, 4 * P), 0);
  EXPECT_EQ(SmapsKb(kArea, "Rss"), 16);
  EXPECT_EQ(SmapsKb(kArea, "Anonymous"), 0);
  EXPECT_EQ(SmapsKb(kArea, "Locked"), 16);
  EXPECT_EQ(VmFlagsAt(kArea), "rd wr sh mr mw me ms lo ");
  const uint64_t b = kArea + 16 * P;
  ASSERT_EQ(sys_mmap(t_, b, 4 * P, PROT_READ, MAP_PRIVATE | MAP_FIXED | MAP_LOCKED,
                     static_cast<int>(fd), 0),
            static_cast<long>(b));
  EXPECT_EQ(SmapsKb(b, "Rss"), 16);
  EXPECT_EQ(SmapsKb(b, "Anonymous"), 0);
  EXPECT_EQ(SmapsKb(b, "Locked"), 8);
}

// task_mem: "VmLck:\t%8lu kB" is locked_vm, whole VMAs, ONFAULT included, resident or not.
TEST_F(ProcfsTest, TaskMemVmLckIsLockedVm) {
  const uint64_t a = Map(kArea, 2);
  ASSERT_EQ(sys_mlock(t_, a, P), 0);
  ASSERT_EQ(sys_mlock2(t_, a + P, P, MLOCK_ONFAULT), 0);
  const std::string status = proc_pid_status(t_);
  EXPECT_NE(status.find("VmLck:\t       8 kB\n"), std::string::npos) << status;
  EXPECT_NE(status.find("VmPin:\t       0 kB\n"), std::string::npos) << status;
  EXPECT_NE(status.find("VmSize:\t       8 kB\n"), std::string::npos) << status;
}

// show_map_vma: anonymous lines end in "0 " (no name); named lines pad to column 73; file
// lines show pgoff << 12, dev and inode; brk VMAs are [heap]; the gate VMA comes last.
TEST_F(ProcfsTest, ShowMapVmaLineFormats) {
  ASSERT_NE(m_.create_file("/tmp/f4", 4 * P), nullptr);
  const long fd = sys_open(t_, "/tmp/f4", O_RDONLY);
  Map(kArea, 2);
  ASSERT_EQ(
      sys_mmap(t_, kArea + 4 * P, P, PROT_READ, MAP_PRIVATE | MAP_FIXED, static_cast<int>(fd), P),
      static_cast<long>(kArea + 4 * P));
  const uint64_t brk0 = mm()->brk;
  ASSERT_EQ(sys_brk(t_, brk0 + P), static_cast<long>(brk0 + P));
  const std::string maps = proc_pid_maps(t_);
  const File* f = m_.find_file("/tmp/f4");
  auto named = [](std::string head, const std::string& name) {
    head.append(73 - head.size(), ' ');
    return head + name + "\n";
  };
  EXPECT_NE(maps.find(named(absl::StrFormat("%08x-%08x rw-p 00000000 00:00 0", brk0, brk0 + P),
                            "[heap]")),
            std::string::npos)
      << maps;
  EXPECT_NE(maps.find("7e0000000000-7e0000002000 rw-p 00000000 00:00 0 \n"), std::string::npos)
      << maps;
  EXPECT_NE(
      maps.find(named(absl::StrFormat("7e0000004000-7e0000005000 r--p 00001000 fe:00 %d", f->ino),
                      "/tmp/f4")),
      std::string::npos)
      << maps;
  const std::string gate =
      "ffffffffff600000-ffffffffff601000 --xp 00000000 00:00 0                  [vsyscall]\n";
  ASSERT_GE(maps.size(), gate.size());
  EXPECT_EQ(maps.substr(maps.size() - gate.size()), gate);
}

// The [vvar] line of a process image, as the host prints it: 26 spaces after "0".
TEST(ShowMapVma, SpecialMappingNameColumn) {
  MachineConfig c;
  c.check_invariants = true;
  Machine m(c);
  Task& t = m.spawn("p", Image::kProcess);
  const Vma* vvar = nullptr;
  for (const auto& [s, v] : t.mm->mm_mt) {
    if (v->special_name && std::string(v->special_name) == "[vvar]") vvar = v.get();
  }
  ASSERT_NE(vvar, nullptr);
  const std::string line = absl::StrFormat("%x-%x r--p 00000000 00:00 0%s[vvar]\n", vvar->vm_start,
                                           vvar->vm_end, std::string(26, ' '));
  EXPECT_NE(proc_pid_maps(t).find(line), std::string::npos) << proc_pid_maps(t);
  EXPECT_TRUE(m.check_invariants().ok());
}

}  // namespace
}  // namespace mmsim
