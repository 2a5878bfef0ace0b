// Built against the installed package (tests/install/): a machine, an mmap, an mlock, and
// the VmLck line of /proc/PID/status; the reclaim policies must have registered themselves.
#include <cstdio>
#include <cstdlib>
#include <string>

#include "mmsim/control.h"
#include "mmsim/machine.h"
#include "mmsim/procfs.h"
#include "mmsim/reclaim_policy.h"
#include "mmsim/syscalls.h"
#include "mmsim/version.h"

int main() {
  mmsim::Machine m;
  mmsim::Task& t = m.spawn("install-check", mmsim::Image::kEmpty);
  const long p = mmsim::sys_mmap(t, 0, 4 * mmsim::PAGE_SIZE, PROT_READ | PROT_WRITE,
                                 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p < 0 || mmsim::sys_mlock(t, static_cast<uint64_t>(p), 4 * mmsim::PAGE_SIZE) != 0) {
    std::fprintf(stderr, "mmap/mlock failed: %ld\n", p);
    return 1;
  }
  mmsim::control::drain_all_batches(m);
  const std::string status = mmsim::proc_pid_status(t);
  const size_t at = status.find("VmLck:");
  const long vmlck =
      at == std::string::npos ? -1 : std::strtol(status.c_str() + at + 6, nullptr, 10);
  const size_t policies = mmsim::reclaim_policy_names().size();
  std::printf("mmsim %s (Linux %s): VmLck %ld kB, %zu reclaim policies\n", MMSIM_VERSION,
              MMSIM_KERNEL_VERSION, vmlck, policies);
  return vmlck == 16 && policies >= 2 ? 0 : 1;
}
