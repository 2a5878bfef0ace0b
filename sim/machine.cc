// The Machine: folio table, files, anon_vmas, tasks. The page allocator is in
// sim/page_alloc.cc, the process image a new task starts with in sim/exec.cc.
#include "mmsim/machine.h"

#include <algorithm>
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
  init_per_zone_wmark_min(*this);
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

void Machine::after_syscall(const char* what) {
  if (!config_.check_invariants) return;
  absl::Status s = check_invariants();
  if (!s.ok() && invariant_status_.ok()) {
    invariant_status_ = absl::InternalError(absl::StrCat("after ", what, ": ", s.message()));
  }
}

}  // namespace mmsim
