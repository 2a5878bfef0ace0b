// A parsed scenario (.scn): machine configuration and the ordered steps that drive the model.
// docs/scenarios.md describes the language; sim/scenario/parser.cc turns text into this, and
// sim/scenario/runner.cc executes it against a Machine.
#ifndef MMSIM_SCENARIO_SCENARIO_H_
#define MMSIM_SCENARIO_SCENARIO_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "mmsim/machine.h"

namespace mmsim::scenario {

struct SyscallRow;  // sim/scenario/syscall_table.h

// Where a step or token came from. Columns are 1-based.
struct SourceLoc {
  std::string file;
  int line = 0;
  int col = 0;
};

// An integer expression: numbers, constants (resolved while parsing), symbols (bound at run
// time by `x = call(...)`), + - * | and unary minus. Arithmetic wraps modulo 2^64.
struct Expr {
  enum Kind { kNumber, kSymbol, kBinary, kNegate };
  Kind kind = kNumber;
  uint64_t value = 0;  // kNumber
  std::string name;    // kSymbol
  char op = 0;         // kBinary: + - * |
  std::shared_ptr<const Expr> lhs, rhs;
  std::string text;  // the source text of the whole expression
  SourceLoc loc;
  // True when the expression refers to a symbol (its value is known only at run time).
  bool uses_symbol = false;
  // True when every leaf is a named constant (PROT_READ|PROT_WRITE): printed as written.
  bool names_only = false;

  // The value of a kBinary node with operands a and b (unsigned, wrapping: C semantics).
  static uint64_t apply(char op, uint64_t a, uint64_t b) {
    switch (op) {
      case '+':
        return a + b;
      case '-':
        return a - b;
      case '*':
        return a * b;
      default:
        return a | b;
    }
  }
};

// A syscall argument.
struct Arg {
  enum Kind { kExpr, kString, kNull, kCap };
  Kind kind = kExpr;
  Expr expr;         // kExpr
  std::string str;   // kString
  int cap = 0;       // kCap: capability number
  int cap_sign = 0;  // kCap: +1 raise, -1 drop
  std::string text;
};

// The optional `= ...` after a call: what the kernel must return.
struct ExpectedResult {
  enum Kind { kNone, kOk, kError, kValue };
  Kind kind = kNone;
  int err = 0;  // kError: errno, 0 = any error
  Expr value;   // kValue
  std::string text;
  // `= 0 "11010"`: what the call wrote that the scenario compares (mincore's vector).
  bool has_output = false;
  std::string output;
};

// One row of `expect TASK maps:`.
struct MapsRow {
  Expr start, end;
  std::string perms;
  std::vector<std::string> mnemonics;
  SourceLoc loc;
};

// One condition of `expect TASK page ADDR ...`.
struct PageCond {
  // kpageflags name, "present", "swapped", or one of the numeric properties "mapcount",
  // "swapcount" (the slot's swap_map count, continuation included), "swap_type", "swap_offset"
  std::string name;
  bool negate = false;
  Expr value;  // the numeric properties
};

// How an expectation compares the value found with the value written: `=`, `!=`, `<`,
// `<=`, `>`, `>=`.
enum class Cmp { kEq, kNe, kLt, kLe, kGt, kGe };
const char* CmpText(Cmp c);  // "=", "!=", ...
bool CmpHolds(Cmp c, int64_t found, int64_t want);

// A value to compare a field against: `= N`, `= N kB`, `= +N` (delta since `mark`),
// `>= 1M`, `!= 0`.
struct ExpectedValue {
  Cmp cmp = Cmp::kEq;
  bool delta = false;
  bool kb = false;  // the comparison is in kB (the field is printed in kB)
  Expr value;       // for kB fields written without `kB`: bytes, converted when compared
  bool bytes_to_kb = false;
  bool negative = false;           // `-N` delta or literal
  std::vector<std::string> words;  // VmFlags: the mnemonics, compared as a set
  std::string text;
};

// The number `v` asks for, given its expression's value `raw`: in kB for a kB field
// written as a byte size (an error unless whole kB), negated for `-N`. check and the oracle
// both judge expectations with it and with ExpectationHolds.
absl::StatusOr<int64_t> WantedNumber(const ExpectedValue& v, uint64_t raw);
// Whether `found` (a delta since `mark` when v.delta) satisfies v against `want`.
inline bool ExpectationHolds(const ExpectedValue& v, int64_t found, int64_t want) {
  return CmpHolds(v.cmp, found, want);
}
// "8 kB", ">= +2", "!= 0 pages": the expectation as a failure message states it.
std::string WantedText(const ExpectedValue& v, int64_t want, absl::string_view unit);

struct Expectation {
  enum Kind { kMaps, kStatus, kSmaps, kPage, kMm, kVmstat, kMeminfo, kLru };
  Kind kind = kMaps;
  std::string task;
  // status/smaps/meminfo/vmstat field, mm counter (map_count...), or LRU list name
  // (inactive_anon, active_anon, inactive_file, active_file, unevictable)
  std::string field;
  Expr addr;  // smaps, page
  std::vector<MapsRow> rows;
  std::vector<PageCond> conds;
  ExpectedValue expected;
};

struct MachineOptions {
  MachineConfig config;
};

struct Step {
  // kDrain: lru_add_drain_all. kReclaim: try_to_free_pages for `len` pages.
  enum Kind { kFile, kTask, kCall, kAccess, kSysctl, kMark, kExpect, kShow, kDrain, kReclaim };
  Kind kind = kCall;
  SourceLoc loc;
  std::string text;  // the statement as written (without comment), for printing
  std::string task;  // kCall, kAccess, kTask (the new task's name), kShow/kExpect when per-task

