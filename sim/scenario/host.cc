#include "sim/scenario/host.h"

#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/personality.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

#ifndef MMSIM_HOST_SERVER_PATH
#define MMSIM_HOST_SERVER_PATH ""
#endif

namespace mmsim::scenario {

namespace hp = host_protocol;

namespace {

// What must be undone even if the controller dies: enabled swap files and changed sysctls.
// Fixed arrays so that the signal handler needs no allocation.
constexpr int kMaxCleanup = 64;
char g_swap_paths[kMaxCleanup][512];
char g_sysctl_paths[kMaxCleanup][128];
char g_sysctl_values[kMaxCleanup][32];
volatile sig_atomic_t g_nswap = 0, g_nsysctl = 0;
bool g_handlers_installed = false;

void UndoAll() {
  for (int i = 0; i < g_nswap; ++i) {
    if (g_swap_paths[i][0]) {
      syscall(SYS_swapoff, g_swap_paths[i]);
      g_swap_paths[i][0] = 0;
    }
  }
  for (int i = g_nsysctl - 1; i >= 0; --i) {
    if (!g_sysctl_paths[i][0]) continue;
    const int fd = open(g_sysctl_paths[i], O_WRONLY | O_CLOEXEC);
    if (fd >= 0) {
      const ssize_t n = write(fd, g_sysctl_values[i], strlen(g_sysctl_values[i]));
      (void)n;
      close(fd);
    }
    g_sysctl_paths[i][0] = 0;
  }
}

void OnFatal(int sig) {
  UndoAll();
  signal(sig, SIG_DFL);
  raise(sig);
}

void InstallHandlers() {
  if (g_handlers_installed) return;
  g_handlers_installed = true;
  for (int sig : {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGSEGV, SIGBUS, SIGABRT, SIGFPE, SIGILL}) {
    struct sigaction sa {};
    sa.sa_handler = OnFatal;
    sa.sa_flags = SA_RESETHAND;
    struct sigaction old {};
    sigaction(sig, nullptr, &old);
    // Keep handlers someone else installed (sanitizers, test frameworks) for faults.
    if (old.sa_handler != SIG_DFL && old.sa_handler != SIG_IGN &&
        (sig == SIGSEGV || sig == SIGBUS || sig == SIGABRT || sig == SIGFPE || sig == SIGILL)) {
      continue;
    }
    sigaction(sig, &sa, nullptr);
  }
  atexit(UndoAll);
}

std::string ReadText(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return "";
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

bool WriteText(const std::string& path, const std::string& text) {
  const int fd = open(path.c_str(), O_WRONLY | O_CLOEXEC);
  if (fd < 0) return false;
  const bool ok = write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size());
  close(fd);
  return ok;
}

absl::Status Errno(const std::string& what) {
  return absl::InternalError(absl::StrCat(what, ": ", strerror(errno)));
}

}  // namespace

std::string HostServerPath() {
  if (const char* env = getenv("MMSIM_HOST_SERVER"); env && *env) return env;
  std::error_code ec;
  const auto self = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (!ec) {
    const auto beside = self.parent_path() / "mmsim-host-server";
    if (std::filesystem::exists(beside, ec)) return beside.string();
  }
  return MMSIM_HOST_SERVER_PATH;
}

// Reads one page of this process: is it the zero page? (pagemap PFN, kpageflags bit 24.)
// Unknown (no PFN, unreadable files) counts as "yes", the mainline behaviour.
static bool ProbeZeroPage() {
  constexpr size_t kPage = 4096;
  void* p = mmap(nullptr, kPage, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) return true;
  const volatile char c = *static_cast<volatile char*>(p);
  (void)c;
  bool zero = true;
  const int pm = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
  const int kf = open("/proc/kpageflags", O_RDONLY | O_CLOEXEC);
  uint64_t e = 0, flags = 0;
  if (pm >= 0 && kf >= 0 &&
      pread(pm, &e, sizeof e, static_cast<off_t>(reinterpret_cast<uintptr_t>(p) / kPage * 8)) ==
          static_cast<ssize_t>(sizeof e) &&
      (e >> 63) & 1) {
    const uint64_t pfn = e & ((uint64_t{1} << 55) - 1);
    if (pfn && pread(kf, &flags, sizeof flags, static_cast<off_t>(pfn * 8)) ==
                   static_cast<ssize_t>(sizeof flags)) {
      zero = (flags >> 24) & 1;
    }
  }
  if (pm >= 0) close(pm);
  if (kf >= 0) close(kf);
  munmap(p, kPage);
  return zero;
}

HostSupport ProbeHost() {
  HostSupport s;
  utsname u{};
  uname(&u);
  s.release = u.release;
  s.exact = absl::StartsWith(s.release, "6.18.") || s.release == "6.18";
  if (geteuid() != 0) {
    s.reason = "not root (pagemap PFNs, /proc/kpageflags and swapon need root)";
    return s;
  }
  if (access("/proc/kpageflags", R_OK) != 0 || access("/proc/kpagecount", R_OK) != 0) {
    s.reason = "no readable /proc/kpageflags and /proc/kpagecount";
    return s;
  }
  const std::string server = HostServerPath();
  if (server.empty() || access(server.c_str(), X_OK) != 0) {
    s.reason = absl::StrCat("the server binary mmsim-host-server was not found (",
                            server.empty() ? "no path" : server, "; set MMSIM_HOST_SERVER)");
    return s;
  }
  s.zero_page = ProbeZeroPage();
  s.ok = true;
  return s;
}

std::vector<SmapsEntry> ParseSmaps(const std::string& text) {
  std::vector<SmapsEntry> out;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    if (line.empty()) continue;
    // A header: "start-end perms offset dev inode name".
    const size_t dash = line.find('-');
    const size_t space = line.find(' ');
    if (dash != absl::string_view::npos && space != absl::string_view::npos && dash < space &&
        absl::ascii_isxdigit(static_cast<unsigned char>(line[0]))) {
      SmapsEntry e;
      uint64_t a = 0, b = 0;
      if (!absl::SimpleHexAtoi(line.substr(0, dash), &a) ||
          !absl::SimpleHexAtoi(line.substr(dash + 1, space - dash - 1), &b)) {
        continue;
      }
      e.start = a;
      e.end = b;
      std::vector<absl::string_view> f = absl::StrSplit(line, ' ', absl::SkipEmpty());
      if (f.size() >= 2) e.perms = std::string(f[1]);
      if (f.size() >= 3 && !absl::SimpleHexAtoi(f[2], &e.pgoff)) e.pgoff = 0;
      if (f.size() >= 6) {
        // The name is the rest of the line after the inode (it may contain spaces).
        size_t at = 0;
        for (int i = 0; i < 5; ++i) {
          at = line.find(f[i], at) + f[i].size();
        }
        e.name = std::string(absl::StripAsciiWhitespace(line.substr(at)));
      }
      e.header = std::string(line);
      e.text = absl::StrCat(line, "\n");
      out.push_back(std::move(e));
      continue;
    }
    if (out.empty()) continue;
    SmapsEntry& e = out.back();
    absl::StrAppend(&e.text, line, "\n");
    const size_t colon = line.find(':');
    if (colon == absl::string_view::npos) continue;
    const absl::string_view key = line.substr(0, colon);
    const absl::string_view val = absl::StripAsciiWhitespace(line.substr(colon + 1));
    if (key == "VmFlags") {
      e.vmflags = std::string(val);
      continue;
    }
    int64_t n = 0;
    if (absl::SimpleAtoi(val.substr(0, val.find(' ')), &n)) e.kb[std::string(key)] = n;
  }
  return out;
}

