#include "sim/scenario/diff.h"

#include <sys/syscall.h>

#include <algorithm>
#include <cerrno>
#include <map>
#include <set>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "mmsim/control.h"
#include "mmsim/observer.h"
#include "mmsim/procfs.h"
#include "sim/scenario/commands.h"
#include "sim/scenario/expect.h"
#include "sim/scenario/names.h"
#include "sim/scenario/runner.h"
#include "sim/scenario/syscall_table.h"
#include "sim/scenario/views.h"

namespace mmsim::scenario {

namespace hp = host_protocol;

std::string Divergence::ToString() const {
  return absl::StrCat(where, " ", step, ", ", view, ", ", field, ", simulator ", sim, ", kernel ",
                      kernel);
}

namespace {

constexpr uint64_t kPage = 4096;
constexpr uint64_t kMclCurrent = 1;
constexpr uint64_t kMclOnfault = 4;
constexpr int kCapIpcLock = 14;

std::string Hex(uint64_t v) { return absl::StrFormat("%#x", v); }

// The [vsyscall] gate: listed in maps and smaps, but not a VMA of the mm.
bool IsGate(const SmapsEntry& e) { return e.start >= (uint64_t{1} << 47); }

// Status fields that can be compared once the VMAs outside the window are taken out.
const std::vector<std::string>& ComparableStatus() {
  static const std::vector<std::string> k = {"VmSize",  "VmLck",   "VmPin",    "VmRSS",
                                             "RssAnon", "RssFile", "RssShmem", "VmSwap"};
  return k;
}

// The status field the kernel shows an mm counter in (VmLck is locked_vm in kB), or nullptr
// for counters the server's own image and faults make incomparable.
const char* StatusOfMm(const std::string& counter) {
  if (counter == "locked_vm") return "VmLck";
  if (counter == "total_vm") return "VmSize";
  if (counter == "pinned_vm") return "VmPin";
  return nullptr;
}

// Global counters whose changes the scenario's own tasks cause (when attributable).
bool ComparableCounter(const std::string& name) {
  return absl::StartsWith(name, "unevictable_pgs_") || name == "nr_mlock" ||
         name == "nr_unevictable" || name == "pswpin" || name == "pswpout" || name == "Mlocked" ||
         name == "Unevictable" || name == "SwapTotal" || name == "SwapFree";
}

std::set<std::string> Words(const std::string& s) {
  std::vector<std::string> v = absl::StrSplit(s, ' ', absl::SkipEmpty());
  return std::set<std::string>(v.begin(), v.end());
}

std::string SortedWords(const std::string& s) { return absl::StrJoin(Words(s), " "); }

std::optional<int64_t> TextField(const std::string& text, const std::string& field) {
  auto v = ViewField(text, field);
  if (!v) return std::nullopt;
  return LeadingNumber(*v);
}

std::optional<int64_t> VmstatField(const std::string& text, const std::string& field) {
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    std::vector<absl::string_view> f = absl::StrSplit(line, ' ', absl::SkipEmpty());
    if (f.size() == 2 && f[0] == field) {
      int64_t v = 0;
      if (absl::SimpleAtoi(f[1], &v)) return v;
    }
  }
  return std::nullopt;
}

// The kpageflags bits a page comparison looks at.
constexpr int kComparedKpf[] = {KPF_MLOCKED, KPF_UNEVICTABLE, KPF_LRU,      KPF_ACTIVE,
                                KPF_ANON,    KPF_SWAPBACKED,  KPF_ZERO_PAGE};

HostPage SimPage(const Task& t, uint64_t addr) {
  const PageInfo pi = page_info(t, addr);
  HostPage p;
  p.present = pi.present;
  p.swapped = pi.swapped;
  p.flags = pi.present ? pi.kpageflags : 0;
  p.mapcount = pi.present ? pi.kpagecount : 0;
  p.swap_type = pi.swap_type;
  p.swap_offset = pi.swap_offset;
  p.folio = pi.present ? pi.folio : 0;
  if (pi.present && pi.folio != ZERO_FOLIO) {
    for (int cpu = 0; cpu < control::nr_cpus(*t.machine); ++cpu) {
      for (const control::BatchEntry& e :
           control::batch_contents(*t.machine, cpu, control::Batch::kMlock)) {
        if (e.folio == pi.folio && e.op == control::BatchOp::kMunlock) p.munlock_pending = true;
      }
    }
  }
  return p;
}

bool Bit(const HostPage& p, int b) { return p.present && (p.flags >> b & 1); }

// A flag the kernel has and the simulator has not yet, only because something else on CPU 0
// drained the per-CPU batches earlier than the simulated CPU did: a fresh folio already on an
// LRU list, a mlocked folio already on the unevictable list.
bool BatchAhead(const std::string& flag, const HostPage& sim, const HostPage& host) {
  if (!sim.present || !host.present) return false;
  if (flag == "lru") return true;
  if (flag == "unevictable") return Bit(sim, KPF_MLOCKED) && Bit(host, KPF_MLOCKED);
  return false;
}

// The reverse direction for a pending munlock: the simulator still shows the folio mlocked
// (and unevictable) because the munlock waits in its mlock batch; the kernel's batch on CPU 0
// was drained earlier and the folio is already munlocked.
bool MunlockAhead(const std::string& flag, const HostPage& sim, const HostPage& host) {
  if (!sim.present || !host.present || !sim.munlock_pending) return false;
  if (flag != "mlocked" && flag != "unevictable") return false;
  return Bit(sim, KPF_MLOCKED) && !Bit(host, KPF_MLOCKED) && !Bit(host, KPF_UNEVICTABLE);
}

// The host page with the batch-timing allowance applied: bits the kernel is ahead on are
// taken from the simulator.
HostPage Normalised(const HostPage& sim, const HostPage& host) {
  HostPage h = host;
  for (const auto& [bit, name] : {std::pair{KPF_LRU, "lru"}, {KPF_UNEVICTABLE, "unevictable"}}) {
    if (!Bit(sim, bit) && Bit(host, bit) && BatchAhead(name, sim, host)) {
      h.flags &= ~(uint64_t{1} << bit);
    }
  }
  if (MunlockAhead("mlocked", sim, host)) {
    for (int bit : {KPF_MLOCKED, KPF_UNEVICTABLE, KPF_LRU, KPF_ACTIVE}) {
      h.flags = (h.flags & ~(uint64_t{1} << bit)) | (sim.flags & (uint64_t{1} << bit));
    }
  }
  return h;
}

std::string PageState(const HostPage& p, bool brief) {
  if (p.present) {
    uint64_t f = 0;
    for (int b : kComparedKpf) f |= p.flags & (uint64_t{1} << b);
    if (brief) {
      f &= (uint64_t{1} << KPF_MLOCKED) | (uint64_t{1} << KPF_UNEVICTABLE);
      return absl::StrCat("present ", kpageflags_names(f));
    }
    return absl::StrCat("present mapcount ", p.mapcount, " ", kpageflags_names(f));
  }
  if (p.swapped) return brief ? "swap" : absl::StrFormat("swap type %u", p.swap_type);
  return "none";
}

std::string PageLine(uint64_t addr, const HostPage& p) {
  if (p.present) {
    return absl::StrFormat("%#014x  present  %8d  %s\n", addr, p.mapcount,
                           kpageflags_names(p.flags));
  }
  if (p.swapped) {
    return absl::StrFormat("%#014x  swap     %8s  type %u offset %#x\n", addr, "-", p.swap_type,
                           p.swap_offset);
  }
  return absl::StrFormat("%#014x  none     %8s\n", addr, "-");
}

// The engine is also the kernel's side of every numeric expectation (NumberViews, Now and
// AtMark below); the runner is the simulator's. JudgeNumber judges both.
class Engine : private NumberViews {
 public:
  // `adjusted`: the machine config was changed to match the host; `own_failures` the
  // "file:line" of expectations that fail on the scenario's own, unadjusted machine.
  Engine(const Scenario& sc, const DiffOptions& opt, bool adjusted,
         std::set<std::string> own_failures = {})
      : sc_(sc),
        opt_(opt),
        runner_(sc),
        adjusted_(adjusted),
        own_failures_(std::move(own_failures)) {}

