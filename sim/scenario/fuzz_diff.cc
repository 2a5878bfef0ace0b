#include "sim/scenario/fuzz_diff.h"

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <random>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "sim/scenario/diff.h"
#include "sim/scenario/scenario.h"
#include "sim/scenario/syscall_table.h"

namespace mmsim::scenario {

namespace {

// The window: 16 pages far from the server's own mappings and from the simulator's
// top-down mmap area.
constexpr const char* kBase = "0x7f0000000000";
constexpr int kWindowPages = 16;
constexpr uint64_t kDefaultLimit = 8ull << 20;

std::string Addr(int page) { return page == 0 ? kBase : absl::StrCat(kBase, "+", page, "P"); }

std::string Len(int pages) { return pages == 0 ? "0" : absl::StrCat(pages, "P"); }

struct TaskState {
  bool caps_dropped = false;
  uint64_t limit = kDefaultLimit;
  bool outside_locked = false;  // mlockall(MCL_CURRENT) may have locked the server's image
  bool alive = true;
  bool restricted() const { return caps_dropped && limit < kDefaultLimit; }
};

// The rules that keep the server's own mappings (its binary, stack, heap) from deciding a
// result: RLIMIT_MEMLOCK checks count the whole address space (mlockall(MCL_CURRENT): total_vm)
// or every locked page (locked_vm). The task is "restricted" when it lacks CAP_IPC_LOCK and
// has a limit below the default 8 MiB (the server's own mappings are about 1.3 MiB). While
// restricted, no mlockall(MCL_CURRENT); and no task becomes restricted while its own
// mappings may be locked. Limits only go down (this sandbox refuses to raise a hard limit).
struct Tracker {
  std::map<std::string, TaskState> tasks{{"A", TaskState{}}};
  bool forked = false;
  // Applies op; false if it breaks a rule.
  bool Apply(const FuzzOp& op) {
    auto it = tasks.find(op.task);
    if (it == tasks.end() || !it->second.alive) return false;
    TaskState& t = it->second;
    switch (op.kind) {
      case FuzzOp::kSetrlimit:
        if (op.limit > t.limit) return false;
        t.limit = op.limit;
        if (t.restricted() && t.outside_locked) return false;
        return true;
      case FuzzOp::kCapDrop:
        t.caps_dropped = true;
        return !(t.restricted() && t.outside_locked);
      case FuzzOp::kMlockallCurrent:
        if (t.restricted()) return false;
        t.outside_locked = true;
        return true;
      case FuzzOp::kMunlockall:
        t.outside_locked = false;
        return true;
      case FuzzOp::kFork: {
        if (forked) return false;
        forked = true;
        TaskState child = t;
        child.outside_locked = false;
        tasks["B"] = child;
        return true;
      }
      case FuzzOp::kExit:
        t.alive = false;
        return op.task != "A";
      case FuzzOp::kOther:
        return true;
    }
    return true;
  }
};

class Gen {
 public:
  Gen(uint64_t seed, int index) : rng_(seed * 1000003u + static_cast<uint64_t>(index)) {}
  int Int(int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng_); }
  bool Chance(int percent) { return Int(0, 99) < percent; }
  template <typename T>
  const T& Pick(const std::vector<T>& v) {
    return v[static_cast<size_t>(Int(0, static_cast<int>(v.size()) - 1))];
  }

