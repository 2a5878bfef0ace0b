// The Machine: folio table, files, anon_vmas, tasks, and the process image a new task
// starts with (modelled on a small dynamically linked program on this machine, run without
// address-space randomisation: `setarch -R`).
#include "mmsim/machine.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>

#include "absl/strings/str_cat.h"
#include "sim/internal.h"

namespace mmsim {

const char* vmstat_name(VmStatItem item) {
  static const char* const kNames[] = {
#define MMSIM_VMSTAT_NAME(name) #name,
      MMSIM_VMSTAT_ITEMS(MMSIM_VMSTAT_NAME)
#undef MMSIM_VMSTAT_NAME
  };
  return kNames[item];
}

std::string Trace::call_path() const {
  // Each function once per depth, in the order first entered (a walk over many VMAs enters
  // mlock_fixup once per VMA; the path names it once).
  std::string out;
  absl::flat_hash_set<std::string> seen;
  for (const TraceEvent& e : events_) {
    if (e.kind != TraceEvent::kCall) continue;
    if (!seen.insert(absl::StrCat(e.depth, ":", e.text)).second) continue;
    if (!out.empty()) absl::StrAppend(&out, " → ");
    absl::StrAppend(&out, e.text);
  }
  return out;
}

Machine::Machine(MachineConfig config) : config_(config), max_map_count_(config.max_map_count) {
  // The folio table never needs to move: reserve it whole (untouched pages of the
  // reservation cost the host nothing), so there is no copy at growth and no peak at 1.5x.
  // Small machines (the tests make thousands) grow it on demand instead.
  if (config_.ram_pages > (uint64_t{1} << 20)) folios_.reserve(config_.ram_pages + 1);
  folios_.emplace_back();  // ZERO_FOLIO
  cpu_fbatches.resize(std::max(1, config_.nr_cpus));
  // init_per_zone_wmark_min: min_free_kbytes = sqrt(lowmem_kbytes * 16), within [128, 262144];
  // low and high add max(min / 4, managed * watermark_scale_factor (10) / 10000) each.
  const uint64_t kbytes = config_.ram_pages * 4;
  uint64_t min_free_kbytes = static_cast<uint64_t>(std::sqrt(static_cast<double>(kbytes) * 16));
  min_free_kbytes = std::clamp<uint64_t>(min_free_kbytes, 128, 262144);
  wmark_min = min_free_kbytes / 4;
  const uint64_t step = std::max(wmark_min / 4, config_.ram_pages * 10 / 10000);
  wmark_low = wmark_min + step;
  wmark_high = wmark_low + step;
  vmstat[nr_free_pages] = static_cast<int64_t>(config_.ram_pages);
  auto policy = create_reclaim_policy(config_.reclaim_policy);
  if (!policy.ok()) {
    std::fprintf(stderr, "mmsim: MachineConfig: %s\n",
                 std::string(policy.status().message()).c_str());
    std::abort();
  }
  reclaim_policy = std::move(policy).value();
}

Machine::~Machine() {
  // anon_vmas are owned here; the VMAs that still point at them go with tasks_ (they do
  // not dereference them on destruction).
  for (AnonVma* av : anon_vmas_) delete av;
}

uint32_t Machine::alloc_folio() {
  // __alloc_pages_slowpath, reduced: direct reclaim at the min watermark, OOM at zero.
  if (static_cast<uint64_t>(vmstat[nr_free_pages]) <= wmark_min) {
    try_to_free_pages(*this, 32, false);
  }
  if (vmstat[nr_free_pages] <= 0) {
    TRACE_NOTE(trace, "out of memory: no free page and nothing reclaimable");
    return 0;
  }
  uint32_t idx;
  if (!free_folios_.empty()) {
    idx = free_folios_.back();
    free_folios_.pop_back();
    folios_[idx] = Folio{};
  } else {
    idx = static_cast<uint32_t>(folios_.size());
    folios_.emplace_back();
  }
  vmstat[nr_free_pages]--;
  // wakeup_kswapd: below low, a kswapd pass (synchronous here) brings free memory to high.
  if (static_cast<uint64_t>(vmstat[nr_free_pages]) < wmark_low) {
    // The new folio is on no list yet, so the pass cannot take it.
    try_to_free_pages(*this, wmark_high - static_cast<uint64_t>(vmstat[nr_free_pages]), true);
  }
  return idx;
}

void Machine::free_folio(uint32_t idx) {
  folios_[idx] = Folio{};
  free_folios_.push_back(idx);
  vmstat[nr_free_pages]++;
}

AnonVma* Machine::new_anon_vma() {
  AnonVma* av;
  if (!free_anon_vmas_.empty()) {
    av = free_anon_vmas_.back();
    free_anon_vmas_.pop_back();
  } else {
    av = new AnonVma();
    anon_vmas_.insert(av);
  }
  av->id = ++last_anon_vma_id_;
  av->root = av;
  av->parent = av;
  return av;
}

void Machine::put_anon_vma(AnonVma* av) {
  if (av->refcount == 0 && av->vmas.empty()) {
    // Back to the free list as a new one would be (vmas is empty and keeps its storage).
    av->root = av->parent = nullptr;
    free_anon_vmas_.push_back(av);
  }
}

File* Machine::create_file(const std::string& path, uint64_t size) {
  if (find_file(path)) return nullptr;
  auto f = std::make_unique<File>();
  f->id = ++last_file_id_;
  f->path = path;
  f->size = size;
  f->dev_major = 0xfe;
  f->dev_minor = 0;
  f->ino = ++last_ino_;
  files_.push_back(std::move(f));
  return files_.back().get();
}

File* Machine::find_file(const std::string& path) {
  for (auto& f : files_) {
    if (f->path == path) return f.get();
  }
  return nullptr;
}

File* Machine::create_shmem_file(uint64_t size) {
  auto f = std::make_unique<File>();
  f->id = ++last_file_id_;
  f->path = "/dev/zero (deleted)";
  f->size = size;
  f->shmem = true;
  f->dev_major = 0;
  f->dev_minor = 1;
  f->ino = ++last_ino_;
  files_.push_back(std::move(f));
  return files_.back().get();
}

Task& Machine::spawn(const std::string& name, Image image) {
  auto t = std::make_unique<Task>();
  t->pid = t->tgid = ++last_pid_;
  t->name = name;
  t->machine = this;
  t->cap_effective = t->cap_permitted = ~uint64_t{0} >> (64 - 41);  // CAP_LAST_CAP = 40
  t->rlim = std::make_shared<Rlimits>();
  for (int i = 0; i < kNumRlimits; ++i) t->rlim->cur[i] = t->rlim->max[i] = RLIM_INFINITY_VALUE;
  t->rlim->cur[RLIMIT_MEMLOCK] = t->rlim->max[RLIMIT_MEMLOCK] = config_.default_memlock;
  t->rlim->cur[RLIMIT_STACK] = config_.default_stack;
  t->rlim->cur[RLIMIT_NOFILE] = 1024;
  t->rlim->max[RLIMIT_NOFILE] = 524288;
  t->files = std::make_shared<absl::btree_map<int, OpenFile>>();
  t->mm = std::make_shared<MmStruct>();
  t->mm->id = next_mm_id();
  t->mm->users = 1;
  build_process_image(*t, image);
  tasks_.push_back(std::move(t));
  return *tasks_.back();
}

Task* Machine::find_task(int pid) {
  for (auto& t : tasks_) {
    if (t->pid == pid) return t.get();
  }
  return nullptr;
}

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

void Machine::after_syscall(const char* what) {
  if (!config_.check_invariants) return;
  absl::Status s = check_invariants();
  if (!s.ok() && invariant_status_.ok()) {
    invariant_status_ = absl::InternalError(absl::StrCat("after ", what, ": ", s.message()));
  }
}

}  // namespace mmsim