  DiffOutcome Run();

 private:
  // Why the rest of the scenario cannot be compared; stops the run.
  void Skip(const Step& s, const std::string& why) {
    out_.skipped = true;
    out_.skip_reason = absl::StrCat(s.loc.file, ":", s.loc.line, ": ", why);
  }
  void Diverge(const Step& s, const std::string& step, const std::string& view,
               const std::string& field, const std::string& sim, const std::string& kernel) {
    out_.divergences.push_back(
        {absl::StrCat(s.loc.file, ":", s.loc.line), step, view, field, sim, kernel});
  }
  // Both sides agree but not with the scenario's expectation: a divergence, unless the
  // simulated machine was adjusted to the host (DiffScenario), where the expectation was
  // written for another machine.
  void WrongExpectation(const Step& s, const std::string& step, const std::string& view,
                        const std::string& field, const std::string& sim,
                        const std::string& kernel) {
    if (!adjusted_ || own_failures_.count(absl::StrCat(s.loc.file, ":", s.loc.line))) {
      return Diverge(s, step, view, field, sim, kernel);
    }
    Note(s, absl::StrCat(view, " ", field, ": simulator and kernel agree (", kernel,
                         ") on this machine, which differs from the scenario's"));
  }
  // Normalised(), remembering which batch the kernel was found ahead on: the simulated CPU's
  // same batch is drained after the step (Resync), so that one early drain on the host does
  // not turn into later differences (a folio that is off the LRU in one and on it in the
  // other takes different paths, e.g. in wp_can_reuse_anon_folio).
  HostPage Allow(const HostPage& sim, const HostPage& host) {
    HostPage h = Normalised(sim, host);
    // A refault the kernel judged recent and activated, where the simulator's smaller
    // workingset (the simulated machine's LRU lists, not the host's) said not recent: the
    // simulated folio is activated after the step (Resync), as the kernel's was.
    constexpr uint64_t kActive = uint64_t{1} << KPF_ACTIVE;
    if (sim.present && host.present && !Bit(sim, KPF_ACTIVE) && Bit(host, KPF_ACTIVE)) {
      const auto& rf = refaults_not_recent_;
      if (std::find(rf.begin(), rf.end(), sim.folio) != rf.end()) {
        h.flags &= ~kActive;
        refault_active_.insert(sim.folio);
      }
    }
    if ((h.flags ^ host.flags) >> KPF_LRU & 1) {
      sync_lru_ = true;
      ahead_.insert(sim.folio);
    }
    // A munlock the kernel applied early (MunlockAhead) is not followed: the folio's later
    // history (activation by a touch while it was evictable on one side and unevictable on
    // the other) would differ anyway; the normalisation alone covers it.
    if (!MunlockAhead("mlocked", sim, host) && ((h.flags ^ host.flags) >> KPF_UNEVICTABLE & 1)) {
      sync_mlock_ = true;
      ahead_.insert(sim.folio);
    }
    return h;
  }
  void Resync(const Step& s) {
    Machine& m = runner_.machine();
    refaults_not_recent_.clear();
    for (uint32_t folio : refault_active_) {
      control::activate_as_refault(m, folio);
      Note(s,
           "the kernel judged a refault recent and activated the folio (its workingset is "
           "the host's LRU lists); the simulated folio was activated to match (allowance)");
    }
    refault_active_.clear();
    if (!sync_lru_ && !sync_mlock_) return;
    // The kernel drained the batch of CPU 0 (the servers' CPU) at some moment: everything
    // queued before the last folio found ahead went with it, what came after did not.
    auto drain_head = [&](control::Batch b) {
      const std::vector<control::BatchEntry> entries = control::batch_contents(m, 0, b);
      int n = 0;
      for (int i = 0; i < static_cast<int>(entries.size()); ++i) {
        if (ahead_.count(entries[i].folio)) n = i + 1;
      }
      control::drain_batch_head(m, 0, b, n).IgnoreError();  // lru_add, mlock: always OK
    };
    if (sync_lru_) drain_head(control::Batch::kLruAdd);
    if (sync_mlock_) drain_head(control::Batch::kMlock);
    ahead_.clear();
    Note(s, absl::StrCat("the kernel had drained CPU 0's ", sync_lru_ ? "lru_add" : "",
                         sync_lru_ && sync_mlock_ ? " and " : "", sync_mlock_ ? "mlock" : "",
                         " batch earlier; the simulated CPU's was drained to match"));
    sync_lru_ = sync_mlock_ = false;
  }
  // The lock mode of the server's own VMAs after mlockall(flags) / munlockall (0 unlocked,
  // 1 locked, 2 on fault) from `old_mode`, and whether the call drains CPU 0 on their
  // account: VM_LOCKED set or cleared on them (mlock_vma_pages_range), or MCL_CURRENT without
  // MCL_ONFAULT (their populate ends in lru_add_drain). Toggling only VM_LOCKONFAULT on
  // locked VMAs does neither; mlockall(MCL_FUTURE) alone only sets def_flags.
  static std::pair<int, bool> ServerVmas(int old_mode, uint64_t flags, bool munlockall) {
    int mode = munlockall ? 0 : old_mode;
    if (!munlockall && (flags & kMclCurrent)) mode = (flags & kMclOnfault) ? 2 : 1;
    const bool populates = !munlockall && (flags & kMclCurrent) && !(flags & kMclOnfault);
    return {mode, (old_mode != 0) != (mode != 0) || populates};
  }
  // The simulator's mlockall/munlockall observation point (on_mlockall_walk): the server's
  // binary and heap lie below every simulated VMA, so the kernel's drain for them comes
  // before the simulated VMAs are changed or populated.
  void ServerVmasBefore(uint64_t flags, bool munlockall) {
    if (ServerVmas(outside_locked_[cur_task_], flags, munlockall).second) {
      control::drain_local_batches(runner_.machine());
    }
  }
  void Note(const Step& s, const std::string& what) {
    out_.notes.push_back(absl::StrCat(s.loc.file, ":", s.loc.line, ": ", what));
  }
  void Log(const std::string& text) {
    if (opt_.host_log) *opt_.host_log << text;
  }
  bool InWindow(uint64_t start, uint64_t end) const {
    for (const auto& [a, b] : window_) {
      if (start < b && end > a) return true;
    }
    return false;
  }
  void AddWindow(uint64_t start, uint64_t end) {
    if (end > start && end - start <= (uint64_t{1} << 40)) window_.push_back({start, end});
  }

  absl::Status Step1(const Step& s);
  absl::Status DoCall(const Step& s, const std::vector<uint64_t>& v, const StepResult& r);
  absl::Status DoAccess(const Step& s, uint64_t addr, uint64_t len, const StepResult& r);
  absl::Status DoExpect(const Step& s, const StepResult& r);
  // NumberViews: the kernel's numbers, as the simulated process would have them.
  absl::StatusOr<std::optional<int64_t>> Now(const Expectation& x, uint64_t addr) override;
  int64_t AtMark(const Expectation& x) override;
  absl::Status DoShow(const Step& s, const StepResult& r);
  void CompareWindow(const Step& s, const std::string& task, const std::string& step_text);
  // Without compare_every_call: only looks for batches the kernel drained early (Allow), so
  // that Resync keeps the simulated CPU in step; reports nothing.
  void ProbeBatches(const std::string& task);

  std::vector<SmapsEntry> SimSmaps(const std::string& task) const {
    Task* t = runner_.FindTask(task);
    return t ? ParseSmaps(proc_pid_smaps(*t)) : std::vector<SmapsEntry>{};
  }
  // The contribution of VMAs outside the window to a status field, in kB.
  int64_t Outside(const std::vector<SmapsEntry>& v, const std::string& field) const;
  int64_t OutsideCount(const std::vector<SmapsEntry>& v) const {
    int64_t n = 0;
    for (const SmapsEntry& e : v) n += InWindow(e.start, e.end) || IsGate(e) ? 0 : 1;
    return n;
  }
  // host_status(field) - host_outside + sim_outside: the kernel's value as the simulated
  // process would have it.
  std::optional<int64_t> KernelStatus(const std::string& task, const std::string& field);

