// The simulated machine: its memory (folios), files, tasks and counters.
//
// A Machine owns everything; Tasks refer to an MmStruct that threads share. All kernel
// entry points (include/mmsim/syscalls.h) take the calling Task, as the kernel takes
// `current`.
#ifndef MMSIM_MACHINE_H_
#define MMSIM_MACHINE_H_

#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/container/btree_map.h"
#include "absl/status/status.h"
#include "mmsim/mm_types.h"
#include "mmsim/observer.h"
#include "mmsim/reclaim_policy.h"
#include "mmsim/swap.h"
#include "mmsim/trace.h"
#include "mmsim/types.h"
#include "mmsim/vmstat.h"

namespace mmsim {

class Machine;

struct MachineConfig {
  uint64_t ram_pages = uint64_t{1} << 20;  // 4 GiB
  int nr_cpus = 2;                         // as this machine; each has its folio batches
  int max_map_count = DEFAULT_MAX_MAP_COUNT;
  // PR_SET_VMA_ANON_NAME needs CONFIG_ANON_VMA_NAME; this machine's kernel lacks it (EINVAL).
  bool anon_vma_name = false;
  // Whether anonymous read faults may map the shared zero page (mainline x86: yes). Off
  // models mm_forbids_zeropage(): some virtualised kernels (pvm_no_zero_page=1 on the command
  // line) allocate a zeroed folio on every anonymous read fault instead.
  bool zero_page = true;
  uint64_t default_memlock = 8ull << 20;  // RLIMIT_MEMLOCK soft and hard, bytes
  uint64_t default_stack = 8ull << 20;    // RLIMIT_STACK soft
  // Address-space layout without randomisation: mmap_base sits below the stack gap.
  uint64_t stack_top = 0x7ffffffff000;
  // Run the invariant checker after every syscall (tests and debug builds).
  bool check_invariants = false;
  // The reclaim policy by registered name (include/mmsim/reclaim_policy.h): "linux" is the
  // kernel's shrink_lruvec. An unregistered name aborts the Machine's construction with the
  // list of registered ones; front ends check names first with create_reclaim_policy.
  std::string reclaim_policy = "linux";
};

// Per-process resource limits (struct signal_struct's rlim): shared by threads.
struct Rlimits {
  uint64_t cur[kNumRlimits];
  uint64_t max[kNumRlimits];
};

// What a newly spawned process's address space holds.
enum class Image {
  kEmpty,    // no mappings at all: handy for teaching pictures
  kProcess,  // program text/data, [heap] start, [stack], [vvar], [vdso] as on this machine
};

// An open file description: the file and the access mode it was opened with (FMODE_*).
struct OpenFile {
  File* file = nullptr;
  bool readable = false;
  bool writable = false;
};

// struct task_struct: one thread. Threads of a process share mm, rlimits and fd table.
struct Task {
  int pid = 0;
  int tgid = 0;
  std::string name;
  std::shared_ptr<MmStruct> mm;
  std::shared_ptr<Rlimits> rlim;
  std::shared_ptr<absl::btree_map<int, OpenFile>> files;
  uint64_t cap_effective = 0;
  uint64_t cap_permitted = 0;
  int cpu = 0;
  uint64_t min_flt = 0;
  uint64_t maj_flt = 0;
  bool alive = true;
  Machine* machine = nullptr;

  bool capable(int cap) const { return (cap_effective >> cap) & 1; }
  uint64_t rlimit(int resource) const { return rlim->cur[resource]; }
};

class Machine {
 public:
  explicit Machine(MachineConfig config = {});
  ~Machine();
  Machine(const Machine&) = delete;
  Machine& operator=(const Machine&) = delete;

  const MachineConfig& config() const { return config_; }
  // vm.max_map_count sysctl.
  int max_map_count() const { return max_map_count_; }
  void set_max_map_count(int v) { max_map_count_ = v; }

  // A new process (as after execve of a small program) with every capability, as root has
  // on this machine.
  Task& spawn(const std::string& name, Image image = Image::kProcess);
  Task* find_task(int pid);
  const std::deque<std::unique_ptr<Task>>& tasks() const { return tasks_; }

  // Simulated files. Paths are unique.
  File* create_file(const std::string& path, uint64_t size);
  File* find_file(const std::string& path);
  File* create_shmem_file(uint64_t size);  // shared anonymous memory's backing object