HostMachine::HostMachine() = default;

HostMachine::~HostMachine() {
  for (auto& [name, t] : tasks_) {
    if (t.sock >= 0) close(t.sock);
    if (t.alive && t.pid > 0) kill(t.pid, SIGKILL);
  }
  for (auto& [name, t] : tasks_) {
    if (t.direct_child && t.pid > 0) waitpid(t.pid, nullptr, 0);
    if (t.pidfd >= 0) {
      pollfd p{t.pidfd, POLLIN, 0};
      poll(&p, 1, 2000);
      close(t.pidfd);
    }
  }
  if (kpageflags_fd_ >= 0) close(kpageflags_fd_);
  if (kpagecount_fd_ >= 0) close(kpagecount_fd_);
  for (const std::string& p : swaps_) SwapOff(p);
  for (auto it = sysctls_.rbegin(); it != sysctls_.rend(); ++it) WriteText(it->first, it->second);
  for (int i = 0; i < g_nsysctl; ++i) g_sysctl_paths[i][0] = 0;
  g_nsysctl = 0;
  if (!tmpdir_.empty()) {
    std::error_code ec;
    std::filesystem::remove_all(tmpdir_, ec);
  }
  if (pinned_) {
    sched_setaffinity(0, old_affinity_.size(), reinterpret_cast<cpu_set_t*>(old_affinity_.data()));
  }
}

