// mmsim-host-server: one real process standing in for one scenario task on the host kernel.
// The controller (sim/scenario/host.cc) starts it without address-space randomisation and
// sends it requests (sim/scenario/host_protocol.h) on fd kServerFd: a raw syscall, a user
// access page by page, fork, exit, a batch drain. It is linked statically and unmaps its
// [vdso]/[vvar], so that its own mappings (its binary near 0x400000, its brk heap, its
// [stack] at the top) stay clear of the addresses the simulator hands out. It never
// allocates after start-up: mlockall(MCL_FUTURE) with a tiny RLIMIT_MEMLOCK must not break it.
#include <fcntl.h>
#include <linux/capability.h>
#include <sched.h>
#include <setjmp.h>
#include <signal.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>

#include "sim/scenario/host_protocol.h"

namespace {

using namespace mmsim::scenario::host_protocol;

constexpr uint64_t kPage = 4096;
// A page of the server's own, far from the simulator's layout, for draining batches.
char* const kScratch = reinterpret_cast<char*>(0x2aaa00000000ULL);

sigjmp_buf g_fault_jmp;
volatile sig_atomic_t g_in_touch = 0;

void OnFault(int sig) {
  if (g_in_touch) siglongjmp(g_fault_jmp, 1);
  signal(sig, SIG_DFL);
  raise(sig);
}

// Unmaps the vdso and vvar pages the kernel placed just below mmap_base.
void UnmapSpecial() {
  static char buf[1 << 16];
  const int fd = open("/proc/self/maps", O_RDONLY | O_CLOEXEC);
  if (fd < 0) return;
  size_t n = 0;
  for (;;) {
    const ssize_t r = read(fd, buf + n, sizeof(buf) - 1 - n);
    if (r <= 0) break;
    n += static_cast<size_t>(r);
  }
  close(fd);
  buf[n] = 0;
  for (char* line = buf; line && *line;) {
    char* nl = strchr(line, '\n');
    if (nl) *nl = 0;
    if (strstr(line, "[vdso]") || strstr(line, "[vvar")) {
      unsigned long a = 0, b = 0;
      if (sscanf(line, "%lx-%lx", &a, &b) == 2) munmap(reinterpret_cast<void*>(a), b - a);
    }
    line = nl ? nl + 1 : nullptr;
  }
}

bool ReadRequest(Request* req, int* passed_fd) {
  *passed_fd = -1;
  char* p = reinterpret_cast<char*>(req);
  size_t got = 0;
  while (got < sizeof(*req)) {
    iovec iov{p + got, sizeof(*req) - got};
    alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int))];
    msghdr msg{};
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control;
    msg.msg_controllen = sizeof(control);
    const ssize_t r = recvmsg(kServerFd, &msg, MSG_CMSG_CLOEXEC);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) return false;
    for (cmsghdr* c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
      if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS) {
        memcpy(passed_fd, CMSG_DATA(c), sizeof(int));
      }
    }
    got += static_cast<size_t>(r);
  }
  return true;
}

void SendReply(const Reply& rep) {
  const char* p = reinterpret_cast<const char*>(&rep);
  size_t sent = 0;
  while (sent < sizeof(rep)) {
    const ssize_t r = send(kServerFd, p + sent, sizeof(rep) - sent, MSG_NOSIGNAL);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) _exit(3);
    sent += static_cast<size_t>(r);
  }
}

int64_t Result(long r) { return r == -1 ? -static_cast<int64_t>(errno) : r; }

// One access per page, as a user program touching each page would make; a SIGSEGV or SIGBUS
// ends the walk with -EFAULT (the simulator's user_access does the same).
int64_t Touch(uint64_t addr, uint64_t len, bool write) {
  if (len == 0) return 0;
  const uint64_t end = addr + len;
  if (end < addr) return -EFAULT;
  volatile uint64_t a = addr;
  if (sigsetjmp(g_fault_jmp, 1)) {
    g_in_touch = 0;
    return -EFAULT;
  }
  g_in_touch = 1;
  while (a < end) {
    char* p = reinterpret_cast<char*>(static_cast<uint64_t>(a));
    a = (a & ~(kPage - 1)) + kPage;
    if (write) {
      // A read-modify-write instruction: one write fault, the data unchanged.
      asm volatile("lock orb $0, (%0)" : : "r"(p) : "memory");
    } else {
      (void)*reinterpret_cast<volatile char*>(p);
    }
    if (a == 0) break;  // wrapped past the top
  }
  g_in_touch = 0;
  return 0;
}

