// The host kernel as an oracle: one real process (sim/scenario/host_server.cc) per scenario
// task, driven by this controller, and what root can read about it in /proc (maps, smaps,
// status, pagemap + kpageflags + kpagecount, vmstat, meminfo). `mmsim host`, `mmsim diff`
// and `mmsim fuzz-diff` (sim/scenario/diff.h) are built on it.
#ifndef MMSIM_SCENARIO_HOST_H_
#define MMSIM_SCENARIO_HOST_H_

#include <sys/types.h>

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "sim/scenario/host_protocol.h"

namespace mmsim::scenario {

// Whether this machine can serve as the oracle. `ok` false: `reason` says why (not root, no
// /proc/kpageflags, no server binary...). `exact` is false on a kernel other than 6.18.x:
// differences are then information, not divergences.
struct HostSupport {
  bool ok = false;
  bool exact = false;
  std::string reason;
  std::string release;  // uname -r
  // Whether an anonymous read fault maps the shared zero page here (ProbeZeroPage). Kernels
  // booted with pvm_no_zero_page=1 allocate a folio instead; the simulator is then run with
  // MachineConfig::zero_page off for the comparison.
  bool zero_page = true;
};
HostSupport ProbeHost();

// The path of the server binary: $MMSIM_HOST_SERVER, else mmsim-host-server beside the
// running executable, else the build directory this was compiled in.
std::string HostServerPath();

// One VMA of /proc/PID/smaps (or of the model's proc_pid_smaps, which has the same format).
struct SmapsEntry {
  uint64_t start = 0, end = 0;
  std::string perms;
  uint64_t pgoff = 0;
  std::string name;
  std::map<std::string, int64_t> kb;  // Size, Rss, Locked, ... in kB
  std::string vmflags;                // "rd wr mr mw me lo ac" (trimmed)
  std::string header;                 // the maps line
  std::string text;                   // the whole entry
};
std::vector<SmapsEntry> ParseSmaps(const std::string& text);

// One page as pagemap + kpageflags + kpagecount show it (the model's PageInfo fields).
struct HostPage {
  bool present = false;
  bool swapped = false;
  uint64_t flags = 0;
  int64_t mapcount = 0;
  uint32_t swap_type = 0;
  uint64_t swap_offset = 0;
  // Simulator side only: a munlock of this folio waits in a per-CPU mlock batch; the folio.
  bool munlock_pending = false;
  uint32_t folio = 0;
};

// A running server.
struct HostTask {
  std::string name;
  pid_t pid = -1;
  int sock = -1;
  int pidfd = -1;
  bool direct_child = false;  // ours to wait for (forked servers are their parent's)
  bool alive = true;
};

// The servers of one scenario run, the host files standing in for the scenario's `file`s,
// swap files, and sysctl changes, all undone by the destructor (and, for swap and sysctls,
// by a signal handler if the controller dies).
class HostMachine {
 public:
  HostMachine();
  ~HostMachine();
  HostMachine(const HostMachine&) = delete;
  HostMachine& operator=(const HostMachine&) = delete;

  // Creates the temporary directory and pins the controller away from CPU 0.
  absl::Status Start();

  // Starts a server for task `name`: pinned to CPU 0; RLIMIT_MEMLOCK set when has_memlock;
  // capabilities in caps_drop dropped. The reply is the setup's result (-errno).
  absl::StatusOr<int64_t> Spawn(const std::string& name, bool has_memlock, uint64_t memlock,
                                uint64_t caps_drop);
  // Sends a request to task `name` and returns the reply.
  absl::StatusOr<host_protocol::Reply> Send(const std::string& name,
                                            const host_protocol::Request& req);
  // fork() in task `parent`; the child server becomes task `child`. Returns the pid or -errno.
  absl::StatusOr<int64_t> Fork(const std::string& parent, const std::string& child);
  // exit(status) in task `name`; returns when the process is gone.
  absl::StatusOr<int64_t> Exit(const std::string& name, int status);

  const HostTask* Find(const std::string& name) const;
  // Any live task (for drains), or nullptr.
  const HostTask* AnyTask() const;

  // A host file for the scenario's `file PATH size=N`.
  absl::Status CreateFile(const std::string& path, uint64_t size);
  // The host path of a scenario path (inside the temporary directory).
  std::string HostPath(const std::string& path) const;
  // The scenario path of a host path, or the path unchanged.
  std::string ScenarioPath(const std::string& host_path) const;
  // mkswap on the host file of `path` (once) and remember it for swapoff at the end.
  absl::Status PrepareSwap(const std::string& path);
  void SwapOff(const std::string& path);
  // Writes a sysctl (vm.max_map_count, vm.swappiness); the old value comes back at the end.
  absl::Status SetSysctl(const std::string& name, uint64_t value);

  // Views read from the kernel.
  std::string ReadProc(const std::string& name, const std::string& file) const;
  std::vector<SmapsEntry> Smaps(const std::string& name) const;
  std::string Status(const std::string& name) const;
  absl::StatusOr<HostPage> Page(const std::string& name, uint64_t addr) const;
  // /proc/vmstat and /proc/meminfo after writing vm/stat_refresh.
  std::string Vmstat() const;
  std::string Meminfo() const;
  std::string Swaps() const;
  const std::string& tmpdir() const { return tmpdir_; }

 private:
  absl::Status Exchange(HostTask& t, const host_protocol::Request& req, int pass_fd,
                        host_protocol::Reply* rep);
  std::map<std::string, HostTask> tasks_;
  std::string tmpdir_;
  std::vector<std::string> swaps_;
  std::vector<std::pair<std::string, std::string>> sysctls_;  // path, old value
  bool pinned_ = false;
  mutable int kpageflags_fd_ = -1, kpagecount_fd_ = -1;
  std::vector<char> old_affinity_;
};

}  // namespace mmsim::scenario

#endif  // MMSIM_SCENARIO_HOST_H_