absl::Status HostMachine::Start() {
  InstallHandlers();
  // A directory on the root file system (swap files need a real block-backed file system).
  std::string base = "/var/tmp";
  if (access(base.c_str(), W_OK) != 0) base = "/tmp";
  std::string templ = base + "/mmsim-host-XXXXXX";
  std::vector<char> buf(templ.begin(), templ.end());
  buf.push_back(0);
  if (!mkdtemp(buf.data())) return Errno("mkdtemp");
  tmpdir_ = buf.data();
  // The servers run on CPU 0; the controller's own faults and frees go to another CPU's
  // batches so that they do not drain CPU 0's.
  old_affinity_.assign(sizeof(cpu_set_t), 0);
  if (sched_getaffinity(0, old_affinity_.size(),
                        reinterpret_cast<cpu_set_t*>(old_affinity_.data())) == 0) {
    cpu_set_t set;
    CPU_ZERO(&set);
    const long n = sysconf(_SC_NPROCESSORS_ONLN);
    for (long c = 1; c < n; ++c) CPU_SET(static_cast<int>(c), &set);
    if (n > 1 && sched_setaffinity(0, sizeof(set), &set) == 0) pinned_ = true;
  }
  return absl::OkStatus();
}

absl::Status HostMachine::Exchange(HostTask& t, const hp::Request& req, int pass_fd,
                                   hp::Reply* rep) {
  iovec iov{const_cast<hp::Request*>(&req), sizeof(req)};
  msghdr msg{};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int))] = {};
  if (pass_fd >= 0) {
    msg.msg_control = control;
    msg.msg_controllen = sizeof(control);
    cmsghdr* c = CMSG_FIRSTHDR(&msg);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(sizeof(int));
    memcpy(CMSG_DATA(c), &pass_fd, sizeof(int));
  }
  ssize_t r;
  do {
    r = sendmsg(t.sock, &msg, MSG_NOSIGNAL);
  } while (r < 0 && errno == EINTR);
  if (r != static_cast<ssize_t>(sizeof(req))) {
    return absl::InternalError(absl::StrCat("task ", t.name, "'s server (pid ", t.pid,
                                            ") did not take the request: ", strerror(errno)));
  }
  char* p = reinterpret_cast<char*>(rep);
  size_t got = 0;
  while (got < sizeof(*rep)) {
    pollfd pf{t.sock, POLLIN, 0};
    if (poll(&pf, 1, 60000) <= 0) {
      return absl::InternalError(
          absl::StrCat("task ", t.name, "'s server (pid ", t.pid, ") did not answer in 60 s"));
    }
    r = recv(t.sock, p + got, sizeof(*rep) - got, 0);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) {
      return absl::InternalError(absl::StrCat("task ", t.name, "'s server (pid ", t.pid,
                                              ") died (a signal the step raised?)"));
    }
    got += static_cast<size_t>(r);
  }
  return absl::OkStatus();
}

absl::StatusOr<int64_t> HostMachine::Spawn(const std::string& name, bool has_memlock,
                                           uint64_t memlock, uint64_t caps_drop) {
  const std::string server = HostServerPath();
  int sv[2];
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv)) return Errno("socketpair");
  const pid_t pid = fork();
  if (pid < 0) return Errno("fork");
  if (pid == 0) {
    // Without randomisation, as the simulator lays out address spaces (setarch -R).
    personality(ADDR_NO_RANDOMIZE);
    dup2(sv[1], hp::kServerFd);
    const int null = open("/dev/null", O_RDWR);
    if (null >= 0) {
      dup2(null, 0);
      dup2(null, 1);
    }
    syscall(SYS_close_range, 3, hp::kServerFd - 1, 0);
    syscall(SYS_close_range, hp::kServerFd + 1, ~0U, 0);
    char* argv[] = {const_cast<char*>("mmsim-host-server"), nullptr};
    execv(server.c_str(), argv);
    _exit(127);
  }
  close(sv[1]);
  HostTask t;
  t.name = name;
  t.pid = pid;
  t.sock = sv[0];
  t.direct_child = true;
  t.pidfd = static_cast<int>(syscall(SYS_pidfd_open, pid, 0));
  tasks_[name] = t;
  hp::Request req;
  req.op = hp::kSetup;
  req.a[0] = 0;  // CPU 0, where the simulator runs its tasks
  req.a[1] = req.a[2] = memlock;
  req.a[3] = has_memlock ? 1 : 0;
  req.a[4] = caps_drop;
  hp::Reply rep;
  if (absl::Status st = Exchange(tasks_[name], req, -1, &rep); !st.ok()) return st;
  return rep.ret;
}

