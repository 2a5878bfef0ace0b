// Name tables of the scenario language. Constant values come from the C library's headers
// (as include/mmsim/types.h does), so a scenario spells flags exactly as a C program would.
#include "sim/scenario/names.h"

#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>

#include <algorithm>
#include <cctype>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "mmsim/mm_types.h"
#include "mmsim/procfs.h"
#include "mmsim/syscalls.h"
#include "mmsim/types.h"
#include "mmsim/vmstat.h"

namespace mmsim::scenario {

namespace {

struct NamedValue {
  const char* name;
  uint64_t value;
};

// MADV_* values of Linux 6.18 (include/uapi/asm-generic/mman-common.h).
constexpr NamedValue kMadvise[] = {
    {"MADV_NORMAL", 0},           {"MADV_RANDOM", 1},          {"MADV_SEQUENTIAL", 2},
    {"MADV_WILLNEED", 3},         {"MADV_DONTNEED", 4},        {"MADV_FREE", 8},
    {"MADV_REMOVE", 9},           {"MADV_DONTFORK", 10},       {"MADV_DOFORK", 11},
    {"MADV_MERGEABLE", 12},       {"MADV_UNMERGEABLE", 13},    {"MADV_HUGEPAGE", 14},
    {"MADV_NOHUGEPAGE", 15},      {"MADV_DONTDUMP", 16},       {"MADV_DODUMP", 17},
    {"MADV_WIPEONFORK", 18},      {"MADV_KEEPONFORK", 19},     {"MADV_COLD", 20},
    {"MADV_PAGEOUT", 21},         {"MADV_POPULATE_READ", 22},  {"MADV_POPULATE_WRITE", 23},
    {"MADV_DONTNEED_LOCKED", 24}, {"MADV_COLLAPSE", 25},       {"MADV_HWPOISON", 100},
    {"MADV_SOFT_OFFLINE", 101},   {"MADV_GUARD_INSTALL", 102}, {"MADV_GUARD_REMOVE", 103},
};

const absl::flat_hash_map<std::string, uint64_t>& ConstantTable() {
  static const auto* table = [] {
    auto* t = new absl::flat_hash_map<std::string, uint64_t>{
        {"NULL", 0},
        {"PROT_NONE", PROT_NONE},
        {"PROT_READ", PROT_READ},
        {"PROT_WRITE", PROT_WRITE},
        {"PROT_EXEC", PROT_EXEC},
        {"PROT_GROWSDOWN", PROT_GROWSDOWN},
        {"PROT_GROWSUP", PROT_GROWSUP},
        {"MAP_SHARED", MAP_SHARED},
        {"MAP_PRIVATE", MAP_PRIVATE},
        {"MAP_SHARED_VALIDATE", 0x03},
        {"MAP_FIXED", MAP_FIXED},
        {"MAP_ANONYMOUS", MAP_ANONYMOUS},
        {"MAP_ANON", MAP_ANONYMOUS},
        {"MAP_32BIT", 0x40},
        {"MAP_GROWSDOWN", MAP_GROWSDOWN},
        {"MAP_DENYWRITE", 0x0800},
        {"MAP_EXECUTABLE", 0x1000},
        {"MAP_LOCKED", MAP_LOCKED},
        {"MAP_NORESERVE", MAP_NORESERVE},
        {"MAP_POPULATE", MAP_POPULATE},
        {"MAP_NONBLOCK", MAP_NONBLOCK},
        {"MAP_STACK", MAP_STACK},
        {"MAP_HUGETLB", MAP_HUGETLB},
        {"MAP_SYNC", 0x80000},
        {"MAP_FIXED_NOREPLACE", MAP_FIXED_NOREPLACE},
        {"MAP_DROPPABLE", MAP_DROPPABLE},
        {"MAP_FAILED", ~uint64_t{0}},
        {"MS_ASYNC", 1},
        {"MS_INVALIDATE", 2},
        {"MS_SYNC", 4},
        {"MLOCK_ONFAULT", 1},
        {"MCL_CURRENT", 1},
        {"MCL_FUTURE", 2},
        {"MCL_ONFAULT", MCL_ONFAULT},
        {"RLIMIT_CPU", RLIMIT_CPU},
        {"RLIMIT_FSIZE", RLIMIT_FSIZE},
        {"RLIMIT_DATA", RLIMIT_DATA},
        {"RLIMIT_STACK", RLIMIT_STACK},
        {"RLIMIT_CORE", RLIMIT_CORE},
        {"RLIMIT_RSS", RLIMIT_RSS},
        {"RLIMIT_NPROC", RLIMIT_NPROC},
        {"RLIMIT_NOFILE", RLIMIT_NOFILE},
        {"RLIMIT_MEMLOCK", RLIMIT_MEMLOCK},
        {"RLIMIT_AS", RLIMIT_AS},
        {"RLIM_INFINITY", RLIM_INFINITY_VALUE},
        {"O_RDONLY", O_RDONLY},
        {"O_WRONLY", O_WRONLY},
        {"O_RDWR", O_RDWR},
        {"PR_SET_VMA", PR_SET_VMA},
        {"PR_SET_VMA_ANON_NAME", PR_SET_VMA_ANON_NAME},
        // include/uapi/linux/sched.h and signal numbers, for clone().
        {"CLONE_VM", 0x100},
        {"CLONE_FS", 0x200},
        {"CLONE_FILES", 0x400},
        {"CLONE_SIGHAND", 0x800},
        {"CLONE_VFORK", 0x4000},
        {"CLONE_THREAD", 0x10000},
        {"CLONE_SYSVSEM", 0x40000},
        {"SIGCHLD", 17},
        // include/linux/swap.h swapon(2) flags.
        {"SWAP_FLAG_PREFER", 0x8000},
        {"SWAP_FLAG_DISCARD", 0x10000},
    };
    for (const NamedValue& nv : kMadvise) (*t)[nv.name] = nv.value;
    return t;
  }();
  return *table;
}

constexpr const char* kCapabilities[] = {
    "CAP_CHOWN",
    "CAP_DAC_OVERRIDE",
    "CAP_DAC_READ_SEARCH",
    "CAP_FOWNER",
    "CAP_FSETID",
    "CAP_KILL",
    "CAP_SETGID",
    "CAP_SETUID",
    "CAP_SETPCAP",
    "CAP_LINUX_IMMUTABLE",
    "CAP_NET_BIND_SERVICE",
    "CAP_NET_BROADCAST",
    "CAP_NET_ADMIN",
    "CAP_NET_RAW",
    "CAP_IPC_LOCK",
    "CAP_IPC_OWNER",
    "CAP_SYS_MODULE",
    "CAP_SYS_RAWIO",
    "CAP_SYS_CHROOT",
    "CAP_SYS_PTRACE",
    "CAP_SYS_PACCT",
    "CAP_SYS_ADMIN",
    "CAP_SYS_BOOT",
    "CAP_SYS_NICE",
    "CAP_SYS_RESOURCE",
    "CAP_SYS_TIME",
    "CAP_SYS_TTY_CONFIG",
    "CAP_MKNOD",
    "CAP_LEASE",
    "CAP_AUDIT_WRITE",
    "CAP_AUDIT_CONTROL",
    "CAP_SETFCAP",
    "CAP_MAC_OVERRIDE",
    "CAP_MAC_ADMIN",
    "CAP_SYSLOG",
    "CAP_WAKE_ALARM",
    "CAP_BLOCK_SUSPEND",
    "CAP_AUDIT_READ",
    "CAP_PERFMON",
    "CAP_BPF",
    "CAP_CHECKPOINT_RESTORE",
};

std::vector<std::string> SplitWords(const std::string& s, char sep) {
  std::vector<std::string> out;
  for (absl::string_view w : absl::StrSplit(s, sep, absl::SkipWhitespace())) {
    out.emplace_back(absl::StripAsciiWhitespace(w));
  }
  return out;
}

// Field names as the model prints them: rendered once from a tiny machine, so the lists
// follow sim/procfs.cc when it gains fields.
struct RenderedFields {
  std::vector<FieldInfo> status, smaps, meminfo;
};

std::vector<FieldInfo> FieldsOf(const std::string& text) {
  std::vector<FieldInfo> out;
  for (absl::string_view line : absl::StrSplit(text, '\n', absl::SkipEmpty())) {
    const size_t colon = line.find(':');
    if (colon == absl::string_view::npos) continue;
    absl::string_view name = line.substr(0, colon);
    // smaps' map header lines ("7fff...-7fff... rw-p ...") are not fields.
    if (name.find(' ') != absl::string_view::npos || name.find('-') != absl::string_view::npos)
      continue;
    FieldInfo f{std::string(name), absl::EndsWith(line, " kB")};
    if (std::none_of(out.begin(), out.end(), [&](const FieldInfo& g) { return g.name == f.name; }))
      out.push_back(f);
  }
  return out;
}

const RenderedFields& Rendered() {
  static const RenderedFields* r = [] {
    MachineConfig c;
    c.ram_pages = 256;
    Machine m(c);
    Task& t = m.spawn("probe", Image::kEmpty);
    sys_mmap(t, 0, PAGE_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    auto* out = new RenderedFields;
    out->status = FieldsOf(proc_pid_status(t));
    out->smaps = FieldsOf(proc_pid_smaps(t));
    out->meminfo = FieldsOf(proc_meminfo(m));
    return out;
  }();
  return *r;
}

}  // namespace

std::optional<uint64_t> LookupConstant(absl::string_view name) {
  const auto& t = ConstantTable();
  auto it = t.find(std::string(name));
  if (it == t.end()) return std::nullopt;
  return it->second;
}

const std::vector<std::string>& ConstantNames() {
  static const auto* names = [] {
    auto* v = new std::vector<std::string>;
    for (const auto& [k, val] : ConstantTable()) v->push_back(k);
    std::sort(v->begin(), v->end());
    return v;
  }();
  return *names;
}

std::optional<int> LookupErrno(absl::string_view name) {
  for (int e = 1; e < 134; ++e) {
    const char* n = strerrorname_np(e);
    if (n && name == n) return e;
  }
  return std::nullopt;
}

std::string ErrnoName(int err) {
  const char* n = strerrorname_np(err);
  return n ? std::string(n) : absl::StrCat("errno ", err);
}

const std::vector<std::string>& ErrnoNames() {
  static const auto* names = [] {
    auto* v = new std::vector<std::string>;
    for (int e = 1; e < 134; ++e) {
      if (const char* n = strerrorname_np(e)) v->push_back(n);
    }
    return v;
  }();
  return *names;
}

std::optional<int> LookupCapability(absl::string_view name) {
  for (int i = 0; i < static_cast<int>(std::size(kCapabilities)); ++i) {
    if (name == kCapabilities[i]) return i;
  }
  return std::nullopt;
}

const std::vector<std::string>& CapabilityNames() {
  static const auto* v =
      new std::vector<std::string>(std::begin(kCapabilities), std::end(kCapabilities));
  return *v;
}

bool IsKernelMadvise(uint64_t advice) {
  for (const NamedValue& nv : kMadvise) {
    if (nv.value == advice) return true;
  }
  return false;
}

const std::vector<FieldInfo>& StatusFields() { return Rendered().status; }
const std::vector<FieldInfo>& SmapsFields() { return Rendered().smaps; }
const std::vector<FieldInfo>& MeminfoFields() { return Rendered().meminfo; }

const std::vector<std::string>& VmstatNames() {
  static const auto* v = [] {
    auto* names = new std::vector<std::string>;
    for (int i = 0; i < NR_VMSTAT_ITEMS; ++i)
      names->push_back(vmstat_name(static_cast<VmStatItem>(i)));
    return names;
  }();
  return *v;
}

const FieldInfo* FindField(const std::vector<FieldInfo>& fields, absl::string_view name) {
  for (const FieldInfo& f : fields) {
    if (f.name == name) return &f;
  }
  return nullptr;
}

const std::vector<std::string>& KpageflagNames() {
  static const auto* v =
      new std::vector<std::string>(SplitWords(kpageflags_names(~uint64_t{0}), ','));
  return *v;
}

const std::vector<std::string>& VmFlagMnemonics() {
  static const auto* v =
      new std::vector<std::string>(SplitWords(vm_flags_mnemonics(~uint64_t{0}), ' '));
  return *v;
}

const std::vector<std::string>& LruListNames() {
  static const auto* v = new std::vector<std::string>{
      "inactive_anon", "active_anon", "inactive_file", "active_file", "unevictable"};
  static_assert(LRU_INACTIVE_ANON == 0 && LRU_ACTIVE_ANON == 1 && LRU_INACTIVE_FILE == 2 &&
                LRU_ACTIVE_FILE == 3 && LRU_UNEVICTABLE == 4 && NR_LRU_LISTS == 5);
  return *v;
}

int LookupLruList(absl::string_view name) {
  const auto& v = LruListNames();
  for (size_t i = 0; i < v.size(); ++i) {
    if (v[i] == name) return static_cast<int>(i);
  }
  return -1;
}

size_t EditDistance(absl::string_view a, absl::string_view b) {
  std::vector<size_t> prev(b.size() + 1), cur(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) prev[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    cur[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      const bool same = absl::ascii_tolower(static_cast<unsigned char>(a[i - 1])) ==
                        absl::ascii_tolower(static_cast<unsigned char>(b[j - 1]));
      cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (same ? 0 : 1)});
    }
    std::swap(prev, cur);
  }
  return prev[b.size()];
}

std::string DidYouMean(absl::string_view name, const std::vector<std::string>& candidates) {
  if (name.empty() || name.size() > 64) return "";
  const size_t limit = std::max<size_t>(2, name.size() / 3);
  const std::string* best = nullptr;
  size_t best_d = limit + 1;
  for (const std::string& c : candidates) {
    if (c == name) continue;
    const size_t d = EditDistance(name, c);
    if (d < best_d) {
      best_d = d;
      best = &c;
    }
  }
  if (!best) return "";
  return absl::StrCat("did you mean '", *best, "'?");
}

}  // namespace mmsim::scenario