 private:
  std::mt19937_64 rng_;
};

std::string Prot(Gen& g) {
  static const std::vector<std::string> k = {"PROT_READ|PROT_WRITE",
                                             "PROT_READ|PROT_WRITE",
                                             "PROT_READ|PROT_WRITE",
                                             "PROT_READ",
                                             "PROT_NONE",
                                             "PROT_READ|PROT_WRITE|PROT_EXEC"};
  return g.Pick(k);
}

// What one draw of the generator knows: the task, its state and a range in the window.
struct Draw {
  Gen& g;
  const Tracker& tr;
  const TaskState& ts;
  const std::string& task;
  bool fork;
  std::string p;      // "A: "
  int start, len;     // pages
  std::string range;  // "ADDR, LEN"
};

// A user access instead of a call (also what a draw becomes when its call cannot be made).
void Access(Draw& d, FuzzOp& op, bool choose) {
  const bool write = !choose || d.g.Chance(60);
  op.line =
      absl::StrCat(d.p, write ? "write " : "read ", Addr(d.start), " ", Len(std::max(1, d.len)));
}

// The arguments of each call fuzz-diff draws (the table's fuzz_weight says how often).
using FuzzArgs = void (*)(Draw& d, FuzzOp& op);

void FuzzMmap(Draw& d, FuzzOp& op) {
  Gen& g = d.g;
  std::string flags = g.Chance(85) ? "MAP_PRIVATE|MAP_ANONYMOUS" : "MAP_SHARED|MAP_ANONYMOUS";
  absl::StrAppend(&flags, g.Chance(85) ? "|MAP_FIXED" : "|MAP_FIXED_NOREPLACE");
  if (g.Chance(12)) absl::StrAppend(&flags, "|MAP_LOCKED");
  if (g.Chance(10)) absl::StrAppend(&flags, "|MAP_POPULATE");
  op.line = absl::StrCat(d.p, "mmap(", Addr(d.start), ", ", Len(std::max(1, d.len)), ", ", Prot(g),
                         ", ", flags, ", -1, 0)");
}

void FuzzMprotect(Draw& d, FuzzOp& op) {
  op.line = absl::StrCat(d.p, "mprotect(", d.range, ", ", Prot(d.g), ")");
}

void FuzzMadvise(Draw& d, FuzzOp& op) {
  static const std::vector<std::string> k = {
      "MADV_NORMAL",     "MADV_RANDOM",     "MADV_SEQUENTIAL",    "MADV_WILLNEED",
      "MADV_DONTNEED",   "MADV_DONTFORK",   "MADV_DOFORK",        "MADV_DONTDUMP",
      "MADV_DODUMP",     "MADV_COLD",       "MADV_PAGEOUT",       "MADV_DONTNEED_LOCKED",
      "MADV_WIPEONFORK", "MADV_KEEPONFORK", "MADV_POPULATE_READ", "MADV_POPULATE_WRITE"};
  op.line = absl::StrCat(d.p, "madvise(", d.range, ", ", d.g.Pick(k), ")");
}

// munmap, mlock, munlock: just the range.
void FuzzRange(Draw& d, FuzzOp& op) { op.line = absl::StrCat(d.p, op.line, "(", d.range, ")"); }

void FuzzMlock2(Draw& d, FuzzOp& op) {
  op.line =
      absl::StrCat(d.p, "mlock2(", d.range, ", ", d.g.Chance(80) ? "MLOCK_ONFAULT" : "0", ")");
}

void FuzzMlockall(Draw& d, FuzzOp& op) {
  static const std::vector<std::string> k = {"MCL_CURRENT",
                                             "MCL_FUTURE",
                                             "MCL_CURRENT|MCL_FUTURE",
                                             "MCL_FUTURE|MCL_ONFAULT",
                                             "MCL_CURRENT|MCL_ONFAULT",
                                             "MCL_CURRENT|MCL_FUTURE|MCL_ONFAULT",
                                             "MCL_ONFAULT"};
  std::string f = d.g.Pick(k);
  const bool current = f.find("MCL_CURRENT") != std::string::npos;
  if (current && d.ts.restricted()) f = "MCL_FUTURE";
  op.line = absl::StrCat(d.p, "mlockall(", f, ")");
  if (f.find("MCL_CURRENT") != std::string::npos) op.kind = FuzzOp::kMlockallCurrent;
}

void FuzzMunlockall(Draw& d, FuzzOp& op) {
  op.line = absl::StrCat(d.p, "munlockall()");
  op.kind = FuzzOp::kMunlockall;
}

void FuzzSetrlimit(Draw& d, FuzzOp& op) {
  static const std::vector<uint64_t> k = {0, 4096, 8192, 16384, 32768, 65536};
  uint64_t v = d.g.Pick(k);
  if (v > d.ts.limit) v = d.ts.limit;
  const bool restricted_after = d.ts.caps_dropped && v < kDefaultLimit;
  if (restricted_after && d.ts.outside_locked) {
    op.line = absl::StrCat(d.p, "munlock(", d.range, ")");
  } else {
    op.line = absl::StrCat(d.p, "setrlimit(RLIMIT_MEMLOCK, ", v, ", ", v, ")");
    op.kind = FuzzOp::kSetrlimit;
    op.limit = v;
  }
}

void FuzzCapset(Draw& d, FuzzOp& op) {
  const bool restricted_after = d.ts.limit < kDefaultLimit;
  if (d.ts.caps_dropped || (restricted_after && d.ts.outside_locked)) {
    op.line = absl::StrCat(d.p, "mlock(", d.range, ")");
  } else {
    op.line = absl::StrCat(d.p, "capset(-CAP_IPC_LOCK)");
    op.kind = FuzzOp::kCapDrop;
  }
}

// fork in A once; the child's exit in B.
void FuzzFork(Draw& d, FuzzOp& op) {
  if (d.fork && !d.tr.forked && d.task == "A") {
    op.line = "A: B = fork()";
    op.kind = FuzzOp::kFork;
  } else if (d.fork && d.task == "B" && d.g.Chance(30)) {
    op.line = "B: exit(0)";
    op.kind = FuzzOp::kExit;
  } else {
    Access(d, op, false);
  }
}

FuzzArgs ArgsFor(const std::string& call) {
  static const std::map<std::string, FuzzArgs> k = {
      {"mmap", FuzzMmap},           {"munmap", FuzzRange},      {"mprotect", FuzzMprotect},
      {"madvise", FuzzMadvise},     {"mlock", FuzzRange},       {"mlock2", FuzzMlock2},
      {"munlock", FuzzRange},       {"mlockall", FuzzMlockall}, {"munlockall", FuzzMunlockall},
      {"setrlimit", FuzzSetrlimit}, {"capset", FuzzCapset},     {"fork", FuzzFork}};
  auto it = k.find(call);
  return it == k.end() ? nullptr : it->second;
}

// The weight of user accesses (reads and writes) beside the calls' weights.
constexpr int kAccessWeight = 16;

FuzzOp RandomOp(Gen& g, const Tracker& tr, const std::string& task, bool fork) {
  FuzzOp op;
  op.task = task;
  Draw d{g, tr, tr.tasks.at(task), task, fork, absl::StrCat(task, ": "), 0, 0, ""};
  d.start = g.Int(0, kWindowPages - 1);
  d.len = g.Int(0, 5);
  d.range = absl::StrCat(Addr(d.start), ", ", Len(d.len));
  // The draw walks the calls in kDrawOrder (user accesses where "" stands), then any other
  // row with a weight, so that a seed gives the sequences it gave before the table existed.
  static const std::vector<std::pair<std::string, int>>* order = [] {
    static constexpr const char* kDrawOrder[] = {
        "mmap",       "munmap",  "mprotect", "mlock",     "mlock2", "munlock", "mlockall",
        "munlockall", "madvise", "",         "setrlimit", "capset", "fork"};
    auto* v = new std::vector<std::pair<std::string, int>>;
    for (const char* name : kDrawOrder) {
      const SyscallRow* row = *name ? LookupSyscall(name) : nullptr;
      v->emplace_back(name, *name ? (row ? row->fuzz_weight : 0) : kAccessWeight);
    }
    for (const SyscallRow& row : SyscallTable()) {
      const bool listed =
          std::any_of(v->begin(), v->end(), [&](const auto& e) { return e.first == row.name; });
      if (!listed && row.fuzz_weight > 0) v->emplace_back(row.name, row.fuzz_weight);
    }
    return v;
  }();
  int total = 0;
  for (const auto& [name, weight] : *order) total += weight;
  int r = g.Int(0, total - 1);
  for (const auto& [name, weight] : *order) {
    if (r >= weight) {
      r -= weight;
      continue;
    }
    if (name.empty()) break;  // a user access
    FuzzArgs args = ArgsFor(name);
    if (!args) break;  // a weight without an argument generator: an access instead
    op.line = name;
    args(d, op);
    return op;
  }
  Access(d, op, true);
  return op;
}

struct Found {
  bool diverged = false;
  bool skipped = false;
  std::string error;
  std::vector<Divergence> divs;
};

Found RunOps(const std::vector<FuzzOp>& ops, const HostSupport& hs, const std::string& name) {
  Found f;
  auto sc = ParseScenarioText(FuzzScenarioText(ops, name, false), name, false);
  if (!sc.ok()) {
    f.error = std::string(sc.status().message());
    return f;
  }
  DiffOptions opt;
  opt.compare_every_call = true;
  DiffOutcome o = DiffScenario(*sc, hs, opt);
  f.skipped = o.skipped;
  f.error = o.error;
  f.divs = o.divergences;
  f.diverged = !o.divergences.empty();
  return f;
}

// Delta debugging: drop chunks of ops (halves, quarters, ... single ops) while the sequence
// still diverges and the generator's rules still hold.
std::vector<FuzzOp> Shrink(std::vector<FuzzOp> ops, const HostSupport& hs,
                           const std::string& name) {
  // Nothing after the first diverging op matters.
  Found first = RunOps(ops, hs, name);
  if (!first.divs.empty()) {
    const std::string& where = first.divs.front().where;
    const int line = std::atoi(where.substr(where.rfind(':') + 1).c_str());
    const int keep = line - 2;  // line 1 title, line 2 task, op i on line i+3
    if (keep > 0 && keep < static_cast<int>(ops.size())) ops.resize(static_cast<size_t>(keep));
  }
  for (size_t chunk = std::max<size_t>(ops.size() / 2, 1); chunk >= 1; chunk /= 2) {
    bool removed = true;
    while (removed) {
      removed = false;
      for (size_t at = 0; at < ops.size();) {
        std::vector<FuzzOp> cand;
        cand.insert(cand.end(), ops.begin(), ops.begin() + static_cast<long>(at));
        const size_t end = std::min(ops.size(), at + chunk);
        cand.insert(cand.end(), ops.begin() + static_cast<long>(end), ops.end());
        if (!cand.empty() && FuzzOpsValid(cand) && RunOps(cand, hs, name).diverged) {
          ops = std::move(cand);
          removed = true;
        } else {
          at += chunk;
        }
      }
    }
    if (chunk == 1) break;
  }
  return ops;
}

}  // namespace