absl::StatusOr<hp::Reply> HostMachine::Send(const std::string& name, const hp::Request& req) {
  auto it = tasks_.find(name);
  if (it == tasks_.end() || !it->second.alive) {
    return absl::FailedPreconditionError(absl::StrCat("task ", name, " has no server"));
  }
  hp::Reply rep;
  if (absl::Status st = Exchange(it->second, req, -1, &rep); !st.ok()) return st;
  return rep;
}

absl::StatusOr<int64_t> HostMachine::Fork(const std::string& parent, const std::string& child) {
  auto it = tasks_.find(parent);
  if (it == tasks_.end() || !it->second.alive) {
    return absl::FailedPreconditionError(absl::StrCat("task ", parent, " has no server"));
  }
  int sv[2];
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv)) return Errno("socketpair");
  hp::Request req;
  req.op = hp::kFork;
  hp::Reply rep;
  absl::Status st = Exchange(it->second, req, sv[1], &rep);
  close(sv[1]);
  if (!st.ok() || rep.ret <= 0) {
    close(sv[0]);
    if (!st.ok()) return st;
    return rep.ret;
  }
  HostTask t;
  t.name = child;
  t.pid = static_cast<pid_t>(rep.ret);
  t.sock = sv[0];
  t.pidfd = static_cast<int>(syscall(SYS_pidfd_open, t.pid, 0));
  tasks_[child] = t;
  return rep.ret;
}

absl::StatusOr<int64_t> HostMachine::Exit(const std::string& name, int status) {
  auto it = tasks_.find(name);
  if (it == tasks_.end() || !it->second.alive) {
    return absl::FailedPreconditionError(absl::StrCat("task ", name, " has no server"));
  }
  HostTask& t = it->second;
  hp::Request req;
  req.op = hp::kExit;
  req.a[0] = static_cast<uint64_t>(status);
  hp::Reply rep;
  if (absl::Status st = Exchange(t, req, -1, &rep); !st.ok()) return st;
  // exit_mm runs before the exit is signalled on the pidfd: the mm is gone when it polls.
  if (t.pidfd >= 0) {
    pollfd p{t.pidfd, POLLIN, 0};
    poll(&p, 1, 10000);
  }
  if (t.direct_child) waitpid(t.pid, nullptr, 0);
  t.alive = false;
  close(t.sock);
  t.sock = -1;
  return rep.ret;
}

const HostTask* HostMachine::Find(const std::string& name) const {
  auto it = tasks_.find(name);
  if (it == tasks_.end() || !it->second.alive) return nullptr;
  return &it->second;
}

const HostTask* HostMachine::AnyTask() const {
  for (const auto& [name, t] : tasks_) {
    if (t.alive) return &t;
  }
  return nullptr;
}

std::string HostMachine::HostPath(const std::string& path) const {
  return absl::StrCat(tmpdir_, "/files", path.empty() || path[0] != '/' ? "/" : "", path);
}

std::string HostMachine::ScenarioPath(const std::string& host_path) const {
  const std::string prefix = absl::StrCat(tmpdir_, "/files");
  if (absl::StartsWith(host_path, prefix)) return host_path.substr(prefix.size());
  return host_path;
}

