#include "sim/scenario/runner.h"

#include <algorithm>

#include "absl/container/btree_set.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "mmsim/control.h"
#include "mmsim/procfs.h"
#include "mmsim/syscalls.h"
#include "sim/scenario/expect.h"
#include "sim/scenario/names.h"
#include "sim/scenario/status_macros.h"
#include "sim/scenario/syscall_table.h"
#include "sim/scenario/views.h"

namespace mmsim::scenario {

namespace {

std::string Hex(uint64_t v) { return absl::StrFormat("%#x", v); }

// An argument as the step line shows it: named constants as written, numbers evaluated.
std::string ShowArg(const Arg& a, uint64_t value) {
  if (a.kind != Arg::kExpr) return a.text;
  if (a.expr.names_only) return a.text;
  if (a.expr.uses_symbol && value >= 0x10000 && static_cast<int64_t>(value) > 0) return Hex(value);
  return absl::StrCat(static_cast<int64_t>(value));
}

bool ReturnsAddress(const std::string& call) {
  const SyscallRow* row = LookupSyscall(call);
  return row && row->result == ResultFormat::kAddress;
}

// The field's number: "8 kB" -> 8.
absl::StatusOr<int64_t> FieldNumber(const std::string& view, const std::string& field) {
  auto v = ViewField(view, field);
  if (!v) return absl::NotFoundError(absl::StrCat("the view has no field ", field));
  auto n = LeadingNumber(*v);
  if (!n) return absl::InvalidArgumentError(absl::StrCat(field, " is not a number: ", *v));
  return *n;
}

std::string MapsRowText(uint64_t start, uint64_t end, const std::string& perms,
                        const std::string& mnemonics) {
  return absl::StrFormat("%x-%x %s%s%s", start, end, perms, mnemonics.empty() ? "" : " ",
                         mnemonics);
}

}  // namespace

std::string FormatResult(const std::string& call, long result) {
  if (result < 0) return absl::StrCat("-1 ", ErrnoName(static_cast<int>(-result)));
  if (ReturnsAddress(call)) return Hex(static_cast<uint64_t>(result));
  return absl::StrCat(result);
}

Runner::Runner(const Scenario& sc) : sc_(sc) {
  MachineConfig c = sc.config;
  c.check_invariants = sc.check_every == 1;
  machine_ = std::make_unique<Machine>(c);
  mark_vmstat_ = machine_->vmstat;
  mark_meminfo_ = proc_meminfo(*machine_);
  for (int i = 0; i < NR_LRU_LISTS; ++i) mark_lru_[i] = machine_->lru_lists[i].nr;
}

Task* Runner::FindTask(const std::string& name) const {
  auto it = tasks_.find(name);
  if (it == tasks_.end() || !it->second->alive) return nullptr;
  return it->second;
}

Task* Runner::FirstTask() const {
  return task_order_.empty() ? nullptr : FindTask(task_order_.front());
}

const std::vector<std::pair<uint64_t, uint64_t>>& Runner::MappedRanges(
    const std::string& task) const {
  static const std::vector<std::pair<uint64_t, uint64_t>> kNone;
  auto it = mapped_.find(task);
  return it == mapped_.end() ? kNone : it->second;
}

absl::Status Runner::StepError(const Step& s, absl::string_view msg) const {
  return absl::FailedPreconditionError(
      absl::StrCat(s.loc.file, ":", s.loc.line, ":", s.loc.col, ": error: ", msg));
}

absl::StatusOr<uint64_t> Runner::Eval(const Expr& e) const {
  switch (e.kind) {
    case Expr::kNumber:
      return e.value;
    case Expr::kSymbol: {
      auto it = symbols_.find(e.name);
      if (it == symbols_.end()) {
        return absl::FailedPreconditionError(
            absl::StrCat(e.loc.file, ":", e.loc.line, ":", e.loc.col, ": error: symbol '", e.name,
                         "' has no value yet, expected a symbol bound by an earlier step"));
      }
      return it->second;
    }
    case Expr::kNegate: {
      ASSIGN_OR_RETURN(uint64_t v, Eval(*e.lhs));
      return uint64_t{0} - v;
    }
    case Expr::kBinary: {
      ASSIGN_OR_RETURN(uint64_t a, Eval(*e.lhs));
      ASSIGN_OR_RETURN(uint64_t b, Eval(*e.rhs));
      return Expr::apply(e.op, a, b);
    }
  }
  return uint64_t{0};
}

absl::StatusOr<StepResult> Runner::RunStep() {
  const Step& s = sc_.steps[next_++];
  StepResult r;
  r.step = &s;
  r.display = s.text;
  Machine& m = *machine_;
  switch (s.kind) {
    case Step::kFile: {
      File* f = m.create_file(s.path, s.size);
      if (!f) {
        return StepError(s, absl::StrCat("file ", s.path, " already exists, expected a new path"));
      }
      f->unevictable = s.unevictable;
      break;
    }
    case Step::kTask: {
      Task& t = m.spawn(s.task, s.image);
      if (s.has_memlock) t.rlim->cur[RLIMIT_MEMLOCK] = t.rlim->max[RLIMIT_MEMLOCK] = s.memlock;
      t.cap_effective &= ~s.caps_drop;
      t.cap_permitted &= ~s.caps_drop;
      tasks_[s.task] = &t;
      task_order_.push_back(s.task);
      m.after_syscall("execve");
      break;
    }
    case Step::kCall:
      RETURN_IF_ERROR(RunCall(s, &r));
      break;
    case Step::kAccess:
      RETURN_IF_ERROR(RunAccess(s, &r));
      break;
    case Step::kSysctl:
      if (s.sysctl == "vm.max_map_count") {
        m.set_max_map_count(static_cast<int>(s.sysctl_value));
      } else {
        m.swappiness = static_cast<int>(s.sysctl_value);
      }
      break;
    case Step::kMark:
      mark_vmstat_ = m.vmstat;
      mark_meminfo_ = proc_meminfo(m);
      for (int i = 0; i < NR_LRU_LISTS; ++i) mark_lru_[i] = m.lru_lists[i].nr;
      break;
    case Step::kDrain:
      // What the kernel does before it needs an exact picture (mlockall, migration,
      // /proc/sys/vm/compact_memory...): every CPU's folio and mlock batches.
      control::drain_all_batches(m);
      break;
    case Step::kReclaim: {
      const uint64_t got = control::reclaim(m, s.len.value, /*kswapd=*/false);
      r.display = absl::StrCat(s.text, " = ", got, " reclaimed");
      break;
    }
    case Step::kExpect:
      RETURN_IF_ERROR(RunExpect(s, &r));
      break;
    case Step::kShow:
      RETURN_IF_ERROR(RunShow(s, &r));
      break;
  }
  if (!m.invariant_status().ok()) {
    return StepError(
        s, absl::StrCat("model invariant broken by this step: ", m.invariant_status().message()));
  }
  if (sc_.check_every > 1 && (next_ % static_cast<size_t>(sc_.check_every) == 0 || done())) {
    if (absl::Status st = m.check_invariants(); !st.ok()) {
      return StepError(s, absl::StrCat("model invariant broken by this step or one of the ",
                                       sc_.check_every - 1, " before it: ", st.message()));
    }
  }
  return r;
}

absl::Status Runner::RunCall(const Step& s, StepResult* r) {
  Task* t = FindTask(s.task);
  if (!t) return StepError(s, absl::StrCat("task ", s.task, " does not exist yet"));
  std::vector<uint64_t> v(s.args.size(), 0);
  std::vector<std::string> shown;
  for (size_t i = 0; i < s.args.size(); ++i) {
    if (s.args[i].kind == Arg::kExpr) {
      ASSIGN_OR_RETURN(v[i], Eval(s.args[i].expr));
    }
    shown.push_back(ShowArg(s.args[i], v[i]));
  }
  const SyscallRow& row = *s.row;
  auto outcome = row.model(CallContext{*t, s.args, v});
  if (!outcome.ok()) return StepError(s, outcome.status().message());
  const long res = outcome->result;
  const std::string& c = s.call;
  const std::string& extra = outcome->extra;
  r->has_range = outcome->has_range;
  r->range_start = outcome->range_start;
  r->range_end = outcome->range_end;
  r->new_mapping = outcome->new_mapping;
  r->has_output = outcome->has_output;
  r->output = outcome->output;
  if (outcome->new_mapping) mapped_[s.task].push_back({r->range_start, r->range_end});
  if (row.names_task && res > 0) {
    // `A: B = fork()`: B names the new task.
    Task* child = machine_->find_task(static_cast<int>(res));
    if (!child) return StepError(s, "the new task was not found");
    child->name = s.symbol;
    tasks_[s.symbol] = child;
    task_order_.push_back(s.symbol);
  }
  if (!s.symbol.empty() && !row.names_task) {
    if (outcome->bound) {
      symbols_[s.symbol] = *outcome->bound;
    } else if (outcome->binds_result) {
      symbols_[s.symbol] = static_cast<uint64_t>(res);
    }
  }
  r->is_call = true;
  r->result = res;
  if (res < 0) r->errno_name = ErrnoName(static_cast<int>(-res));
  r->display = absl::StrCat(s.task, ": ", s.symbol.empty() ? "" : absl::StrCat(s.symbol, " = "), c,
                            "(", absl::StrJoin(shown, ", "), ") = ", FormatResult(c, res), extra);
  const ExpectedResult& x = s.expect_result;
  bool ok = true;
  switch (x.kind) {
    case ExpectedResult::kNone:
      break;
    case ExpectedResult::kOk:
      ok = res >= 0;
      break;
    case ExpectedResult::kError:
      ok = res < 0 && (x.err == 0 || -res == x.err);
      break;
    case ExpectedResult::kValue: {
      ASSIGN_OR_RETURN(uint64_t want, Eval(x.value));
      ok = static_cast<uint64_t>(res) == want;
      if (!ok) {
        r->failures.push_back(absl::StrCat(
            "expected ", c, " = ", x.text,
            x.value.uses_symbol ? absl::StrCat(" (", FormatResult(c, static_cast<long>(want)), ")")
                                : "",
            ", found ", FormatResult(c, res)));
        return absl::OkStatus();
      }
      break;
    }
  }
  if (!ok) {
    r->failures.push_back(
        absl::StrCat("expected ", c, " = ", x.text, ", found ", FormatResult(c, res)));
  } else if (x.has_output && (!r->has_output || r->output != x.output)) {
    r->failures.push_back(
        absl::StrCat("expected ", c, " to write \"", x.output, "\", found ",
                     r->has_output ? absl::StrCat("\"", r->output, "\"") : "nothing"));
  }
  return absl::OkStatus();
}

absl::Status Runner::RunAccess(const Step& s, StepResult* r) {
  Task* t = FindTask(s.task);
  if (!t) return StepError(s, absl::StrCat("task ", s.task, " does not exist yet"));
  ASSIGN_OR_RETURN(uint64_t addr, Eval(s.addr));
  ASSIGN_OR_RETURN(uint64_t len, Eval(s.len));
  r->has_range = true;
  r->range_start = addr & PAGE_MASK;
  r->range_end =
      addr + len < addr || PAGE_ALIGN(addr + len) < addr + len ? PAGE_MASK : PAGE_ALIGN(addr + len);
  const long res = user_access(*t, addr, len, s.write);
  r->is_call = true;
  r->result = res;
  if (res < 0) r->errno_name = ErrnoName(static_cast<int>(-res));
  const char* what = s.write ? "write" : "read";
  r->display =
      absl::StrCat(s.task, ": ", what, " ", Hex(addr), " ", len, " = ", FormatResult(what, res));
  const ExpectedResult& x = s.expect_result;
  bool ok = true;
  if (x.kind == ExpectedResult::kOk) ok = res >= 0;
  if (x.kind == ExpectedResult::kError) ok = res < 0 && (x.err == 0 || -res == x.err);
  if (x.kind == ExpectedResult::kValue) {
    ASSIGN_OR_RETURN(uint64_t want, Eval(x.value));
    ok = static_cast<uint64_t>(res) == want;
  }
  if (!ok) {
    r->failures.push_back(
        absl::StrCat("expected ", what, " = ", x.text, ", found ", FormatResult(what, res)));
  }
  return absl::OkStatus();
}

// status, smaps fields, mm counters, lru, vmstat and meminfo: JudgeNumber on the model.
absl::Status Runner::RunNumberExpect(const Step& s, StepResult* r) {
  const Expectation& x = s.expectation;
  uint64_t addr = 0;
  if (x.kind == Expectation::kSmaps) {
    ASSIGN_OR_RETURN(addr, Eval(x.addr));
  }
  ASSIGN_OR_RETURN(uint64_t raw, Eval(x.expected.value));
  auto want = WantedNumber(x.expected, raw);
  if (!want.ok()) return StepError(s, want.status().message());
  auto j = JudgeNumber(x, *this, addr, *want);
  if (!j.ok()) return StepError(s, j.status().message());
  std::string what;
  switch (x.kind) {
    case Expectation::kLru:
      what = absl::StrCat("lru ", x.field);
      break;
    case Expectation::kVmstat:
    case Expectation::kMeminfo:
      what = absl::StrCat(x.kind == Expectation::kVmstat ? "vmstat " : "meminfo ", x.field);
      break;
    case Expectation::kStatus:
      what = absl::StrCat(x.task, " status ", x.field);
      break;
    case Expectation::kSmaps:
      what = absl::StrCat(x.task, " smaps ", Hex(addr), " ", x.field);
      break;
    default:
      what = absl::StrCat(x.task, " ", x.field);
      break;
  }
  if (!j->shown) {
    r->failures.push_back(
        absl::StrCat(what, ": expected a VMA containing ", Hex(addr), ", found none"));
    return absl::OkStatus();
  }
  if (j->holds) return absl::OkStatus();
  const std::string unit = NumberUnit(x);
  const std::string u = unit.empty() ? "" : absl::StrCat(" ", unit);
  if (x.expected.delta) {
    r->failures.push_back(absl::StrFormat("%s: expected %s since mark, found %+d%s (%d -> %d)",
                                          what, WantedText(x.expected, j->want, unit), j->found, u,
                                          j->mark, j->now));
  } else {
    r->failures.push_back(absl::StrCat(what, ": expected ", WantedText(x.expected, j->want, unit),
                                       ", found ", j->found, u));
  }
  return absl::OkStatus();
}

namespace {
int VmstatIndex(const std::string& name) {
  for (int i = 0; i < NR_VMSTAT_ITEMS; ++i) {
    if (name == vmstat_name(static_cast<VmStatItem>(i))) return i;
  }
  return -1;
}
}  // namespace

absl::StatusOr<std::optional<int64_t>> Runner::Now(const Expectation& x, uint64_t addr) {
  Machine& m = *machine_;
  Task* t = nullptr;
  if (x.kind == Expectation::kStatus || x.kind == Expectation::kMm ||
      x.kind == Expectation::kSmaps) {
    t = FindTask(x.task);
    if (!t) return absl::NotFoundError(absl::StrCat("task ", x.task, " does not exist yet"));
  }
  switch (x.kind) {
    case Expectation::kLru: {
      const int idx = LookupLruList(x.field);
      if (idx < 0) return absl::NotFoundError(absl::StrCat("no LRU list ", x.field));
      return m.lru_lists[idx].nr;
    }
    case Expectation::kVmstat: {
      const int idx = VmstatIndex(x.field);
      if (idx < 0) return absl::NotFoundError(absl::StrCat("no vmstat ", x.field));
      return m.vmstat.v[idx];
    }
    case Expectation::kMeminfo: {
      ASSIGN_OR_RETURN(int64_t v, FieldNumber(proc_meminfo(m), x.field));
      return v;
    }
    case Expectation::kStatus: {
      ASSIGN_OR_RETURN(int64_t v, FieldNumber(proc_pid_status(*t), x.field));
      return v;
    }
    case Expectation::kMm: {
      const MmStruct* mm = t->mm.get();
      if (x.field == "map_count") return mm->map_count;
      if (x.field == "locked_vm") return static_cast<int64_t>(mm->locked_vm);
      if (x.field == "pinned_vm") return static_cast<int64_t>(mm->pinned_vm);
      if (x.field == "total_vm") return static_cast<int64_t>(mm->total_vm);
      if (x.field == "data_vm") return static_cast<int64_t>(mm->data_vm);
      if (x.field == "exec_vm") return static_cast<int64_t>(mm->exec_vm);
      if (x.field == "stack_vm") return static_cast<int64_t>(mm->stack_vm);
      // The task's fault counters (getrusage ru_minflt / ru_majflt, /proc/PID/stat).
      if (x.field == "min_flt") return static_cast<int64_t>(t->min_flt);
      if (x.field == "maj_flt") return static_cast<int64_t>(t->maj_flt);
      return int64_t{0};
    }
    case Expectation::kSmaps: {
      auto entry = SmapsEntryAt(*t, addr);
      if (!entry) return std::optional<int64_t>();
      ASSIGN_OR_RETURN(int64_t v, FieldNumber(*entry, x.field));
      return v;
    }
    default:
      return absl::InvalidArgumentError("not a numeric expectation");
  }
}

int64_t Runner::AtMark(const Expectation& x) {
  switch (x.kind) {
    case Expectation::kLru: {
      const int idx = LookupLruList(x.field);
      return idx < 0 ? 0 : mark_lru_[idx];
    }
    case Expectation::kVmstat: {
      const int idx = VmstatIndex(x.field);
      return idx < 0 ? 0 : mark_vmstat_.v[idx];
    }
    case Expectation::kMeminfo: {
      auto v = FieldNumber(mark_meminfo_, x.field);
      return v.ok() ? *v : 0;
    }
    default:
      return 0;
  }
}

absl::Status Runner::RunExpect(const Step& s, StepResult* r) {
  const Expectation& x = s.expectation;
  Machine& m = *machine_;
  Task* t = nullptr;
  if (x.kind != Expectation::kVmstat && x.kind != Expectation::kMeminfo &&
      x.kind != Expectation::kLru) {
    t = FindTask(x.task);
    if (!t) return StepError(s, absl::StrCat("task ", x.task, " does not exist yet"));
  }
  if (x.kind != Expectation::kMaps && x.kind != Expectation::kPage &&
      !(x.kind == Expectation::kSmaps && x.field == "VmFlags")) {
    return RunNumberExpect(s, r);
  }
  switch (x.kind) {
    case Expectation::kSmaps: {
      ASSIGN_OR_RETURN(uint64_t addr, Eval(x.addr));
      auto entry = SmapsEntryAt(*t, addr);
      const std::string what = absl::StrCat(x.task, " smaps ", Hex(addr), " ", x.field);
      if (!entry) {
        r->failures.push_back(
            absl::StrCat(what, ": expected a VMA containing ", Hex(addr), ", found none"));
        return absl::OkStatus();
      }
      auto got = ViewField(*entry, "VmFlags");
      std::vector<std::string> g = absl::StrSplit(got.value_or(""), ' ', absl::SkipEmpty());
      absl::btree_set<std::string> gs(g.begin(), g.end());
      absl::btree_set<std::string> ws(x.expected.words.begin(), x.expected.words.end());
      if (gs != ws) {
        r->failures.push_back(absl::StrCat(what, ": expected ", absl::StrJoin(ws, " "), ", found ",
                                           absl::StrJoin(gs, " ")));
      }
      return absl::OkStatus();
    }
    case Expectation::kPage: {
      ASSIGN_OR_RETURN(uint64_t addr, Eval(x.addr));
      const PageInfo pi = page_info(*t, addr);
      const std::string names = pi.present ? kpageflags_names(pi.kpageflags) : "";
      std::vector<std::string> have = absl::StrSplit(names, ',', absl::SkipEmpty());
      std::vector<std::string> bad;
      for (const PageCond& c : x.conds) {
        if (c.name == "mapcount" || c.name == "swapcount" || c.name == "swap_type" ||
            c.name == "swap_offset") {
          ASSIGN_OR_RETURN(uint64_t want, Eval(c.value));
          int64_t got = 0;
          if (c.name == "mapcount") {
            got = pi.present ? pi.kpagecount : 0;
          } else if (pi.swapped) {
            got = c.name == "swap_type" ? static_cast<int64_t>(pi.swap_type)
                  : c.name == "swap_offset"
                      ? static_cast<int64_t>(pi.swap_offset)
                      : static_cast<int64_t>(control::swap_count(m, pi.swap_type, pi.swap_offset));
          } else {
            bad.push_back(absl::StrCat(c.name, " = ", static_cast<int64_t>(want),
                                       " (the page is not swapped out)"));
            continue;
          }
          if (got != static_cast<int64_t>(want)) {
            bad.push_back(
                absl::StrCat(c.name, " = ", static_cast<int64_t>(want), " (found ", got, ")"));
          }
          continue;
        }
        bool set;
        if (c.name == "present") {
          set = pi.present;
        } else if (c.name == "swapped") {
          set = pi.swapped;
        } else {
          set = std::find(have.begin(), have.end(), c.name) != have.end();
        }
        if (set == c.negate) bad.push_back(absl::StrCat(c.negate ? "!" : "", c.name));
      }
      if (!bad.empty()) {
        const std::string state =
            pi.present   ? absl::StrCat("present, flags ", names.empty() ? "(none)" : names,
                                        ", mapcount ", pi.kpagecount)
            : pi.swapped ? "swapped out"
                         : "not present";
        r->failures.push_back(absl::StrCat(x.task, " page ", Hex(addr), ": expected ",
                                           absl::StrJoin(bad, " "), ", found ", state));
      }
      return absl::OkStatus();
    }
    case Expectation::kMaps: {
      struct Row {
        uint64_t start, end;
        std::string perms;
        std::vector<std::string> mn;
      };
      std::vector<Row> want;
      for (const MapsRow& mr : x.rows) {
        Row w;
        ASSIGN_OR_RETURN(w.start, Eval(mr.start));
        ASSIGN_OR_RETURN(w.end, Eval(mr.end));
        w.perms = mr.perms;
        w.mn = mr.mnemonics;
        want.push_back(std::move(w));
      }
      const uint64_t lo = want.front().start, hi = want.back().end;
      std::vector<const Vma*> got;
      for (const auto& [start, v] : t->mm->mm_mt) {
        if (v->vm_end > lo && v->vm_start < hi) got.push_back(v.get());
      }
      bool match = got.size() == want.size();
      for (size_t i = 0; match && i < got.size(); ++i) {
        const Vma* v = got[i];
        const Row& w = want[i];
        const std::string have = vm_flags_mnemonics(v->vm_flags);
        std::vector<std::string> hv = absl::StrSplit(have, ' ', absl::SkipEmpty());
        auto has = [&](const std::string& mn) {
          return std::find(hv.begin(), hv.end(), mn) != hv.end();
        };
        auto listed = [&](const std::string& mn) {
          return std::find(w.mn.begin(), w.mn.end(), mn) != w.mn.end();
        };
        if (v->vm_start != w.start || v->vm_end != w.end || vma_perms(v->vm_flags) != w.perms) {
          match = false;
        }
        for (const std::string& mn : w.mn) {
          if (!has(mn)) match = false;
        }
        for (const char* lock : {"lo", "lf"}) {
          if (has(lock) != listed(lock)) match = false;
        }
      }
      if (!match) {
        std::string msg = absl::StrFormat("%s maps in [%x, %x): expected", x.task, lo, hi);
        for (const Row& w : want) {
          absl::StrAppend(&msg, "\n    ",
                          MapsRowText(w.start, w.end, w.perms, absl::StrJoin(w.mn, " ")));
        }
        absl::StrAppend(&msg, "\n  found");
        if (got.empty()) absl::StrAppend(&msg, " no VMA");
        for (const Vma* v : got) {
          std::string locks;
          if (v->vm_flags & VM_LOCKED) locks = "lo";
          if (v->vm_flags & VM_LOCKONFAULT) absl::StrAppend(&locks, locks.empty() ? "" : " ", "lf");
          absl::StrAppend(&msg, "\n    ",
                          MapsRowText(v->vm_start, v->vm_end, vma_perms(v->vm_flags), locks));
        }
        r->failures.push_back(msg);
      }
      return absl::OkStatus();
    }
    default:  // the numeric kinds: RunNumberExpect
      break;
  }
  return absl::OkStatus();
}

absl::Status Runner::RunShow(const Step& s, StepResult* r) {
  Machine& m = *machine_;
  if (s.view == "meminfo") {
    r->view = proc_meminfo(m);
    return absl::OkStatus();
  }
  if (s.view == "vmstat") {
    r->view = proc_vmstat(m);
    return absl::OkStatus();
  }
  if (s.view == "swaps") {
    r->view = proc_swaps(m);
    return absl::OkStatus();
  }
  Task* t = FindTask(s.task);
  if (!t) return StepError(s, absl::StrCat("task ", s.task, " does not exist yet"));
  if (s.view == "maps") {
    r->view = proc_pid_maps(*t);
  } else if (s.view == "smaps") {
    r->view = proc_pid_smaps(*t);
  } else if (s.view == "status") {
    r->view = proc_pid_status(*t);
  } else {
    uint64_t addr = 0, len = 0;
    if (s.write) {
      ASSIGN_OR_RETURN(addr, Eval(s.addr));
      ASSIGN_OR_RETURN(len, Eval(s.len));
    }
    auto table = PagesTable(*t, addr, len, !s.write);
    if (!table.ok()) return StepError(s, table.status().message());
    r->view = *table;
  }
  return absl::OkStatus();
}

}  // namespace mmsim::scenario