  // Folio table. Index 0 is the zero page.
  Folio& folio(uint32_t idx) { return folios_[idx]; }
  const Folio& folio(uint32_t idx) const { return folios_[idx]; }
  // A free page, reclaiming first when free memory is at the min watermark (direct
  // reclaim) and running a kswapd pass when it falls below low. 0 when memory is exhausted.
  uint32_t alloc_folio();
  void free_folio(uint32_t idx);
  uint64_t nr_folios_in_use() const { return folios_.size() - 1 - free_folios_.size(); }

  AnonVma* new_anon_vma();
  void put_anon_vma(AnonVma* av);

  VmStat vmstat;
  // Swap devices by type (nullptr: free type) and the swap-cache folios' entries
  // (folio->swap in the kernel). vm.swappiness.
  std::vector<std::unique_ptr<SwapInfo>> swap_info;
  absl::flat_hash_map<uint32_t, uint32_t> folio_swap;
  int least_priority = -1;
  // swap_avail_heads: the types of the devices with free slots, highest priority first and,
  // within a priority, in turn (swap_alloc_slow requeues the device it tries behind its
  // peers). Each CPU's percpu_swap_cluster (grown on first use).
  std::vector<int> swap_avail_list;
  std::vector<PercpuSwapCluster> percpu_swap_cluster;
  int swappiness = 60;
  // Zone watermarks in pages (mm/page_alloc.c __setup_per_zone_wmarks, one zone).
  uint64_t wmark_min = 0, wmark_low = 0, wmark_high = 0;
  // The node's lruvec (one node, no memcg): the five LRU lists.
  LruListHead lru_lists[NR_LRU_LISTS];
  // The lruvec's nonresident_age (mm/workingset.c): evictions and activations so far.
  uint64_t nonresident_age = 0;
  // The lruvec's recent reclaim cost per type (lru_note_cost), its workingset_activate_anon
  // and _file counts at the last snapshot_refaults, and the node's kswapd_failures
  // (balance_pgdat runs in a row that freed nothing).
  uint64_t anon_cost = 0, file_cost = 0;
  int64_t refaults[2] = {0, 0};
  int kswapd_failures = 0;
  // Per-CPU folio batches, and the CPU the current kernel entry runs on.
  std::vector<CpuFbatches> cpu_fbatches;
  int cpu = 0;
  // Explanation sink for `mmsim explain`; nullptr when not explaining.
  Trace* trace = nullptr;
  // What try_to_free_pages runs (MachineConfig::reclaim_policy); never null.
  std::unique_ptr<ReclaimPolicy> reclaim_policy;

  // Checks every invariant of every mm and folio; the first violation as an error.
  absl::Status check_invariants() const;
  // Called at the end of each syscall: runs check_invariants when configured.
  void after_syscall(const char* what);
  // The last invariant failure seen by after_syscall (OK if none).
  const absl::Status& invariant_status() const { return invariant_status_; }

  // Observers told of the model's observation points (include/mmsim/observer.h), in the
  // order added. Not owned: remove one before it is destroyed if the machine outlives it.
  void add_observer(MachineObserver* o) { observers_.push_back(o); }
  void remove_observer(MachineObserver* o) { std::erase(observers_, o); }
  const std::vector<MachineObserver*>& observers() const { return observers_; }

  uint32_t next_mm_id() { return ++last_mm_id_; }
  // Fills t's (empty) mm with the mappings of `image` (as binfmt_elf would on exec).
  void build_process_image(Task& t, Image image);

 private:
  MachineConfig config_;
  int max_map_count_;
  int last_pid_ = 0;
  uint32_t last_mm_id_ = 0;
  uint32_t last_file_id_ = 0;
  uint32_t last_anon_vma_id_ = 0;
  uint64_t last_ino_ = 1000;
  std::deque<std::unique_ptr<Task>> tasks_;
  std::deque<std::unique_ptr<File>> files_;
  std::vector<Folio> folios_;
  std::vector<uint32_t> free_folios_;
  // Every AnonVma this machine allocated, in use or free; the free ones are also in
  // free_anon_vmas_, for new_anon_vma to reuse (a fault in a fresh mapping then allocates
  // nothing).
  absl::flat_hash_set<AnonVma*> anon_vmas_;
  std::vector<AnonVma*> free_anon_vmas_;
  absl::Status invariant_status_;
  std::vector<MachineObserver*> observers_;
};

}  // namespace mmsim

#endif  // MMSIM_MACHINE_H_
