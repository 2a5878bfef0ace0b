// The calls of the scenario language, one row each: how a call is written (its arguments
// and usage), which model function runs it, how its result prints, how the host oracle
// issues it on the real kernel, and how often fuzz-diff draws it. The parser, the runner,
// explain, the oracle (diff.cc) and the fuzz generator all read this one table: adding a
// call is a row in syscall_table.cc and its model function.
#ifndef MMSIM_SCENARIO_SYSCALL_TABLE_H_
#define MMSIM_SCENARIO_SYSCALL_TABLE_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "mmsim/machine.h"
#include "sim/scenario/host_protocol.h"
#include "sim/scenario/scenario.h"

namespace mmsim::scenario {

// One call as the runner hands it to a row's model entry.
struct CallContext {
  Task& task;
  const std::vector<Arg>& args;    // as written (strings, capabilities)
  const std::vector<uint64_t>& v;  // the evaluated integer arguments (0 for the others)
};

// What a model entry returns: the kernel's result and what the front ends show of it.
struct CallOutcome {
  long result = 0;  // what the kernel returns: a value, or -errno
  // The address range the call named (page aligned), for explain's picture.
  bool has_range = false;
  uint64_t range_start = 0, range_end = 0;
  bool new_mapping = false;  // the range is a new mapping (mmap): the task's mapped ranges
  // Printed after the result: getrlimit's limits.
  std::string extra;
  // What the call wrote to user memory that the scenario can compare (`= 0 "11010"`):
  // mincore's vector, one character a page. Empty for calls that write nothing.
  std::string output;
  bool has_output = false;
  // The value `x = call(...)` binds when it is not the result (getrlimit: rlim_cur).
  std::optional<uint64_t> bound;
  bool binds_result = true;  // false: without `bound`, the symbol gets no value (getrlimit)
  void set_range(uint64_t start, uint64_t len);
};

using ModelEntry = absl::StatusOr<CallOutcome> (*)(const CallContext& c);

// A constant argument the parser refuses (a prctl option the model lacks...): which argument,
// what was found and what was expected.
struct ArgProblem {
  size_t arg = 0;
  std::string found, expected;
};
using ArgCheck = std::optional<ArgProblem> (*)(const std::vector<Arg>& args);

enum class ResultFormat { kNumber, kAddress };

// How the host oracle (sim/scenario/diff.cc) issues a call on the real kernel.
struct HostCall {
  // host_protocol::Op; 0: not supported on the host yet. kSyscall issues `nr` with the
  // integer arguments, the strings of `p` arguments translated to the host's paths and those
  // of `n` arguments as written; kCapset sends the capability list as drop/raise masks;
  // kFork and kExit start and end task servers.
  uint32_t op = 0;
  long nr = -1;
  // mmap: a call without MAP_FIXED* is issued at the simulator's address with
  // MAP_FIXED_NOREPLACE, so that the layouts compare one to one. Returns whether it moved.
  bool (*place)(host_protocol::Request& req, const std::vector<uint64_t>& v, long sim) = nullptr;
  // swapon: a real swap file is prepared at the path first.
  bool swap_file = false;
  // mlockall/munlockall: the flags (first argument; none for munlockall) apply to the
  // server's own VMAs too.
  bool server_locks = false;
  // Why the call cannot be compared on the host, given its evaluated arguments; nullptr if
  // it can. Asked before the simulator runs the step.
  const char* (*refuse)(const std::vector<uint64_t>& v) = nullptr;
  // Only whether it succeeded is compared (fork and clone return pids).
  bool sign_only = false;
  // The argument the server's buffer goes in (host_protocol::Request::out_arg); what the
  // kernel wrote there is compared with the model's CallOutcome::output, a character a byte.
  int out_arg = -1;
  bool out_arg_writes() const { return out_arg >= 0; }
};

// One call of the language.
struct SyscallRow {
  const char* name;
  // One letter an argument: e an integer expression, p a quoted path, n a quoted name or
  // NULL, c a capability +CAP_X / -CAP_Y. The last letter repeats up to max_args.
  const char* arg_kinds;
  int min_args, max_args;
  const char* usage;  // "mlock(addr, len)"
  ResultFormat result;
  // `A: B = fork()`: the name on the left names the new task, not a symbol.
  bool names_task;
  bool ends_task;  // exit: no later step may name the task
  ModelEntry model;
  ArgCheck check;  // constant arguments the parser refuses, or nullptr
  HostCall host;
  int fuzz_weight;  // how often fuzz-diff draws the call (percent of its draws; 0 never)
};

// The rows, in the order the language lists them.
const std::vector<SyscallRow>& SyscallTable();
const SyscallRow* LookupSyscall(absl::string_view name);
std::vector<std::string> SyscallNames();
// The kind letter of argument i.
char ArgKindAt(const SyscallRow& row, size_t i);

// Calls the kernel has but the model does not implement yet; nullptr if not one of them.
const char* NotModelledSyscall(absl::string_view name);

}  // namespace mmsim::scenario

#endif  // MMSIM_SCENARIO_SYSCALL_TABLE_H_