int64_t Capset(uint64_t drop, uint64_t raise_eff) {
  __user_cap_header_struct h{_LINUX_CAPABILITY_VERSION_3, 0};
  __user_cap_data_struct d[2];
  if (syscall(SYS_capget, &h, d)) return -errno;
  for (int i = 0; i < 2; ++i) {
    const uint32_t dr = static_cast<uint32_t>(drop >> (32 * i));
    const uint32_t ra = static_cast<uint32_t>(raise_eff >> (32 * i));
    d[i].effective = (d[i].effective & ~dr) | ra;
    d[i].permitted &= ~dr;
  }
  return Result(syscall(SYS_capset, &h, d));
}

int64_t Drain() {
  // munlock drains this CPU's batches (mlock_vma_pages_range) and a non-empty MADV_COLD of
  // an unlocked present page does too (docs/host-facts.md).
  long r = munlock(kScratch, kPage);
  *reinterpret_cast<volatile char*>(kScratch) = 1;
  if (r == 0) r = madvise(kScratch, kPage, MADV_COLD);
  return Result(r);
}

}  // namespace

int main() {
  UnmapSpecial();
  if (mmap(kScratch, kPage, PROT_READ | PROT_WRITE,
           MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0) != kScratch) {
    return 2;
  }
  *kScratch = 1;
  struct sigaction sa {};
  sa.sa_handler = OnFault;
  sa.sa_flags = SA_NODEFER;
  sigaction(SIGSEGV, &sa, nullptr);
  sigaction(SIGBUS, &sa, nullptr);
  signal(SIGCHLD, SIG_IGN);  // forked servers are reaped by the kernel
  signal(SIGPIPE, SIG_IGN);

  Request req;
  int passed = -1;
  while (ReadRequest(&req, &passed)) {
    Reply rep;
    switch (req.op) {
      case kSyscall: {
        uint64_t a[6];
        memcpy(a, req.a, sizeof(a));
        req.str[sizeof(req.str) - 1] = 0;
        if (req.str_arg >= 0 && req.str_arg < 6)
          a[req.str_arg] = reinterpret_cast<uint64_t>(req.str);
        if (req.out_arg >= 0 && req.out_arg < 6)
          a[req.out_arg] = reinterpret_cast<uint64_t>(rep.out);
        errno = 0;
        rep.ret = Result(syscall(static_cast<long>(req.nr), a[0], a[1], a[2], a[3], a[4], a[5]));
        break;
      }
      case kTouch:
        rep.ret = Touch(req.a[0], req.a[1], req.a[2] != 0);
        break;
      case kFork: {
        if (passed < 0) {
          rep.ret = -EBADF;
          break;
        }
        const pid_t pid = fork();
        if (pid == 0) {
          dup2(passed, kServerFd);
          close(passed);
          continue;  // the child serves the new socket; the parent replies
        }
        close(passed);
        rep.ret = pid < 0 ? -errno : pid;
        break;
      }
      case kExit:
        SendReply(rep);
        _exit(static_cast<int>(req.a[0]));
      case kDrain:
        rep.ret = Drain();
        break;
      case kSetup: {
        cpu_set_t set;
        CPU_ZERO(&set);
        CPU_SET(static_cast<int>(req.a[0]), &set);
        if (sched_setaffinity(0, sizeof(set), &set)) rep.ret = -errno;
        if (rep.ret == 0 && req.a[3]) {
          const rlimit r{req.a[1], req.a[2]};
          if (setrlimit(RLIMIT_MEMLOCK, &r)) rep.ret = -errno;
        }
        if (rep.ret == 0 && req.a[4]) rep.ret = Capset(req.a[4], 0);
        break;
      }
      case kCapset:
        rep.ret = Capset(req.a[0], req.a[1]);
        break;
      case kGetrlimit: {
        rlimit r{};
        rep.ret = Result(getrlimit(static_cast<__rlimit_resource>(req.a[0]), &r));
        rep.value[0] = r.rlim_cur;
        rep.value[1] = r.rlim_max;
        break;
      }
      case kSetrlimit: {
        const rlimit r{req.a[1], req.a[2]};
        rep.ret = Result(setrlimit(static_cast<__rlimit_resource>(req.a[0]), &r));
        break;
      }
      default:
        rep.ret = -ENOSYS;
    }
    SendReply(rep);
  }
  return 0;
}
