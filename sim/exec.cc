// Model of fs/exec.c and fs/binfmt_elf.c: execve gives the task a brand-new mm and maps the
// program image into it (Machine::build_process_image), the layout a small dynamically
// linked program has on this machine run without address-space randomisation
// (`setarch -R`).
#include <algorithm>

#include "mmsim/syscalls.h"
#include "mmsim/trace.h"
#include "sim/internal.h"

namespace mmsim {

namespace {

struct ImageSegment {
  const char* path;  // nullptr: anonymous; "[...]": special mapping
  uint64_t offset_pages;
  uint64_t pages;
  vm_flags_t flags;
};

constexpr vm_flags_t kMay = VM_MAYREAD | VM_MAYWRITE | VM_MAYEXEC;
constexpr const char* kProg = "/usr/bin/prog";
constexpr const char* kLibc = "/usr/lib/x86_64-linux-gnu/libc.so.6";
constexpr const char* kLd = "/usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2";

// Segment layouts as this machine's loader maps a PIE program, libc and ld.so
// (VmFlags read from /proc/PID/smaps; relro segments keep `ac` after mprotect).
constexpr ImageSegment kProgSegments[] = {
    {kProg, 0, 1, VM_READ | kMay},
    {kProg, 1, 2, VM_READ | VM_EXEC | kMay},
    {kProg, 3, 1, VM_READ | kMay},
    {kProg, 3, 1, VM_READ | kMay | VM_ACCOUNT},
    {kProg, 4, 1, VM_READ | VM_WRITE | kMay | VM_ACCOUNT},
};
constexpr ImageSegment kLibSegments[] = {
    {kLibc, 0, 0x26, VM_READ | kMay},
    {kLibc, 0x26, 0x156, VM_READ | VM_EXEC | kMay},
    {kLibc, 0x17c, 0x53, VM_READ | kMay},
    {kLibc, 0x1cf, 0x4, VM_READ | kMay | VM_ACCOUNT},
    {kLibc, 0x1d3, 0x2, VM_READ | VM_WRITE | kMay | VM_ACCOUNT},
    {nullptr, 0, 0xd, VM_READ | VM_WRITE | kMay | VM_ACCOUNT},
    // An 11-page hole, then ld.so's 2-page anonymous area: the first small hint-less mmap
    // of a real process lands in the hole and merges with that area (docs/host-facts.md).
    {"", 0, 11, 0},
    {nullptr, 0, 0x2, VM_READ | VM_WRITE | kMay | VM_ACCOUNT},
    {"[vvar]", 0, 4, VM_READ | VM_MAYREAD | VM_PFNMAP | VM_IO | VM_DONTEXPAND | VM_DONTDUMP},
    {"[vvar_vclock]", 0, 2, VM_READ | VM_MAYREAD | VM_PFNMAP | VM_IO | VM_DONTEXPAND | VM_DONTDUMP},
    {"[vdso]", 0, 2, VM_READ | VM_EXEC | kMay | VM_DONTEXPAND},
    {kLd, 0, 1, VM_READ | kMay},
    {kLd, 1, 0x26, VM_READ | VM_EXEC | kMay},
    {kLd, 0x27, 0xa, VM_READ | kMay},
    {kLd, 0x31, 0x2, VM_READ | kMay | VM_ACCOUNT},
    {kLd, 0x33, 0x2, VM_READ | VM_WRITE | kMay | VM_ACCOUNT},
};

}  // namespace

// fs/binfmt_elf.c load_elf_binary and fs/exec.c setup_arg_pages, reduced to their result: the
// segments above, the heap start, and a [stack] whose top pages (argv, envp) are resident.
void Machine::build_process_image(Task& t, Image image) {
  MmStruct* mm = t.mm.get();
  // arch/x86/mm/mmap.c mmap_base without randomisation: the stack gap is clamped to 128 MiB.
  mm->mmap_base = config_.stack_top - (128ull << 20);
  mm->task_size = TASK_SIZE;
  if (image == Image::kEmpty) {
    mm->start_brk = mm->brk = 0x555555559000;
    mm->start_stack = config_.stack_top - PAGE_SIZE;
    return;
  }
  auto add = [&](uint64_t start, const ImageSegment& s) {
    if (s.path && !s.path[0]) return start + s.pages * PAGE_SIZE;  // a hole
    auto v = std::make_unique<Vma>();
    v->vm_start = start;
    v->vm_end = start + s.pages * PAGE_SIZE;
    v->vm_flags = s.flags;
    if (s.path && s.path[0] == '[') {
      v->special_name = s.path;
      v->has_close_op = true;
    } else if (s.path) {
      File* f = find_file(s.path);
      if (!f) f = create_file(s.path, (s.offset_pages + s.pages) * PAGE_SIZE);
      f->size = std::max(f->size, (s.offset_pages + s.pages) * PAGE_SIZE);
      v->vm_file = f;
      v->vm_pgoff = s.offset_pages;
    } else {
      v->vm_pgoff = start >> PAGE_SHIFT;
    }
    Vma* vma = vma_link(*this, mm, std::move(v));
    vm_stat_account(mm, vma->vm_flags, static_cast<int64_t>(s.pages));
    return vma->vm_end;
  };
  uint64_t a = 0x555555554000;
  mm->start_code = a + PAGE_SIZE;
  for (const auto& s : kProgSegments) a = add(a, s);
  mm->end_code = 0x555555557000;
  mm->start_data = 0x555555558000;
  mm->end_data = a;
  mm->start_brk = mm->brk = a;
  uint64_t lib_pages = 0;
  for (const auto& s : kLibSegments) lib_pages += s.pages;
  a = mm->mmap_base - lib_pages * PAGE_SIZE;
  for (const auto& s : kLibSegments) a = add(a, s);
  // [stack]: 132 KiB below the top, as setup_arg_pages leaves it; the top pages hold
  // argv/envp and are resident.
  const ImageSegment stack{nullptr, 0, 33, VM_STACK_FLAGS};
  Vma* sv;
  {
    uint64_t start = config_.stack_top - stack.pages * PAGE_SIZE;
    add(start, stack);
    sv = vma_lookup(mm, start);
    mm->start_stack = config_.stack_top - 2 * PAGE_SIZE;
  }
  for (uint64_t p = config_.stack_top - 3 * PAGE_SIZE; p < config_.stack_top; p += PAGE_SIZE)
    handle_mm_fault(t, sv, p, FAULT_FLAG_WRITE);
  t.min_flt = 0;
  vmstat[pgfault] -= 3;
  lru_add_drain_all(*this);
}

// fs/exec.c do_execve → bprm_execve → exec_mmap.
long sys_execve(Task& t, Image image) {
  return sim_syscall(t, "execve", [&]() -> long {
    Machine& m = *t.machine;
    TRACE_FN(m.trace, "do_execve");
    // bprm_mm_init → mm_alloc: a brand-new mm; exec_mmap then drops the old one.
    std::shared_ptr<MmStruct> old = t.mm;
    const vm_flags_t def = old->def_flags & VM_INIT_DEF_MASK;
    t.mm = std::make_shared<MmStruct>();
    t.mm->id = m.next_mm_id();
    t.mm->users = 1;
    t.mm->def_flags = def;
    mmput(m, old);
    m.build_process_image(t, image);
    TRACE_NOTE(m.trace, "new mm %u; the old one is released (its locks go with it)", t.mm->id);
    return 0;
  });
}

}  // namespace mmsim