std::string FuzzScenarioText(const std::vector<FuzzOp>& ops, const std::string& title, bool shows) {
  std::string text = absl::StrCat("title: ", title, "\ntask A image=empty\n");
  std::map<std::string, bool> alive{{"A", true}};
  for (const FuzzOp& op : ops) {
    absl::StrAppend(&text, op.line, "\n");
    if (op.kind == FuzzOp::kFork) alive["B"] = true;
    if (op.kind == FuzzOp::kExit) alive[op.task] = false;
  }
  if (shows) {
    for (const auto& [task, live] : alive) {
      if (!live) continue;
      absl::StrAppend(&text, "show ", task, " smaps\nshow ", task, " status\nshow ", task,
                      " pages ", kBase, " ", kWindowPages, "P\n");
    }
  }
  return text;
}

bool FuzzOpsValid(const std::vector<FuzzOp>& ops) {
  Tracker tr;
  for (const FuzzOp& op : ops) {
    if (!tr.Apply(op)) return false;
  }
  return true;
}

std::vector<FuzzOp> GenerateFuzzOps(uint64_t seed, int index, int n, bool fork) {
  Gen g(seed, index);
  Tracker tr;
  std::vector<FuzzOp> ops;
  while (static_cast<int>(ops.size()) < n) {
    std::string task = "A";
    auto b = tr.tasks.find("B");
    if (b != tr.tasks.end() && b->second.alive && g.Chance(40)) task = "B";
    FuzzOp op = RandomOp(g, tr, task, fork);
    Tracker next = tr;
    if (!next.Apply(op)) continue;
    tr = next;
    ops.push_back(op);
  }
  return ops;
}