  // vm.max_map_count counts every VMA of the mm: the host's limit is the scenario's plus
  // the server's own VMAs less the simulated ones outside the window (first task).
  void ApplyMaxMapCount(const Step& s) {
    int64_t offset = 0;
    for (const Step& st : sc_.steps) {
      if (st.kind != Step::kTask || !hm_.Find(st.task) || !runner_.FindTask(st.task)) continue;
      offset = OutsideCount(hm_.Smaps(st.task)) - OutsideCount(SimSmaps(st.task));
      break;
    }
    const int64_t v = std::max<int64_t>(max_map_count_ + offset, 0);
    if (absl::Status st = hm_.SetSysctl("vm.max_map_count", static_cast<uint64_t>(v)); !st.ok()) {
      Skip(s, std::string(st.message()));
    }
  }

  std::string RowText(const SmapsEntry& e) const {
    return absl::StrFormat("%x-%x %s %s%s%s", e.start, e.end, e.perms, SortedWords(e.vmflags),
                           e.name.empty() ? "" : " ", e.name);
  }
  std::vector<std::string> Rows(const std::vector<SmapsEntry>& v, uint64_t lo, uint64_t hi,
                                bool window) const {
    std::vector<std::string> rows;
    for (const SmapsEntry& e : v) {
      if (IsGate(e)) continue;
      if (window ? InWindow(e.start, e.end) : (e.start < hi && e.end > lo))
        rows.push_back(RowText(e));
    }
    return rows;
  }
  absl::StatusOr<int64_t> WantValue(const Step& s, const ExpectedValue& v) const;
  // The host's value for a delta counter since mark, if attributable.
  bool Attributable(const Step& s, const std::string& what) {
    if (polluted_) {
      Note(s, absl::StrCat(what,
                           " not compared: since the mark, a step changed the locks of the "
                           "server's own mappings (mlockall/munlockall/exit), which the "
                           "global counters include"));
      return false;
    }
    return true;
  }

  // What the oracle follows of the model (include/mmsim/observer.h): mlockall's walk, for
  // the server's own VMAs (ServerVmasBefore), and refaults judged not recent (Allow).
  class Observer : public MachineObserver {
   public:
    explicit Observer(Engine* e) : e_(e) {}
    void on_mlockall_walk(Task&, uint64_t flags, bool munlockall) override {
      e_->ServerVmasBefore(flags, munlockall);
    }
    void on_refault(uint32_t folio, bool recent) override {
      if (!recent) e_->refaults_not_recent_.push_back(folio);
    }

   private:
    Engine* e_;
  };

