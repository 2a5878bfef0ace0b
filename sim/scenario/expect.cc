#include "sim/scenario/expect.h"

#include "absl/strings/match.h"
#include "sim/scenario/status_macros.h"

namespace mmsim::scenario {

absl::StatusOr<NumberJudgement> JudgeNumber(const Expectation& x, NumberViews& v, uint64_t addr,
                                            int64_t want) {
  NumberJudgement j;
  j.want = want;
  ASSIGN_OR_RETURN(std::optional<int64_t> now, v.Now(x, addr));
  if (!now) return j;
  j.shown = true;
  j.now = *now;
  j.mark = x.expected.delta ? v.AtMark(x) : 0;
  j.found = x.expected.delta ? j.now - j.mark : j.now;
  j.holds = ExpectationHolds(x.expected, j.found, want);
  return j;
}

std::string NumberUnit(const Expectation& x) {
  switch (x.kind) {
    case Expectation::kLru:
      return "pages";
    case Expectation::kMm:
      return absl::EndsWith(x.field, "_vm") ? "pages" : "";
    case Expectation::kVmstat:
      return "";
    default:
      return x.expected.kb ? "kB" : "";
  }
}

}  // namespace mmsim::scenario