  // kFile
  std::string path;
  uint64_t size = 0;
  bool unevictable = false;  // fs=ramfs: mapping_unevictable
  // kTask
  Image image = Image::kProcess;
  bool has_memlock = false;
  uint64_t memlock = 0;
  uint64_t caps_drop = 0;
  // kCall
  // Bound to the result when not empty. For fork() and clone() it names the new task
  // instead (`A: B = fork()` creates task B); it is then not a symbol.
  std::string symbol;
  std::string call;                 // syscall name
  const SyscallRow* row = nullptr;  // its row of the syscall table
  std::vector<Arg> args;
  ExpectedResult expect_result;
  // kAccess (and kShow pages ADDR LEN; kReclaim uses len as the number of pages)
  bool write = false;
  Expr addr, len;
  // kSysctl
  std::string sysctl;
  uint64_t sysctl_value = 0;
  // kExpect
  Expectation expectation;
  // kShow: maps, smaps, status, pages, meminfo, vmstat, swaps
  std::string view;
};

struct Scenario {
  std::string file;
  std::string title;
  std::string teaches;
  MachineConfig config;
  // The runner checks the model's invariants after every check_every-th step and after the
  // last one (`machine check_every=N`). A full check walks every folio, PTE and swap slot, so
  // scenarios with millions of pages and thousands of steps ask for a sparser cadence.
  int check_every = 1;
  std::vector<Step> steps;
};

// Parses a scenario file; `include` paths resolve relative to the including file.
// Errors read "file:line:col: error: <found>, expected <what>".
absl::StatusOr<Scenario> ParseScenarioFile(const std::string& path);
// Parses text as if it were the contents of `file_name`. `include` reads from disk unless
// `allow_include` is false (the fuzzer), in which case it is an error.
absl::StatusOr<Scenario> ParseScenarioText(const std::string& text, const std::string& file_name,
                                           bool allow_include = true);

// Whether a file is meant to be a scenario (it has a `title:` line), as `mmsim check` decides.
bool LooksLikeScenario(const std::string& text);

}  // namespace mmsim::scenario

#endif  // MMSIM_SCENARIO_SCENARIO_H_