  const Scenario& sc_;
  const DiffOptions& opt_;
  Observer observer_{this};  // before runner_: outlives the machine it is registered on
  std::vector<uint32_t> refaults_not_recent_;  // since the last step (Resync clears it)
  Runner runner_;
  const bool adjusted_;
  const std::set<std::string> own_failures_;
  HostMachine hm_;
  DiffOutcome out_;
  std::vector<std::pair<uint64_t, uint64_t>> window_;
  std::string mark_vmstat_, mark_meminfo_;  // the kernel's at the last `mark`
  bool polluted_ = false;
  bool sync_lru_ = false, sync_mlock_ = false;  // see Allow()
  std::set<uint32_t> refault_active_;           // see Allow()
  std::set<uint32_t> ahead_;                    // the simulator's folios found behind
  int64_t max_map_count_ = -1;
  // mlockall(MCL_CURRENT) in effect on the server's own VMAs: 0 no, 1 locked, 2 on fault.
  std::map<std::string, int> outside_locked_;
  std::string cur_task_;  // the task of the step being run (for ServerVmasBefore)
  std::map<std::string, uint64_t> caps_drop_;  // what the task has dropped (sim's view)
};

int64_t Engine::Outside(const std::vector<SmapsEntry>& v, const std::string& field) const {
  int64_t sum = 0;
  for (const SmapsEntry& e : v) {
    if (InWindow(e.start, e.end) || IsGate(e)) continue;
    auto kb = [&](const char* k) {
      auto it = e.kb.find(k);
      return it == e.kb.end() ? int64_t{0} : it->second;
    };
    if (field == "VmSize") sum += kb("Size");
    if (field == "VmLck" && Words(e.vmflags).count("lo")) sum += kb("Size");
    if (field == "VmRSS") sum += kb("Rss");
    if (field == "RssAnon") sum += kb("Anonymous");
    if (field == "RssFile") sum += kb("Rss") - kb("Anonymous");
    if (field == "VmSwap") sum += kb("Swap");
  }
  return sum;
}

std::optional<int64_t> Engine::KernelStatus(const std::string& task, const std::string& field) {
  auto host = TextField(hm_.Status(task), field);
  if (!host) return std::nullopt;
  return *host - Outside(hm_.Smaps(task), field) + Outside(SimSmaps(task), field);
}

absl::StatusOr<int64_t> Engine::WantValue(const Step& s, const ExpectedValue& v) const {
  auto raw = runner_.Eval(v.value);
  if (!raw.ok()) return raw.status();
  return WantedNumber(v, *raw);
}

DiffOutcome Engine::Run() {
  out_.file = sc_.file;
  if (absl::Status st = hm_.Start(); !st.ok()) {
    out_.skipped = true;
    out_.skip_reason = absl::StrCat(sc_.file, ": ", st.message());
    return out_;
  }
  if (sc_.config.ram_pages > MachineConfig{}.ram_pages) {
    out_.skipped = true;
    out_.skip_reason = absl::StrCat(
        sc_.file, ": the scenario's machine has ", sc_.config.ram_pages >> 18,
        " GiB of RAM (more than the default 4 GiB); not run on the host, where it could lock "
        "most of the memory");
    return out_;
  }
  mark_vmstat_ = hm_.Vmstat();
  mark_meminfo_ = hm_.Meminfo();
  runner_.machine().add_observer(&observer_);
  while (!runner_.done() && !out_.skipped) {
    const Step& s = runner_.next_step();
    if (absl::Status st = Step1(s); !st.ok()) {
      out_.error = std::string(st.message());
      break;
    }
    Resync(s);
    ++out_.steps_run;
  }
  return out_;
}

absl::Status Engine::Step1(const Step& s) {
  // Arguments are evaluated before the simulator runs the step (`p = mmap(p, ...)`).
  std::vector<uint64_t> v(s.args.size(), 0);
  uint64_t addr = 0, len = 0;
  if (s.kind == Step::kCall) {
    for (size_t i = 0; i < s.args.size(); ++i) {
      if (s.args[i].kind != Arg::kExpr) continue;
      auto e = runner_.Eval(s.args[i].expr);
      if (!e.ok()) return e.status();
      v[i] = *e;
    }
  }
  if (s.kind == Step::kAccess) {
    auto a = runner_.Eval(s.addr);
    auto l = runner_.Eval(s.len);
    if (!a.ok()) return a.status();
    if (!l.ok()) return l.status();
    addr = *a;
    len = *l;
  }
  // Refusals that do not depend on the simulator's result come first.
  switch (s.kind) {
    case Step::kFile:
      if (s.unevictable) {
        Skip(s, "file fs=ramfs is not supported on the host yet (it needs a ramfs mount)");
        return absl::OkStatus();
      }
      break;
    case Step::kReclaim:
      Skip(s,
           "reclaim is not supported on the host yet (the host reclaims through the memory "
           "cgroup, not a page count)");
      return absl::OkStatus();
    case Step::kCall:
      if (s.row->host.refuse) {
        if (const char* why = s.row->host.refuse(v)) {
          Skip(s, why);
          return absl::OkStatus();
        }
      }
      break;
    default:
      break;
  }
  cur_task_ = s.task;
  auto rs = runner_.RunStep();
  if (!rs.ok()) return rs.status();
  const StepResult& r = *rs;
  switch (s.kind) {
    case Step::kFile:
      if (absl::Status st = hm_.CreateFile(s.path, s.size); !st.ok()) {
        Skip(s, std::string(st.message()));
      }
      Log(absl::StrCat(s.loc.file, ":", s.loc.line, "  ", s.text, "\n"));
      return absl::OkStatus();
    case Step::kTask: {
      auto res = hm_.Spawn(s.task, s.has_memlock, s.memlock, s.caps_drop);
      if (!res.ok()) return res.status();
      caps_drop_[s.task] = s.caps_drop;
      if (*res == -EPERM && s.has_memlock) {
        Skip(s, absl::StrCat("the host refused RLIMIT_MEMLOCK ", s.memlock,
                             " (this sandbox refuses to raise a hard rlimit even for root)"));
      } else if (*res < 0) {
        Skip(s, absl::StrCat("the server's setup failed: ", ErrnoName(static_cast<int>(-*res))));
      }
      if (max_map_count_ >= 0) ApplyMaxMapCount(s);
      Log(absl::StrCat(s.loc.file, ":", s.loc.line, "  ", s.text, "   [pid ",
                       hm_.Find(s.task) ? hm_.Find(s.task)->pid : -1, "]\n"));
      return absl::OkStatus();
    }
    case Step::kCall:
      return DoCall(s, v, r);
    case Step::kAccess:
      return DoAccess(s, addr, len, r);
    case Step::kSysctl:
      if (s.sysctl == "vm.max_map_count") {
        max_map_count_ = static_cast<int64_t>(s.sysctl_value);
        ApplyMaxMapCount(s);
      } else if (absl::Status st = hm_.SetSysctl(s.sysctl, s.sysctl_value); !st.ok()) {
        Skip(s, std::string(st.message()));
      }
      Log(absl::StrCat(s.loc.file, ":", s.loc.line, "  ", s.text, "\n"));
      return absl::OkStatus();
    case Step::kMark:
      mark_vmstat_ = hm_.Vmstat();
      mark_meminfo_ = hm_.Meminfo();
      polluted_ = false;
      Log(absl::StrCat(s.loc.file, ":", s.loc.line, "  ", s.text, "\n"));
      return absl::OkStatus();
    case Step::kDrain: {
      // The servers all run on CPU 0: draining its batches is lru_add_drain_all for them.
      if (const HostTask* t = hm_.AnyTask()) {
        hp::Request req;
        req.op = hp::kDrain;
        auto rep = hm_.Send(t->name, req);
        if (!rep.ok()) return rep.status();
      }
      Log(absl::StrCat(s.loc.file, ":", s.loc.line, "  ", s.text, "\n"));
      return absl::OkStatus();
    }
    case Step::kExpect: {
      const size_t d0 = out_.divergences.size(), n0 = out_.notes.size();
      absl::Status st = DoExpect(s, r);
      if (out_.divergences.size() > d0) {
        for (size_t i = d0; i < out_.divergences.size(); ++i) {
          const Divergence& d = out_.divergences[i];
          Log(absl::StrCat("    DIFFERS: ", d.view, " ", d.field, ": simulator ", d.sim,
                           ", kernel ", d.kernel, "\n"));
        }
      } else if (out_.notes.size() > n0) {
        Log(absl::StrCat("    (", out_.notes.back().substr(out_.notes.back().find(": ") + 2),
                         ")\n"));
      } else {
        Log("    holds on the kernel\n");
      }
      return st;
    }
    case Step::kShow:
      return DoShow(s, r);
    default:
      Skip(s, absl::StrCat("step kind ", static_cast<int>(s.kind),
                           " is not supported on the host yet"));
      return absl::OkStatus();
  }
}

absl::Status Engine::DoCall(const Step& s, const std::vector<uint64_t>& v, const StepResult& r) {
  const std::string& c = s.call;
  const long sim = r.result;
  hp::Request req;
  req.op = hp::kSyscall;
  for (size_t i = 0; i < v.size() && i < 6; ++i) req.a[i] = v[i];
  int64_t host = 0;
  std::string extra;
  std::string host_out;  // what the kernel wrote to the server's buffer (Request::out_arg)
  auto send = [&]() -> absl::Status {
    auto rep = hm_.Send(s.task, req);
    if (!rep.ok()) return rep.status();
    host = rep->ret;
    if (req.out_arg >= 0 && host == 0) {
      for (size_t i = 0; i < r.output.size() && i < sizeof(rep->out); ++i) {
        host_out.push_back(static_cast<char>('0' + rep->out[i]));
      }
      extra = absl::StrCat(" \"", host_out, "\"");
    }
    if (req.op == hp::kGetrlimit && host == 0) {
      auto lim = [](uint64_t x) {
        return x == ~uint64_t{0} ? std::string("RLIM_INFINITY") : absl::StrCat(x);
      };
      extra =
          absl::StrCat(" {rlim_cur=", lim(rep->value[0]), ", rlim_max=", lim(rep->value[1]), "}");
    }
    return absl::OkStatus();
  };
  auto str_arg = [&](int i, const std::string& text) {
    req.str_arg = i;
    snprintf(req.str, sizeof(req.str), "%s", text.c_str());
  };
  const HostCall& hc = s.row->host;
  const bool compare_sign_only = hc.sign_only;
  if (hc.op == hp::kFork) {
    if (sim < 0) {
      host = sim;  // copy_process's flag checks: nothing to run on the host
      Note(s, "clone flags the simulator refused were not issued on the host");
    } else {
      auto res = hm_.Fork(s.task, s.symbol);
      if (!res.ok()) return res.status();
      host = *res;
      caps_drop_[s.symbol] = caps_drop_[s.task];
    }
  } else if (hc.op == hp::kExit) {
    auto res = hm_.Exit(s.task, s.args.empty() ? 0 : static_cast<int>(v[0]));
    if (!res.ok()) return res.status();
    host = *res;
    if (outside_locked_[s.task]) polluted_ = true;
  } else if (hc.op != 0) {
    req.op = hc.op;
    req.nr = static_cast<uint64_t>(hc.nr);
    req.out_arg = hc.out_arg;
    uint64_t drop = 0, raise = 0;
    for (size_t i = 0; i < s.args.size(); ++i) {
      const Arg& a = s.args[i];
      if (a.kind == Arg::kCap) (a.cap_sign > 0 ? raise : drop) |= uint64_t{1} << a.cap;
      if (a.kind != Arg::kString) continue;
      // Paths name the scenario's files, which live under the host's scratch directory.
      str_arg(static_cast<int>(i), ArgKindAt(*s.row, i) == 'p' ? hm_.HostPath(a.str) : a.str);
    }
    if (hc.op == hp::kCapset) {
      req.a[0] = drop;
      req.a[1] = raise;
    }
    const bool placed = hc.place && hc.place(req, v, sim);
    if (hc.swap_file) {
      if (absl::Status st = hm_.PrepareSwap(s.args[0].str); !st.ok()) {
        Skip(s, std::string(st.message()));
        return absl::OkStatus();
      }
    }
    const uint64_t lock_flags = v.empty() ? 0 : v[0];
    const bool munlockall = v.empty();
    if (hc.server_locks && (lock_flags & kMclCurrent) && (caps_drop_[s.task] >> kCapIpcLock & 1)) {
      // The limit check of MCL_CURRENT counts the whole address space, the server's too.
      Task* t = runner_.FindTask(s.task);
      const uint64_t limit = t ? t->rlim->cur[RLIMIT_MEMLOCK] : 0;
      const int64_t sim_kb = TextField(t ? proc_pid_status(*t) : "", "VmSize").value_or(0);
      const int64_t host_kb = TextField(hm_.Status(s.task), "VmSize").value_or(0);
      const bool sim_fits = static_cast<uint64_t>(sim_kb) * 1024 <= limit;
      const bool host_fits = static_cast<uint64_t>(host_kb) * 1024 <= limit;
      if (limit != ~uint64_t{0} && sim_fits != host_fits) {
        Skip(s, absl::StrCat("mlockall(MCL_CURRENT) without CAP_IPC_LOCK compares the whole "
                             "address space with RLIMIT_MEMLOCK (",
                             limit, " bytes); the server's own mappings make it ", host_kb,
                             " kB on the host against ", sim_kb, " kB simulated"));
        return absl::OkStatus();
      }
    }
    if (absl::Status st = send(); !st.ok()) return st;
    if (placed && host == -EEXIST) {
      Skip(s, absl::StrCat("the host process already has a mapping at ", Hex(req.a[0]),
                           " where the simulator placed this mmap (MAP_FIXED_NOREPLACE: EEXIST)"));
      return absl::OkStatus();
    }
    if (hc.op == hp::kSetrlimit && host == -EPERM && sim == 0) {
      Skip(s,
           "this sandbox refuses to raise a hard rlimit even for root (EPERM; the kernel's "
           "rule is CAP_SYS_RESOURCE)");
      return absl::OkStatus();
    }
    if (hc.op == hp::kCapset && host == 0) {
      caps_drop_[s.task] = (caps_drop_[s.task] | drop) & ~raise;
    }
    if (r.new_mapping) AddWindow(static_cast<uint64_t>(sim), r.range_end);
    if (hc.server_locks && host == 0) {
      // The server's own VMAs follow mlockall's MCL_CURRENT (and MCL_ONFAULT) too. When their
      // lock state changes, mlock_fixup runs mlock_vma_pages_range on them, which drains this
      // CPU's batches (lru_add_drain): do the same on the simulated CPU, whose task has no
      // such VMAs.
      // mlockall(MCL_FUTURE) alone only sets def_flags (apply_mlockall_flags).
      // Its [stack], above the simulated VMAs, comes last: the drain after the step. The
      // drain for its binary and heap, below them, came first (ServerVmasBefore).
      const auto [mode, drains] = ServerVmas(outside_locked_[s.task], lock_flags, munlockall);
      if (drains) {
        polluted_ = true;
        control::drain_local_batches(runner_.machine());
        Note(s,
             "the server's own mappings changed lock state: the kernel drained the per-CPU "
             "batches before and after the simulated VMAs, so the simulated CPU's were drained "
             "at both points too");
      }
      outside_locked_[s.task] = mode;
    }
  } else {
    Skip(s, absl::StrCat("the call ", c, " is not supported on the host yet"));
    return absl::OkStatus();
  }
  // The step as the kernel ran it: the simulator's text with the kernel's result.
  std::string shown = r.display;
  const size_t eq = shown.find(") = ");
  if (eq != std::string::npos) shown = shown.substr(0, eq + 4);
  const std::string host_text = absl::StrCat(FormatResult(c, static_cast<long>(host)), extra);
  Log(absl::StrCat(s.loc.file, ":", s.loc.line, "  ", shown, host_text, "\n"));
  const bool same =
      compare_sign_only ? (sim > 0) == (host > 0) && (sim > 0 || sim == host) : sim == host;
  if (!same) {
    Diverge(s, r.display, "result", c, FormatResult(c, sim),
            FormatResult(c, static_cast<long>(host)));
  } else if (hc.out_arg >= 0 && sim == 0 && host_out != r.output) {
    Diverge(s, r.display, "result", absl::StrCat(c, " output"), absl::StrCat("\"", r.output, "\""),
            absl::StrCat("\"", host_out, "\""));
  } else if (hc.out_arg >= 0 && sim == 0 && s.expect_result.has_output &&
             host_out != s.expect_result.output) {
    WrongExpectation(
        s, r.display, "result", absl::StrCat(c, " output"), absl::StrCat("\"", r.output, "\""),
        absl::StrCat("\"", host_out, "\" (the expectation says \"", s.expect_result.output, "\")"));
  } else if (hc.op == hp::kGetrlimit && sim == 0 && r.display.find(extra) == std::string::npos) {
    Diverge(s, r.display, "result", "rlimit", r.display.substr(eq + 4), host_text);
  }
  if (opt_.compare_every_call) {
    CompareWindow(s, s.task, r.display);
  } else {
    ProbeBatches(s.task);
  }
  return absl::OkStatus();
}

absl::Status Engine::DoAccess(const Step& s, uint64_t addr, uint64_t len, const StepResult& r) {
  hp::Request req;
  req.op = hp::kTouch;
  req.a[0] = addr;
  req.a[1] = len;
  req.a[2] = s.write ? 1 : 0;
  auto rep = hm_.Send(s.task, req);
  if (!rep.ok()) return rep.status();
  AddWindow(addr & ~(kPage - 1), (addr + len + kPage - 1) & ~(kPage - 1));
  const char* what = s.write ? "write" : "read";
  Log(absl::StrCat(s.loc.file, ":", s.loc.line, "  ", s.task, ": ", what, " ", Hex(addr), " ", len,
                   " = ", FormatResult(what, static_cast<long>(rep->ret)), "\n"));
  if (rep->ret != r.result) {
    Diverge(s, r.display, "result", what, FormatResult(what, r.result),
            FormatResult(what, static_cast<long>(rep->ret)));
  }
  if (opt_.compare_every_call) {
    CompareWindow(s, s.task, r.display);
  } else {
    ProbeBatches(s.task);
  }
  return absl::OkStatus();
}

void Engine::ProbeBatches(const std::string& task) {
  Task* t = runner_.FindTask(task);
  if (!t || !hm_.Find(task)) return;
  for (const auto& [lo, hi] : window_) {
    if (hi - lo > 64 * kPage) continue;
    for (uint64_t p = lo; p < hi; p += kPage) {
      auto hpg = hm_.Page(task, p);
      if (hpg.ok()) Allow(SimPage(*t, p), *hpg);
    }
  }
}

void Engine::CompareWindow(const Step& s, const std::string& task, const std::string& step_text) {
  if (!runner_.FindTask(task) || !hm_.Find(task)) return;
  const auto sim_v = SimSmaps(task);
  const auto host_v = hm_.Smaps(task);
  const auto a = Rows(sim_v, 0, 0, true), b = Rows(host_v, 0, 0, true);
  if (a != b) {
    Diverge(s, step_text, "smaps", "VMAs with VmFlags", absl::StrJoin(a, "; "),
            absl::StrJoin(b, "; "));
  }
  Task* t = runner_.FindTask(task);
  auto lck = KernelStatus(task, "VmLck");
  const auto sim_lck = TextField(proc_pid_status(*t), "VmLck");
  if (lck && sim_lck && *lck != *sim_lck) {
    Diverge(s, step_text, "status", "VmLck", absl::StrCat(*sim_lck, " kB"),
            absl::StrCat(*lck, " kB"));
  }
  for (const auto& [lo, hi] : window_) {
    if (hi - lo > 64 * kPage) continue;
    for (uint64_t p = lo; p < hi; p += kPage) {
      auto hpg = hm_.Page(task, p);
      if (!hpg.ok()) continue;
      const HostPage sp = SimPage(*t, p);
      const std::string x = PageState(sp, true), y = PageState(Allow(sp, *hpg), true);
      if (x != y) Diverge(s, step_text, "page", Hex(p), x, y);
    }
  }
}

absl::StatusOr<std::optional<int64_t>> Engine::Now(const Expectation& x, uint64_t addr) {
  switch (x.kind) {
    case Expectation::kStatus:
      return KernelStatus(x.task, x.field);
    case Expectation::kMm: {
      if (x.field == "map_count") {
        const auto hv = hm_.Smaps(x.task);
        const int64_t gates = std::count_if(hv.begin(), hv.end(), IsGate);
        return static_cast<int64_t>(hv.size()) - gates - OutsideCount(hv) +
               OutsideCount(SimSmaps(x.task));
      }
      const char* field = StatusOfMm(x.field);
      if (!field) return std::optional<int64_t>();
      auto kb = KernelStatus(x.task, field);
      if (!kb) return std::optional<int64_t>();
      return *kb / 4;  // kB to pages
    }
    case Expectation::kSmaps:
      for (const SmapsEntry& e : hm_.Smaps(x.task)) {
        if (addr < e.start || addr >= e.end) continue;
        auto it = e.kb.find(x.field);
        if (it == e.kb.end()) return std::optional<int64_t>();
        return it->second;
      }
      return std::optional<int64_t>();
    case Expectation::kVmstat:
      return VmstatField(hm_.Vmstat(), x.field);
    case Expectation::kMeminfo:
      return TextField(hm_.Meminfo(), x.field);
    default:
      return absl::InvalidArgumentError("not a numeric expectation");
  }
}

int64_t Engine::AtMark(const Expectation& x) {
  if (x.kind == Expectation::kVmstat) return VmstatField(mark_vmstat_, x.field).value_or(0);
  if (x.kind == Expectation::kMeminfo) return TextField(mark_meminfo_, x.field).value_or(0);
  return 0;
}

absl::Status Engine::DoExpect(const Step& s, const StepResult& r) {
  const Expectation& x = s.expectation;
  Log(absl::StrCat(s.loc.file, ":", s.loc.line, "  ", s.text, "\n"));
  const std::string& task = x.task;
  const bool per_task = x.kind != Expectation::kVmstat && x.kind != Expectation::kMeminfo &&
                        x.kind != Expectation::kLru;
  if (per_task && !hm_.Find(task)) {
    Note(s, absl::StrCat("task ", task, " has no server on the host; not compared"));
    return absl::OkStatus();
  }
  // A value compared between the simulator and the kernel, and the expectation checked on
  // the kernel's value.
  auto judged = [&](const std::string& view, const std::string& field,
                    uint64_t addr) -> absl::Status {
    auto want = WantValue(s, x.expected);
    if (!want.ok()) return want.status();
    auto sj = JudgeNumber(x, runner_, addr, *want);
    if (!sj.ok()) return sj.status();
    auto kj = JudgeNumber(x, *this, addr, *want);
    if (!kj.ok()) return kj.status();
    if (!sj->shown || !kj->shown) {
      if (x.kind == Expectation::kSmaps) {
        Note(s, absl::StrCat("smaps ", x.field, " not compared (not in both views)"));
      }
      return absl::OkStatus();
    }
    const std::string unit = NumberUnit(x);
    const std::string u = unit.empty() ? "" : absl::StrCat(" ", unit);
    auto fmt = [&](int64_t n) {
      return x.expected.delta ? absl::StrFormat("%+d%s", n, u) : absl::StrCat(n, u);
    };
    if (sj->found != kj->found) {
      Diverge(s, s.text, view, field, fmt(sj->found), fmt(kj->found));
    } else if (!kj->holds) {
      WrongExpectation(s, s.text, view, field, fmt(sj->found),
                       absl::StrCat(fmt(kj->found), " (the expectation says ",
                                    WantedText(x.expected, *want, unit), ")"));
    }
    return absl::OkStatus();
  };
  Task* t = per_task ? runner_.FindTask(task) : nullptr;
  switch (x.kind) {
    case Expectation::kStatus: {
      if (std::find(ComparableStatus().begin(), ComparableStatus().end(), x.field) ==
          ComparableStatus().end()) {
        Note(s, absl::StrCat("status ", x.field,
                             " not compared (it counts the server's own mappings)"));
        return absl::OkStatus();
      }
      return judged("status", x.field, 0);
    }
    case Expectation::kMm: {
      if (x.field != "map_count" && !StatusOfMm(x.field)) {
        Note(s, absl::StrCat(x.field, " not compared (the server's own image and faults count)"));
        return absl::OkStatus();
      }
      return judged("mm", x.field, 0);
    }
    case Expectation::kSmaps: {
      auto addr = runner_.Eval(x.addr);
      if (!addr.ok()) return addr.status();
      const SmapsEntry* se = nullptr;
      const SmapsEntry* he = nullptr;
      const auto sv = SimSmaps(task), hv = hm_.Smaps(task);
      for (const SmapsEntry& e : sv) {
        if (*addr >= e.start && *addr < e.end) se = &e;
      }
      for (const SmapsEntry& e : hv) {
        if (*addr >= e.start && *addr < e.end) he = &e;
      }
      const std::string field = absl::StrCat(Hex(*addr), " ", x.field);
      if (!InWindow(*addr, *addr + 1)) {
        Note(s, absl::StrCat("smaps at ", Hex(*addr),
                             " not compared: outside what the scenario mapped (the simulated "
                             "process image)"));
        return absl::OkStatus();
      }
      if (!se || !he) {
        if (se || he)
          Diverge(s, s.text, "smaps", field, se ? "a VMA" : "none", he ? "a VMA" : "none");
        return absl::OkStatus();
      }
      if (x.field == "VmFlags") {
        const std::string a = SortedWords(se->vmflags), b = SortedWords(he->vmflags);
        const std::string want = absl::StrJoin(
            std::set<std::string>(x.expected.words.begin(), x.expected.words.end()), " ");
        if (a != b) {
          Diverge(s, s.text, "smaps", field, a, b);
        } else if (b != want) {
          WrongExpectation(s, s.text, "smaps", field, a,
                           absl::StrCat(b, " (the expectation says ", want, ")"));
        }
        return absl::OkStatus();
      }
      return judged("smaps", field, *addr);
    }
    case Expectation::kPage: {
      auto addr = runner_.Eval(x.addr);
      if (!addr.ok()) return addr.status();
      if (!InWindow(*addr, *addr + 1)) {
        Note(s, absl::StrCat("page ", Hex(*addr),
                             " not compared: outside what the scenario mapped (the simulated "
                             "process image)"));
        return absl::OkStatus();
      }
      auto hpg = hm_.Page(task, *addr);
      if (!hpg.ok()) return hpg.status();
      const HostPage spg = SimPage(*t, *addr);
      const std::string names_s = spg.present ? kpageflags_names(spg.flags) : "";
      const std::string names_h = hpg->present ? kpageflags_names(hpg->flags) : "";
      auto has = [](const std::string& names, const std::string& n) {
        std::vector<std::string> v = absl::StrSplit(names, ',', absl::SkipEmpty());
        return std::find(v.begin(), v.end(), n) != v.end();
      };
      for (const PageCond& c : x.conds) {
        const std::string field = absl::StrCat(Hex(*addr), " ", c.name);
        if (c.name == "swapcount") {
          Note(s, "swapcount not compared (swap_map counts are not visible from userspace)");
          continue;
        }
        if (c.name == "mapcount" || c.name == "swap_type" || c.name == "swap_offset") {
          auto want = runner_.Eval(c.value);
          if (!want.ok()) return want.status();
          auto val = [&](const HostPage& p) -> int64_t {
            if (c.name == "mapcount") return p.present ? p.mapcount : 0;
            if (!p.swapped) return -1;
            return c.name == "swap_type" ? p.swap_type : static_cast<int64_t>(p.swap_offset);
          };
          const int64_t a = val(spg), b = val(*hpg);
          if (a != b) {
            Diverge(s, s.text, "page", field, absl::StrCat(a), absl::StrCat(b));
          } else if (b != static_cast<int64_t>(*want)) {
            WrongExpectation(s, s.text, "page", field, absl::StrCat(a),
                             absl::StrCat(b, " (the expectation says ", *want, ")"));
          }
          continue;
        }
        auto set = [&](const HostPage& p, const std::string& names) {
          if (c.name == "present") return p.present;
          if (c.name == "swapped") return p.swapped;
          return has(names, c.name);
        };
        const bool a = set(spg, names_s), b = set(*hpg, names_h);
        if (a && !b && MunlockAhead(c.name, spg, *hpg)) {
          Note(s, absl::StrCat("page ", Hex(*addr), " ", c.name,
                               ": the kernel's per-CPU mlock batch was drained earlier, the "
                               "simulator's munlock still waits (allowance)"));
          continue;
        }
        if (!a && b && BatchAhead(c.name, spg, *hpg)) {
          (c.name == "lru" ? sync_lru_ : sync_mlock_) = true;
          ahead_.insert(spg.folio);
          Note(s, absl::StrCat("page ", Hex(*addr), " ", c.name,
                               ": the kernel's per-CPU batch was drained earlier (allowance)"));
          continue;
        }
        if (a != b) {
          Diverge(s, s.text, "page", field, a ? "set" : "clear", b ? "set" : "clear");
        } else if (b == c.negate) {
          WrongExpectation(s, s.text, "page", field, a ? "set" : "clear",
                           absl::StrCat(b ? "set" : "clear", " (the expectation says ",
                                        c.negate ? "clear" : "set", ")"));
        }
      }
      return absl::OkStatus();
    }
    case Expectation::kMaps: {
      uint64_t lo = 0, hi = 0;
      std::vector<std::string> want;
      for (const MapsRow& mr : x.rows) {
        auto a = runner_.Eval(mr.start);
        auto b = runner_.Eval(mr.end);
        if (!a.ok()) return a.status();
        if (!b.ok()) return b.status();
        if (want.empty()) lo = *a;
        hi = *b;
        want.push_back(
            absl::StrFormat("%x-%x %s %s", *a, *b, mr.perms, absl::StrJoin(mr.mnemonics, " ")));
      }
      AddWindow(lo, hi);
      const auto sv = SimSmaps(task), hv = hm_.Smaps(task);
      const auto a = Rows(sv, lo, hi, false), b = Rows(hv, lo, hi, false);
      const std::string field = absl::StrFormat("[%x, %x)", lo, hi);
      if (a != b) {
        Diverge(s, s.text, "maps", field, absl::StrJoin(a, "; "), absl::StrJoin(b, "; "));
        return absl::OkStatus();
      }
      // The expectation against the kernel's rows.
      std::vector<const SmapsEntry*> got;
      for (const SmapsEntry& e : hv) {
        if (e.start < hi && e.end > lo) got.push_back(&e);
      }
      bool ok = got.size() == x.rows.size();
      for (size_t i = 0; ok && i < got.size(); ++i) {
        const auto words = Words(got[i]->vmflags);
        const MapsRow& mr = x.rows[i];
        auto st = runner_.Eval(mr.start);
        auto en = runner_.Eval(mr.end);
        if (got[i]->start != *st || got[i]->end != *en || got[i]->perms != mr.perms) ok = false;
        for (const std::string& m : mr.mnemonics) {
          if (!words.count(m)) ok = false;
        }
        for (const char* lock : {"lo", "lf"}) {
          const bool listed =
              std::find(mr.mnemonics.begin(), mr.mnemonics.end(), lock) != mr.mnemonics.end();
          if (words.count(lock) != (listed ? 1u : 0u)) ok = false;
        }
      }
      if (!ok) {
        WrongExpectation(s, s.text, "maps", field, absl::StrJoin(a, "; "),
                         absl::StrCat(absl::StrJoin(b, "; "), " (the expectation says ",
                                      absl::StrJoin(want, "; "), ")"));
      }
      return absl::OkStatus();
    }
    case Expectation::kVmstat:
    case Expectation::kMeminfo:
    case Expectation::kLru: {
      std::string field = x.field;
      const bool vm = x.kind != Expectation::kMeminfo;
      if (x.kind == Expectation::kLru) {
        if (LookupLruList(x.field) != LRU_UNEVICTABLE) {
          Note(s, absl::StrCat("lru ", x.field,
                               " not compared (the host's LRU lists hold every process's pages)"));
          return absl::OkStatus();
        }
        field = "nr_unevictable";
      }
      if (!ComparableCounter(field)) {
        Note(s, absl::StrCat(vm ? "vmstat " : "meminfo ", x.field,
                             " not compared (a global counter other activity on the host moves)"));
        return absl::OkStatus();
      }
      if (!x.expected.delta && field != "SwapTotal") {
        Note(s, absl::StrCat(x.field, " not compared as an absolute value (global counter)"));
        return absl::OkStatus();
      }
      if (!Attributable(s, x.field)) return absl::OkStatus();
      // The counter as both sides show it (lru unevictable: nr_unevictable), judged alike.
      Expectation y = x;
      y.kind = vm ? Expectation::kVmstat : Expectation::kMeminfo;
      y.field = field;
      auto want = WantValue(s, x.expected);
      if (!want.ok()) return want.status();
      auto sj = JudgeNumber(y, runner_, 0, *want);
      if (!sj.ok()) return sj.status();
      auto kj = JudgeNumber(y, *this, 0, *want);
      if (!kj.ok()) return kj.status();
      if (!sj->shown || !kj->shown) {
        Note(s, absl::StrCat(x.field, " not compared (missing on one side)"));
        return absl::OkStatus();
      }
      const int64_t sim_delta = sj->found, kernel_delta = kj->found;
      const std::string u = vm ? "" : " kB";
      const bool holds = kj->holds;
      if (kernel_delta != sim_delta || !holds) {
        // Global counters: every process on the host moves them (information, not a
        // divergence; docs/fidelity.md, "Host oracle allowances").
        Note(s, absl::StrFormat("%s %s: simulator %+d%s, kernel %+d%s (global counter, other "
                                "activity on the host included; not a divergence)",
                                vm ? "vmstat" : "meminfo", x.field, sim_delta, u, kernel_delta, u));
        return absl::OkStatus();
      }
      if (kernel_delta != sim_delta) {
        Diverge(s, s.text, vm ? "vmstat" : "meminfo", x.field,
                absl::StrFormat("%+d%s", sim_delta, u), absl::StrFormat("%+d%s", kernel_delta, u));
      } else if (!holds) {
        WrongExpectation(s, s.text, vm ? "vmstat" : "meminfo", x.field,
                         absl::StrFormat("%+d%s", sim_delta, u),
                         absl::StrFormat("%+d%s (the expectation says %s)", kernel_delta, u,
                                         WantedText(x.expected, *want, vm ? "" : "kB")));
      }
      return absl::OkStatus();
    }
  }
  return absl::OkStatus();
}

absl::Status Engine::DoShow(const Step& s, const StepResult& r) {
  Log(absl::StrCat(s.loc.file, ":", s.loc.line, "  ", s.text, "   [kernel]\n"));
  if (s.view == "meminfo" || s.view == "vmstat") {
    Log(s.view == "meminfo" ? hm_.Meminfo() : hm_.Vmstat());
    Note(s, absl::StrCat(s.view, " shown, not compared (global counters)"));
    return absl::OkStatus();
  }
  if (s.view == "swaps") {
    const std::string host = hm_.Swaps();
    Log(host);
    auto norm = [](const std::string& text) {
      std::vector<std::string> lines;
      for (absl::string_view l : absl::StrSplit(text, '\n', absl::SkipEmpty())) {
        std::vector<absl::string_view> w =
            absl::StrSplit(l, absl::ByAnyChar(" \t"), absl::SkipEmpty());
        lines.push_back(absl::StrJoin(w, " "));
      }
      return lines;
    };
    const auto a = norm(r.view), b = norm(host);
    if (a != b)
      Diverge(s, s.text, "swaps", "devices", absl::StrJoin(a, "; "), absl::StrJoin(b, "; "));
    return absl::OkStatus();
  }
  if (!hm_.Find(s.task) || !runner_.FindTask(s.task)) {
    Note(s, absl::StrCat("task ", s.task, " has no server on the host; not compared"));
    return absl::OkStatus();
  }
  Task* t = runner_.FindTask(s.task);
  if (s.view == "maps" || s.view == "smaps") {
    const auto sv = SimSmaps(s.task), hv = hm_.Smaps(s.task);
    std::string text;
    for (const SmapsEntry& e : hv) {
      if (!InWindow(e.start, e.end)) continue;
      absl::StrAppend(&text, s.view == "maps" ? absl::StrCat(e.header, "\n") : e.text);
    }
    Log(text);
    const auto a = Rows(sv, 0, 0, true), b = Rows(hv, 0, 0, true);
    if (a != b) {
      Diverge(s, s.text, s.view, "VMAs in the window", absl::StrJoin(a, "; "),
              absl::StrJoin(b, "; "));
      return absl::OkStatus();
    }
    if (s.view == "smaps") {
      std::vector<const SmapsEntry*> hw;
      for (const SmapsEntry& e : hv) {
        if (InWindow(e.start, e.end)) hw.push_back(&e);
      }
      size_t i = 0;
      for (const SmapsEntry& e : sv) {
        if (!InWindow(e.start, e.end)) continue;
        const SmapsEntry& h = *hw[i++];
        for (const char* f : {"Size", "Rss", "Anonymous", "Locked", "Swap"}) {
          auto a2 = e.kb.find(f);
          auto b2 = h.kb.find(f);
          if (a2 == e.kb.end() || b2 == h.kb.end()) continue;
          if (a2->second != b2->second) {
            Diverge(s, s.text, "smaps", absl::StrFormat("%x %s", e.start, f),
                    absl::StrCat(a2->second, " kB"), absl::StrCat(b2->second, " kB"));
          }
        }
      }
    }
    return absl::OkStatus();
  }
  if (s.view == "status") {
    const std::string host = hm_.Status(s.task);
    const std::string sim = proc_pid_status(*t);
    std::string text;
    for (absl::string_view line : absl::StrSplit(host, '\n', absl::SkipEmpty())) {
      const std::string key(line.substr(0, line.find(':')));
      if (ViewField(sim, key)) absl::StrAppend(&text, line, "\n");
    }
    Log(text);
    for (const std::string& f : ComparableStatus()) {
      auto k = KernelStatus(s.task, f);
      auto sv = TextField(sim, f);
      if (k && sv && *k != *sv) {
        Diverge(s, s.text, "status", f, absl::StrCat(*sv, " kB"), absl::StrCat(*k, " kB"));
      }
    }
    return absl::OkStatus();
  }
  // pages: the named range, or every page of the window's VMAs.
  std::vector<std::pair<uint64_t, uint64_t>> ranges;
  if (s.write) {
    auto a = runner_.Eval(s.addr);
    auto l = runner_.Eval(s.len);
    if (!a.ok()) return a.status();
    if (!l.ok()) return l.status();
    ranges.push_back({*a & ~(kPage - 1), (*a + *l + kPage - 1) & ~(kPage - 1)});
  } else {
    for (const SmapsEntry& e : SimSmaps(s.task)) {
      if (InWindow(e.start, e.end)) ranges.push_back({e.start, e.end});
    }
  }
  std::string text =
      absl::StrFormat("%-14s  %-7s  %8s  %s\n", "address", "state", "mapcount", "flags");
  uint64_t n = 0;
  for (const auto& [lo, hi] : ranges) {
    for (uint64_t p = lo; p < hi && n < kMaxPagesRows; p += kPage, ++n) {
      auto hpg = hm_.Page(s.task, p);
      if (!hpg.ok()) return hpg.status();
      const HostPage spg = SimPage(*t, p);
      if (!s.write && !hpg->present && !hpg->swapped && !spg.present && !spg.swapped) continue;
      absl::StrAppend(&text, PageLine(p, *hpg));
      const std::string a = PageState(spg, false), b = PageState(Allow(spg, *hpg), false);
      if (a != b) Diverge(s, s.text, "pages", Hex(p), a, b);
    }
  }
  Log(text);
  return absl::OkStatus();
}

}  // namespace