absl::Status HostMachine::CreateFile(const std::string& path, uint64_t size) {
  const std::string hpath = HostPath(path);
  std::error_code ec;
  std::filesystem::create_directories(std::filesystem::path(hpath).parent_path(), ec);
  const int fd = open(hpath.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return Errno(absl::StrCat("create ", hpath));
  // Written out (no holes): a swap file must be fully allocated.
  std::vector<char> zeros(1 << 20, 0);
  uint64_t left = size;
  while (left > 0) {
    const size_t n = static_cast<size_t>(std::min<uint64_t>(left, zeros.size()));
    if (write(fd, zeros.data(), n) != static_cast<ssize_t>(n)) {
      close(fd);
      return Errno(absl::StrCat("write ", hpath));
    }
    left -= n;
  }
  fsync(fd);
  // Out of the page cache again: the simulator's files start with none cached.
  posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
  close(fd);
  return absl::OkStatus();
}

absl::Status HostMachine::PrepareSwap(const std::string& path) {
  const std::string hpath = HostPath(path);
  for (const std::string& p : swaps_) {
    if (p == path) return absl::OkStatus();
  }
  if (g_nswap >= kMaxCleanup) return absl::ResourceExhaustedError("too many swap files");
  const std::string cmd = absl::StrCat("mkswap '", hpath, "' >/dev/null 2>&1");
  if (system(cmd.c_str()) != 0) {
    return absl::InternalError(absl::StrCat("mkswap ", hpath, " failed"));
  }
  swaps_.push_back(path);
  const int i = g_nswap;
  snprintf(g_swap_paths[i], sizeof(g_swap_paths[i]), "%s", hpath.c_str());
  g_nswap = i + 1;
  return absl::OkStatus();
}

void HostMachine::SwapOff(const std::string& path) {
  const std::string hpath = HostPath(path);
  syscall(SYS_swapoff, hpath.c_str());
  for (int i = 0; i < g_nswap; ++i) {
    if (hpath == g_swap_paths[i]) g_swap_paths[i][0] = 0;
  }
}

absl::Status HostMachine::SetSysctl(const std::string& name, uint64_t value) {
  std::string path = absl::StrCat("/proc/sys/", name);
  for (char& c : path) {
    if (c == '.') c = '/';
  }
  const std::string old = std::string(absl::StripAsciiWhitespace(ReadText(path)));
  if (old.empty()) return absl::NotFoundError(absl::StrCat("no sysctl ", name));
  if (g_nsysctl >= kMaxCleanup) return absl::ResourceExhaustedError("too many sysctl changes");
  const int i = g_nsysctl;
  snprintf(g_sysctl_paths[i], sizeof(g_sysctl_paths[i]), "%s", path.c_str());
  snprintf(g_sysctl_values[i], sizeof(g_sysctl_values[i]), "%s", old.c_str());
  g_nsysctl = i + 1;
  sysctls_.push_back({path, old});
  if (!WriteText(path, absl::StrCat(value))) return Errno(absl::StrCat("write ", path));
  return absl::OkStatus();
}

std::string HostMachine::ReadProc(const std::string& name, const std::string& file) const {
  const HostTask* t = Find(name);
  if (!t) return "";
  return ReadText(absl::StrCat("/proc/", t->pid, "/", file));
}

std::vector<SmapsEntry> HostMachine::Smaps(const std::string& name) const {
  std::vector<SmapsEntry> v = ParseSmaps(ReadProc(name, "smaps"));
  for (SmapsEntry& e : v) e.name = ScenarioPath(e.name);
  return v;
}

std::string HostMachine::Status(const std::string& name) const { return ReadProc(name, "status"); }

absl::StatusOr<HostPage> HostMachine::Page(const std::string& name, uint64_t addr) const {
  const HostTask* t = Find(name);
  if (!t) return absl::FailedPreconditionError(absl::StrCat("task ", name, " has no server"));
  HostPage p;
  const int fd = open(absl::StrCat("/proc/", t->pid, "/pagemap").c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return Errno("open pagemap");
  uint64_t e = 0;
  const ssize_t n = pread(fd, &e, 8, static_cast<off_t>((addr >> 12) * 8));
  close(fd);
  if (n != 8) return p;
  p.present = (e >> 63) & 1;
  p.swapped = (e >> 62) & 1;
  if (p.swapped) {
    p.swap_type = static_cast<uint32_t>(e & 0x1f);
    p.swap_offset = (e >> 5) & ((uint64_t{1} << 50) - 1);
  }
  if (p.present) {
    const uint64_t pfn = e & ((uint64_t{1} << 55) - 1);
    auto word = [&](int* fd, const char* file) {
      uint64_t v = 0;
      if (*fd < 0) *fd = open(file, O_RDONLY | O_CLOEXEC);
      if (*fd >= 0 && pread(*fd, &v, 8, static_cast<off_t>(pfn * 8)) != 8) v = 0;
      return v;
    };
    p.flags = word(&kpageflags_fd_, "/proc/kpageflags");
    p.mapcount = static_cast<int64_t>(word(&kpagecount_fd_, "/proc/kpagecount"));
  }
  return p;
}

std::string HostMachine::Vmstat() const {
  WriteText("/proc/sys/vm/stat_refresh", "1");
  return ReadText("/proc/vmstat");
}

std::string HostMachine::Meminfo() const {
  WriteText("/proc/sys/vm/stat_refresh", "1");
  return ReadText("/proc/meminfo");
}

std::string HostMachine::Swaps() const {
  std::string text = ReadText("/proc/swaps");
  const std::string prefix = absl::StrCat(tmpdir_, "/files");
  std::string out;
  for (absl::string_view line : absl::StrSplit(text, '\n', absl::SkipEmpty())) {
    std::string l(line);
    if (const size_t at = l.find(prefix); at != std::string::npos) l.erase(at, prefix.size());
    absl::StrAppend(&out, l, "\n");
  }
  return out;
}

}  // namespace mmsim::scenario
