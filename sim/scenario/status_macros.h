// The one place the scenario layer spells its Status propagation helpers (Debian's Abseil
// 20220623 ships no status macros).
#ifndef MMSIM_SCENARIO_STATUS_MACROS_H_
#define MMSIM_SCENARIO_STATUS_MACROS_H_

#include "absl/status/status.h"
#include "absl/status/statusor.h"

#define MMSIM_SCN_CAT2(a, b) a##b
#define MMSIM_SCN_CAT(a, b) MMSIM_SCN_CAT2(a, b)

// Returns the Status of `expr` from the enclosing function when it is not OK.
#define RETURN_IF_ERROR(expr)                              \
  do {                                                     \
    ::absl::Status mmsim_scn_status_ = (expr);             \
    if (!mmsim_scn_status_.ok()) return mmsim_scn_status_; \
  } while (0)

// `ASSIGN_OR_RETURN(auto x, f());` — declares/assigns from a StatusOr or returns its error.
#define ASSIGN_OR_RETURN(lhs, expr) \
  ASSIGN_OR_RETURN_IMPL(MMSIM_SCN_CAT(mmsim_scn_or_, __LINE__), lhs, expr)
#define ASSIGN_OR_RETURN_IMPL(tmp, lhs, expr) \
  auto tmp = (expr);                          \
  if (!tmp.ok()) return tmp.status();         \
  lhs = std::move(tmp).value()

#endif  // MMSIM_SCENARIO_STATUS_MACROS_H_