DiffOutcome DiffScenario(const Scenario& sc, const HostSupport& host, const DiffOptions& opt) {
  if (sc.config.zero_page == host.zero_page) {
    Engine e(sc, opt, false);
    return e.Run();
  }
  if (!sc.config.zero_page) {
    DiffOutcome o;
    o.file = sc.file;
    o.skipped = true;
    o.skip_reason = absl::StrCat(sc.file,
                                 ": the scenario's machine has zero_page=off, but this kernel maps "
                                 "the zero page on anonymous read faults");
    return o;
  }
  // This kernel forbids the zero page: compare it with a simulated machine that does too.
  // An expectation wrong on the scenario's own machine stays a divergence there.
  std::set<std::string> own_failures;
  for (const std::string& d : CheckScenario(sc).diagnostics) {
    const size_t c1 = d.find(':');
    const size_t c2 = c1 == std::string::npos ? c1 : d.find(':', c1 + 1);
    if (c2 != std::string::npos) own_failures.insert(d.substr(0, c2));
  }
  Scenario adjusted = sc;
  adjusted.config.zero_page = false;
  Engine e(adjusted, opt, true, std::move(own_failures));
  return e.Run();
}

std::string ZeroPageNote(const HostSupport& hs) {
  if (hs.zero_page) return "";
  return "# this kernel maps no zero page on anonymous read faults (mm_forbids_zeropage; "
         "pvm_no_zero_page=1 on the command line?): the simulator runs with zero_page=off\n";
}

