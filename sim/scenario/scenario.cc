// Small helpers of the parsed scenario (scenario.h).
#include "sim/scenario/scenario.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

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

absl::StatusOr<int64_t> WantedNumber(const ExpectedValue& v, uint64_t raw) {
  int64_t want = static_cast<int64_t>(raw);
  if (v.bytes_to_kb) {
    if (raw % 1024 != 0) {
      return absl::InvalidArgumentError(
          absl::StrCat(v.text, " is ", raw,
                       " bytes, not a whole number of kB, expected `N kB` or a size such as 8K"));
    }
    want = static_cast<int64_t>(raw / 1024);
  }
  return v.negative ? -want : want;
}

std::string WantedText(const ExpectedValue& v, int64_t want, absl::string_view unit) {
  const std::string op = v.cmp == Cmp::kEq ? "" : absl::StrCat(CmpText(v.cmp), " ");
  const std::string u = unit.empty() ? "" : absl::StrCat(" ", unit);
  return v.delta ? absl::StrFormat("%s%+d%s", op, want, u) : absl::StrCat(op, want, u);
}

}  // namespace mmsim::scenario
