// The syscall table of the scenario language (syscall_table.h says who reads it). A row's
// model entry adapts the evaluated arguments to the model's sys_* function
// (include/mmsim/syscalls.h) and reports the range it touched.
#include "sim/scenario/syscall_table.h"

#include <sys/syscall.h>

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "mmsim/control.h"
#include "mmsim/syscalls.h"
#include "mmsim/types.h"
#include "sim/scenario/names.h"

// Rows and outcomes name only the fields they set (designated initializers); the rest keep
// their defaults, which is what -Wmissing-field-initializers would complain about.
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"

namespace mmsim::scenario {

namespace hp = host_protocol;

void CallOutcome::set_range(uint64_t start, uint64_t len) {
  has_range = true;
  range_start = start & PAGE_MASK;
  const uint64_t end = start + len;
  range_end = end < start || PAGE_ALIGN(end) < end ? PAGE_MASK : PAGE_ALIGN(end);
}

namespace {

constexpr uint64_t kCloneVm = 0x100, kCloneSighand = 0x800, kCloneThread = 0x10000;

// The model entries, one a call.

absl::StatusOr<CallOutcome> Mmap(const CallContext& c) {
  CallOutcome o;
  const auto& v = c.v;
  o.result = sys_mmap(c.task, v[0], v[1], v[2], v[3], static_cast<int>(v[4]), v[5]);
  o.set_range(o.result >= 0 ? static_cast<uint64_t>(o.result) : v[0], v[1]);
  o.new_mapping = o.result >= 0;
  return o;
}

// The calls of the shape f(task, addr, len, ...): the range is [addr, addr+len).
template <long (*F)(Task&, uint64_t, uint64_t)>
absl::StatusOr<CallOutcome> Range2(const CallContext& c) {
  CallOutcome o;
  o.set_range(c.v[0], c.v[1]);
  o.result = F(c.task, c.v[0], c.v[1]);
  return o;
}

template <typename T, long (*F)(Task&, uint64_t, uint64_t, T)>
absl::StatusOr<CallOutcome> Range3(const CallContext& c) {
  CallOutcome o;
  o.set_range(c.v[0], c.v[1]);
  o.result = F(c.task, c.v[0], c.v[1], static_cast<T>(c.v[2]));
  return o;
}

absl::StatusOr<CallOutcome> Madvise(const CallContext& c) {
  // A symbol can carry an advice the parser could not see.
  if (IsKernelMadvise(c.v[2]) && !control::madvise_is_modelled(static_cast<int>(c.v[2]))) {
    return absl::UnimplementedError(
        absl::StrCat("madvise advice ", c.v[2], " is not modelled yet"));
  }
  return Range3<int, sys_madvise>(c);
}

absl::StatusOr<CallOutcome> Brk(const CallContext& c) {
  CallOutcome o;
  const uint64_t old = c.task.mm->brk;
  o.result = sys_brk(c.task, c.v[0]);
  const uint64_t now = c.task.mm->brk;
  if (old != now) o.set_range(std::min(old, now), std::max(old, now) - std::min(old, now));
  return o;
}

absl::StatusOr<CallOutcome> Mlockall(const CallContext& c) {
  return CallOutcome{.result = sys_mlockall(c.task, c.v[0])};
}

absl::StatusOr<CallOutcome> Munlockall(const CallContext& c) {
  return CallOutcome{.result = sys_munlockall(c.task)};
}

int Resource(uint64_t v) {
  return v >= static_cast<uint64_t>(kNumRlimits) ? -1 : static_cast<int>(v);
}

absl::StatusOr<CallOutcome> Setrlimit(const CallContext& c) {
  return CallOutcome{.result = sys_setrlimit(c.task, Resource(c.v[0]), c.v[1], c.v[2])};
}

absl::StatusOr<CallOutcome> Getrlimit(const CallContext& c) {
  CallOutcome o;
  o.binds_result = false;
  uint64_t cur = 0, max = 0;
  o.result = sys_getrlimit(c.task, Resource(c.v[0]), &cur, &max);
  if (o.result == 0) {
    auto lim = [](uint64_t x) {
      return x == RLIM_INFINITY_VALUE ? std::string("RLIM_INFINITY") : absl::StrCat(x);
    };
    o.extra = absl::StrCat(" {rlim_cur=", lim(cur), ", rlim_max=", lim(max), "}");
    o.bound = cur;
  }
  return o;
}

absl::StatusOr<CallOutcome> Prctl(const CallContext& c) {
  CallOutcome o;
  o.set_range(c.v[2], c.v[3]);
  const Arg& name = c.args[4];
  o.result = sys_prctl_set_vma_anon_name(c.task, c.v[2], c.v[3],
                                         name.kind == Arg::kNull ? nullptr : name.str.c_str());
  return o;
}

absl::StatusOr<CallOutcome> Capset(const CallContext& c) {
  uint64_t eff = c.task.cap_effective, perm = c.task.cap_permitted;
  for (const Arg& a : c.args) {
    const uint64_t bit = uint64_t{1} << a.cap;
    if (a.cap_sign > 0) {
      eff |= bit;
    } else {
      eff &= ~bit;
      perm &= ~bit;
    }
  }
  return CallOutcome{.result = sys_capset(c.task, eff, perm)};
}

absl::StatusOr<CallOutcome> Open(const CallContext& c) {
  return CallOutcome{.result = sys_open(c.task, c.args[0].str, static_cast<int>(c.v[1]))};
}

absl::StatusOr<CallOutcome> Close(const CallContext& c) {
  return CallOutcome{.result = sys_close(c.task, static_cast<int>(c.v[0]))};
}

absl::StatusOr<CallOutcome> Fork(const CallContext& c) {
  return CallOutcome{.result = sys_fork(c.task)};
}

absl::StatusOr<CallOutcome> Clone(const CallContext& c) {
  const uint64_t flags = c.v[0];
  CallOutcome o;
  // copy_process: a thread group shares signal handlers, which need a shared mm.
  if ((flags & kCloneThread) && !(flags & kCloneSighand)) {
    o.result = -EINVAL;
  } else if ((flags & kCloneSighand) && !(flags & kCloneVm)) {
    o.result = -EINVAL;
  } else {
    o.result = (flags & kCloneVm) ? sys_clone_thread(c.task) : sys_fork(c.task);
  }
  return o;
}

absl::StatusOr<CallOutcome> Mincore(const CallContext& c) {
  CallOutcome o;
  o.set_range(c.v[0], c.v[1]);
  std::vector<uint8_t> vec;
  o.result = sys_mincore(c.task, c.v[0], c.v[1], &vec);
  if (o.result == 0) {
    o.has_output = true;
    for (uint8_t b : vec) o.output.push_back(static_cast<char>('0' + b));
    o.extra = absl::StrCat(" \"", o.output, "\"");
  }
  return o;
}

absl::StatusOr<CallOutcome> Execve(const CallContext& c) {
  return CallOutcome{.result = sys_execve(c.task, Image::kProcess)};
}

absl::StatusOr<CallOutcome> Exit(const CallContext& c) {
  return CallOutcome{.result = sys_exit(c.task)};
}

absl::StatusOr<CallOutcome> Swapon(const CallContext& c) {
  const int flags = c.args.size() > 1 ? static_cast<int>(c.v[1]) : 0;
  return CallOutcome{.result = sys_swapon(c.task, c.args[0].str, flags)};
}

absl::StatusOr<CallOutcome> Swapoff(const CallContext& c) {
  return CallOutcome{.result = sys_swapoff(c.task, c.args[0].str)};
}

// Parse-time checks of constant arguments.

bool IsConstant(const Arg& a, uint64_t value) {
  return a.kind == Arg::kExpr && !a.expr.uses_symbol && a.expr.kind == Expr::kNumber &&
         a.expr.value == value;
}

// Only PR_SET_VMA / PR_SET_VMA_ANON_NAME is modelled.
std::optional<ArgProblem> CheckPrctl(const std::vector<Arg>& args) {
  if (!IsConstant(args[0], static_cast<uint64_t>(PR_SET_VMA))) {
    return ArgProblem{0, absl::StrCat("prctl option '", args[0].text, "'"),
                      "PR_SET_VMA (the only prctl modelled)"};
  }
  if (!IsConstant(args[1], static_cast<uint64_t>(PR_SET_VMA_ANON_NAME))) {
    return ArgProblem{1, absl::StrCat("PR_SET_VMA attribute '", args[1].text, "'"),
                      "PR_SET_VMA_ANON_NAME"};
  }
  if (args[4].kind == Arg::kExpr) {
    return ArgProblem{4, absl::StrCat("found '", args[4].text, "'"), "a quoted name or NULL"};
  }
  return std::nullopt;
}

std::optional<ArgProblem> CheckMadvise(const std::vector<Arg>& args) {
  const Expr& adv = args[2].expr;
  if (!adv.uses_symbol && adv.kind == Expr::kNumber && IsKernelMadvise(adv.value) &&
      !control::madvise_is_modelled(static_cast<int>(adv.value))) {
    return ArgProblem{2, absl::StrCat("madvise advice '", adv.text, "' is not modelled yet"),
                      "an advice the model implements (see docs/fidelity.md)"};
  }
  return std::nullopt;
}

// The host oracle's per-call rules.

bool PlaceMmap(hp::Request& req, const std::vector<uint64_t>& v, long sim) {
  constexpr uint64_t kMapFixed = 0x10, kMapFixedNoreplace = 0x100000;
  if (sim < 0 || (v[3] & (kMapFixed | kMapFixedNoreplace))) return false;
  req.a[0] = static_cast<uint64_t>(sim);
  req.a[3] = v[3] | kMapFixedNoreplace;
  return true;
}

const char* RefuseBrk(const std::vector<uint64_t>&) {
  return "skipped: brk is not comparable on the host because the server's program break "
         "follows its own binary's bss, not the simulated image's";
}

const char* RefuseLongMincore(const std::vector<uint64_t>& v) {
  return v[1] > uint64_t{hp::kOutBytes} * PAGE_SIZE
             ? "mincore of more than 256 pages is not compared on the host (the server's buffer)"
             : nullptr;
}

const char* RefuseExecve(const std::vector<uint64_t>&) {
  return "execve is not supported on the host yet (the new image is the server's, laid out "
         "differently from the simulator's program image)";
}

const char* RefuseCloneVm(const std::vector<uint64_t>& v) {
  return (v[0] & kCloneVm) ? "clone(CLONE_VM) threads are not supported on the host yet" : nullptr;
}

HostCall Sys(long nr) { return HostCall{.op = hp::kSyscall, .nr = nr}; }
HostCall Op(uint32_t op) { return HostCall{.op = op}; }

constexpr auto kNumber = ResultFormat::kNumber;
constexpr auto kAddress = ResultFormat::kAddress;

// clang-format off
const std::vector<SyscallRow>& Rows() {
  static const auto* rows = new std::vector<SyscallRow>{
    // name, args, min, max, usage, result, names_task, ends_task, model, check, host, fuzz
    {"mmap", "eeeeee", 6, 6, "mmap(addr, len, prot, flags, fd, offset)", kAddress, false, false,
     Mmap, nullptr, {.op = hp::kSyscall, .nr = SYS_mmap, .place = PlaceMmap}, 18},
    {"munmap", "ee", 2, 2, "munmap(addr, len)", kNumber, false, false,
     Range2<sys_munmap>, nullptr, Sys(SYS_munmap), 7},
    {"mprotect", "eee", 3, 3, "mprotect(addr, len, prot)", kNumber, false, false,
     Range3<uint64_t, sys_mprotect>, nullptr, Sys(SYS_mprotect), 10},
    {"madvise", "eee", 3, 3, "madvise(addr, len, advice)", kNumber, false, false,
     Madvise, CheckMadvise, Sys(SYS_madvise), 9},
    {"msync", "eee", 3, 3, "msync(addr, len, flags)", kNumber, false, false,
     Range3<int, sys_msync>, nullptr, Sys(SYS_msync), 0},
    {"brk", "e", 1, 1, "brk(addr)", kAddress, false, false,
     Brk, nullptr, {.refuse = RefuseBrk}, 0},
    {"mlock", "ee", 2, 2, "mlock(addr, len)", kNumber, false, false,
     Range2<sys_mlock>, nullptr, Sys(SYS_mlock), 11},
    {"mlock2", "eee", 3, 3, "mlock2(addr, len, flags)", kNumber, false, false,
     Range3<uint64_t, sys_mlock2>, nullptr, Sys(SYS_mlock2), 5},
    {"munlock", "ee", 2, 2, "munlock(addr, len)", kNumber, false, false,
     Range2<sys_munlock>, nullptr, Sys(SYS_munlock), 7},
    {"mlockall", "e", 1, 1, "mlockall(flags)", kNumber, false, false,
     Mlockall, nullptr, {.op = hp::kSyscall, .nr = SYS_mlockall, .server_locks = true}, 4},
    {"munlockall", "", 0, 0, "munlockall()", kNumber, false, false,
     Munlockall, nullptr, {.op = hp::kSyscall, .nr = SYS_munlockall, .server_locks = true}, 3},
    {"mincore", "ee", 2, 2, "mincore(addr, len)", kNumber, false, false,
     Mincore, nullptr,
     {.op = hp::kSyscall, .nr = SYS_mincore, .refuse = RefuseLongMincore, .out_arg = 2}, 0},
    {"setrlimit", "eee", 3, 3, "setrlimit(resource, cur, max)", kNumber, false, false,
     Setrlimit, nullptr, Op(hp::kSetrlimit), 3},
    {"getrlimit", "e", 1, 1, "getrlimit(resource)", kNumber, false, false,
     Getrlimit, nullptr, Op(hp::kGetrlimit), 0},
    {"prctl", "eeeen", 5, 5, "prctl(PR_SET_VMA, PR_SET_VMA_ANON_NAME, addr, len, \"name\")",
     kNumber, false, false, Prctl, CheckPrctl, Sys(SYS_prctl), 0},
    {"capset", "c", 1, 41, "capset(+CAP_X, -CAP_Y, ...)", kNumber, false, false,
     Capset, nullptr, Op(hp::kCapset), 2},
    {"open", "pe", 2, 2, "open(\"path\", flags)", kNumber, false, false,
     Open, nullptr, Sys(SYS_open), 0},
    {"close", "e", 1, 1, "close(fd)", kNumber, false, false,
     Close, nullptr, Sys(SYS_close), 0},
    {"fork", "", 0, 0, "B = fork() (B names the child task)", kNumber, true, false,
     Fork, nullptr, {.op = hp::kFork, .sign_only = true}, 5},
    {"clone", "e", 1, 1,
     "T = clone(CLONE_VM|CLONE_FS|CLONE_FILES|CLONE_SIGHAND|CLONE_THREAD)", kNumber, true, false,
     Clone, nullptr, {.op = hp::kFork, .refuse = RefuseCloneVm, .sign_only = true}, 0},
    {"execve", "pe", 1, 3, "execve(\"/path\"[, NULL, NULL])", kNumber, false, false,
     Execve, nullptr, {.refuse = RefuseExecve}, 0},
    {"exit", "e", 0, 1, "exit([status])", kNumber, false, true,
     Exit, nullptr, Op(hp::kExit), 0},
    {"swapon", "pe", 1, 2, "swapon(\"/path\"[, SWAP_FLAG_PREFER|prio])", kNumber, false, false,
     Swapon, nullptr, {.op = hp::kSyscall, .nr = SYS_swapon, .swap_file = true}, 0},
    {"swapoff", "p", 1, 1, "swapoff(\"/path\")", kNumber, false, false,
     Swapoff, nullptr, Sys(SYS_swapoff), 0},
  };
  return *rows;
}
// clang-format on

constexpr const char* kNotModelled[] = {
    "vfork",  "clone3", "execveat", "exit_group",      "mremap",           "mseal",
    "shmget", "shmat",  "shmctl",   "process_madvise", "remap_file_pages", "userfaultfd",
};

}  // namespace

const std::vector<SyscallRow>& SyscallTable() { return Rows(); }

const SyscallRow* LookupSyscall(absl::string_view name) {
  for (const SyscallRow& s : Rows()) {
    if (name == s.name) return &s;
  }
  return nullptr;
}

std::vector<std::string> SyscallNames() {
  std::vector<std::string> v;
  for (const SyscallRow& s : Rows()) v.push_back(s.name);
  return v;
}

char ArgKindAt(const SyscallRow& row, size_t i) {
  const absl::string_view k(row.arg_kinds);
  if (k.empty()) return 'e';
  return k[std::min(i, k.size() - 1)];
}

const char* NotModelledSyscall(absl::string_view name) {
  for (const char* n : kNotModelled) {
    if (name == n) return n;
  }
  return nullptr;
}

}  // namespace mmsim::scenario