int CmdHost(const std::string& file, std::ostream& out, std::ostream& err) {
  auto sc = ParseScenarioFile(file);
  if (!sc.ok()) {
    err << sc.status().message() << "\n";
    return 1;
  }
  const HostSupport hs = ProbeHost();
  if (!hs.ok) {
    out << "skipped: " << hs.reason << "\n";
    return 0;
  }
  if (!hs.exact) out << "# kernel " << hs.release << " is not 6.18.x: results are information\n";
  out << ZeroPageNote(hs);
  DiffOptions opt;
  opt.host_log = &out;
  DiffOutcome o = DiffScenario(*sc, hs, opt);
  if (!o.error.empty()) {
    err << o.error << "\n";
    return 1;
  }
  if (o.skipped) out << "skipped: " << o.skip_reason << "\n";
  // Where the comparison allowed for the host (docs/fidelity.md, "Host oracle allowances").
  for (const std::string& n : o.notes) out << "note: " << n << "\n";
  return 0;
}

int CmdDiff(const std::vector<std::string>& paths, std::ostream& out, std::ostream& err) {
  std::vector<std::string> errors;
  const std::vector<std::string> files = CollectScenarioFiles(paths, &errors);
  for (const std::string& e : errors) err << e << "\n";
  if (!errors.empty() || files.empty()) {
    if (files.empty() && errors.empty()) err << "mmsim diff: error: no scenario files found\n";
    return 1;
  }
  const HostSupport hs = ProbeHost();
  if (!hs.ok) {
    out << "skipped: " << hs.reason << "\n";
    out << files.size() << " scenarios, 0 divergences\n";
    return 0;
  }
  if (!hs.exact) {
    out << "# kernel " << hs.release << " is not 6.18.x: divergences are printed as information\n";
  }
  out << ZeroPageNote(hs);
  int divergences = 0, skipped = 0, failed = 0;
  for (const std::string& f : files) {
    auto sc = ParseScenarioFile(f);
    if (!sc.ok()) {
      out << sc.status().message() << "\n";
      ++failed;
      continue;
    }
    DiffOutcome o = DiffScenario(*sc, hs, DiffOptions{});
    for (const Divergence& d : o.divergences) out << d.ToString() << "\n";
    divergences += static_cast<int>(o.divergences.size());
    if (!o.error.empty()) {
      out << o.error << "\n";
      ++failed;
    }
    if (o.skipped) {
      ++skipped;
      out << "skip " << f << ": " << o.skip_reason << "\n";
    } else if (o.error.empty()) {
      out << (o.divergences.empty() ? "ok   " : "DIFF ") << f << "\n";
    }
  }
  if (skipped) out << skipped << " of them skipped (reasons above)\n";
  out << files.size() << " scenarios, " << divergences << " divergences\n";
  if (!hs.exact) return failed ? 1 : 0;
  return (divergences || failed) ? 1 : 0;
}

}  // namespace mmsim::scenario
