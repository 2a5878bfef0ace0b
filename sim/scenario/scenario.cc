// Small helpers of the parsed scenario (scenario.h).
#include "sim/scenario/scenario.h"

namespace mmsim::scenario {

const char* CmpText(Cmp c) {
  switch (c) {
    case Cmp::kEq:
      return "=";
    case Cmp::kNe:
      return "!=";
    case Cmp::kLt:
      return "<";
    case Cmp::kLe:
      return "<=";
    case Cmp::kGt:
      return ">";
    case Cmp::kGe:
      return ">=";
  }
  return "=";
}

bool CmpHolds(Cmp c, int64_t found, int64_t want) {
  switch (c) {
    case Cmp::kEq:
      return found == want;
    case Cmp::kNe:
      return found != want;
    case Cmp::kLt:
      return found < want;
    case Cmp::kLe:
      return found <= want;
    case Cmp::kGt:
      return found > want;
    case Cmp::kGe:
      return found >= want;
  }
  return false;
}

}  // namespace mmsim::scenario