int CmdFuzzDiff(const FuzzDiffOptions& o, std::ostream& out, std::ostream& err) {
  if (o.sequences < 0 || o.ops < 1) {
    err << "mmsim fuzz-diff: error: --sequences must be >= 0 and --ops >= 1\n";
    return 1;
  }
  std::error_code ec;
  if (!std::filesystem::is_directory(o.out_dir, ec)) {
    err << "mmsim fuzz-diff: error: --out " << o.out_dir << " is not a directory\n";
    return 1;
  }
  const HostSupport hs = ProbeHost();
  if (!hs.ok) {
    out << "skipped: " << hs.reason << "\n";
    return 0;
  }
  out << ZeroPageNote(hs);
  const auto t0 = std::chrono::steady_clock::now();
  int divergent = 0, skipped = 0, errors = 0;
  for (int i = 0; i < o.sequences; ++i) {
    const std::vector<FuzzOp> ops = GenerateFuzzOps(o.seed, i, o.ops, o.fork);
    const std::string name = absl::StrFormat("fuzz-diff seed %d sequence %d", o.seed, i);
    Found f = RunOps(ops, hs, name);
    if (!f.error.empty()) {
      ++errors;
      out << name << ": error: " << f.error << "\n";
      continue;
    }
    if (f.skipped) ++skipped;
    if (!f.diverged) continue;
    ++divergent;
    if (divergent > o.max_shrink) {
      out << name << ": diverges (" << f.divs.front().view << ", " << f.divs.front().field
          << ": simulator " << f.divs.front().sim << ", kernel " << f.divs.front().kernel
          << "); not shrunk (--max-shrink " << o.max_shrink << ")\n";
      continue;
    }
    std::vector<FuzzOp> small = Shrink(ops, hs, name);
    Found g = RunOps(small, hs, name);
    std::string flaky;
    if (g.divs.empty()) {
      // Not reproduced after shrinking: keep the whole sequence and say so.
      small = ops;
      g = f;
      flaky = "# (the shrunk sequence did not reproduce it: timing-dependent; full sequence)\n";
    }
    const std::string file = absl::StrFormat("%s/fuzz-diff-s%d-%d.scn", o.out_dir, o.seed, i);
    std::string text = FuzzScenarioText(small, absl::StrCat(name, ", minimised"), true);
    std::string header =
        absl::StrCat("# mmsim fuzz-diff --seed ", o.seed, " (sequence ", i, ", shrunk from ",
                     ops.size(), " to ", small.size(), " ops)\n", flaky);
    for (const Divergence& d : g.divs) {
      absl::StrAppend(&header, "# divergence: ", d.view, ", ", d.field, ": simulator ", d.sim,
                      ", kernel ", d.kernel, " (at: ", d.step, ")\n");
    }
    std::ofstream(file) << header << text;
    out << "divergence in sequence " << i << ", minimal scenario " << file << ":\n"
        << header << text;
  }
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  out << absl::StrFormat(
      "%d sequences x %d ops, seed %d: %d divergent, %d skipped, %d errors, %.1f s\n", o.sequences,
      o.ops, o.seed, divergent, skipped, errors, secs);
  return (divergent || errors) ? 1 : 0;
}

}  // namespace mmsim::scenario
