// The numbers `expect` compares, judged one way for `check` and for the host oracle. A
// machine's side is a NumberViews: the simulator's model (Runner) and the kernel under the
// oracle (diff.cc) each implement it, and JudgeNumber decides on either.
#ifndef MMSIM_SCENARIO_EXPECT_H_
#define MMSIM_SCENARIO_EXPECT_H_

#include <cstdint>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "sim/scenario/scenario.h"

namespace mmsim::scenario {

// What a machine shows of a numeric expectation (status, smaps fields but VmFlags, mm
// counters, lru, vmstat, meminfo).
class NumberViews {
 public:
  virtual ~NumberViews() = default;
  // The value now; nullopt when this machine does not show it (no VMA at the smaps
  // address). An error when the view lacks the field altogether.
  virtual absl::StatusOr<std::optional<int64_t>> Now(const Expectation& x, uint64_t addr) = 0;
  // The value at the last `mark` (0 for views without marks).
  virtual int64_t AtMark(const Expectation& x) = 0;
};

struct NumberJudgement {
  bool shown = false;  // the machine shows the value
  int64_t now = 0, mark = 0;
  int64_t found = 0;  // now, or now - mark for a delta
  int64_t want = 0;
  bool holds = false;
};

// Judges x on one machine; `want` is WantedNumber of the expected value.
absl::StatusOr<NumberJudgement> JudgeNumber(const Expectation& x, NumberViews& v, uint64_t addr,
                                            int64_t want);

// The unit the value is printed in: "kB", "pages" or "".
std::string NumberUnit(const Expectation& x);

}  // namespace mmsim::scenario

#endif  // MMSIM_SCENARIO_EXPECT_H_
