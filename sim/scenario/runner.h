// Runs a parsed scenario against a fresh Machine, one step at a time, and checks its
// expectations. What the kernel returns is a result (printed, compared with `= ...`); a
// simulator problem (broken invariant, an expectation that cannot be evaluated) is a Status
// naming the step's file:line.
#ifndef MMSIM_SCENARIO_RUNNER_H_
#define MMSIM_SCENARIO_RUNNER_H_

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "mmsim/machine.h"
#include "sim/scenario/expect.h"
#include "sim/scenario/scenario.h"

namespace mmsim::scenario {

// What one step did.
struct StepResult {
  const Step* step = nullptr;
  // The step as run: "A: mlock(0x7ffff7dd4000, 8192) = 0" for calls and accesses, the
  // statement text otherwise.
  std::string display;
  bool is_call = false;  // a syscall or user access: result/errno are meaningful
  long result = 0;       // the kernel's return value (-errno on failure)
  std::string errno_name;
  std::string view;                   // the text of a `show`
  std::vector<std::string> failures;  // failed expectations: "expected ..., found ..."
  // The address range the call named (page aligned), for explain's picture.
  bool has_range = false;
  uint64_t range_start = 0, range_end = 0;
  bool new_mapping = false;  // the range is a new mapping (mmap)
  // What the call wrote that a scenario can compare (mincore's vector, a character a page).
  bool has_output = false;
  std::string output;
};

// The runner is also the simulator's side of every numeric expectation (NumberViews), for
// `check` and for the host oracle alike.
class Runner : public NumberViews {
 public:
  explicit Runner(const Scenario& sc);
  Runner(const Runner&) = delete;
  Runner& operator=(const Runner&) = delete;

  bool done() const { return next_ >= sc_.steps.size(); }
  const Step& next_step() const { return sc_.steps[next_]; }
  // Runs the next step. REQUIRES: !done().
  absl::StatusOr<StepResult> RunStep();

  Machine& machine() { return *machine_; }
  const Scenario& scenario() const { return sc_; }
  Task* FindTask(const std::string& name) const;
  // The first task declared, or nullptr.
  Task* FirstTask() const;
  absl::StatusOr<uint64_t> Eval(const Expr& e) const;
  // The ranges the task mapped with mmap so far, in order.
  const std::vector<std::pair<uint64_t, uint64_t>>& MappedRanges(const std::string& task) const;

  // NumberViews: the model's numbers, and those at the last `mark`.
  absl::StatusOr<std::optional<int64_t>> Now(const Expectation& x, uint64_t addr) override;
  int64_t AtMark(const Expectation& x) override;

 private:
  absl::Status RunCall(const Step& s, StepResult* r);
  absl::Status RunAccess(const Step& s, StepResult* r);
  absl::Status RunExpect(const Step& s, StepResult* r);
  absl::Status RunShow(const Step& s, StepResult* r);
  absl::Status RunNumberExpect(const Step& s, StepResult* r);
  absl::Status StepError(const Step& s, absl::string_view msg) const;

  const Scenario& sc_;
  size_t next_ = 0;
  std::unique_ptr<Machine> machine_;
  absl::flat_hash_map<std::string, Task*> tasks_;
  std::vector<std::string> task_order_;
  absl::flat_hash_map<std::string, uint64_t> symbols_;
  absl::flat_hash_map<std::string, std::vector<std::pair<uint64_t, uint64_t>>> mapped_;
  VmStat mark_vmstat_;
  int64_t mark_lru_[NR_LRU_LISTS] = {};
  std::string mark_meminfo_;
};

// How a number is printed in a step: addresses in hex, the rest in decimal.
std::string FormatResult(const std::string& call, long result);

}  // namespace mmsim::scenario

#endif  // MMSIM_SCENARIO_RUNNER_H_
