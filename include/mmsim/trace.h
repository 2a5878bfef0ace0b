// The explanation trace: which kernel functions the model entered for a step, and the
// decisions it made on the way (why a merge was or was not allowed, which limit was checked
// with which numbers). `mmsim explain` prints it. When no trace is attached the hooks cost
// one pointer test and no string work.
#ifndef MMSIM_TRACE_H_
#define MMSIM_TRACE_H_

#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_format.h"

namespace mmsim {

struct TraceEvent {
  enum Kind { kCall, kNote };
  Kind kind;
  int depth;
  std::string text;
};

class Trace {
 public:
  void enter(const char* fn) {
    events_.push_back({TraceEvent::kCall, depth_, fn});
    ++depth_;
  }
  void leave() { --depth_; }
  void note(std::string text) { events_.push_back({TraceEvent::kNote, depth_, std::move(text)}); }
  const std::vector<TraceEvent>& events() const { return events_; }
  void clear() {
    events_.clear();
    depth_ = 0;
  }
  // The call path as "a → b → c" of the calls entered, in order, deduplicated by depth.
  std::string call_path() const;

 private:
  std::vector<TraceEvent> events_;
  int depth_ = 0;
};

// Scope guard recording entry into a kernel function of the model.
class TraceScope {
 public:
  TraceScope(Trace* t, const char* fn) : t_(t) {
    if (t_) t_->enter(fn);
  }
  ~TraceScope() {
    if (t_) t_->leave();
  }
  TraceScope(const TraceScope&) = delete;
  TraceScope& operator=(const TraceScope&) = delete;

 private:
  Trace* t_;
};

}  // namespace mmsim

#define MMSIM_CAT2(a, b) a##b
#define MMSIM_CAT(a, b) MMSIM_CAT2(a, b)
// Marks the current function as the model of the kernel function `name`.
#define TRACE_FN(trace_ptr, name) \
  ::mmsim::TraceScope MMSIM_CAT(trace_scope_, __LINE__)(trace_ptr, name)
// Records a decision; the format arguments are evaluated only when tracing.
#define TRACE_NOTE(trace_ptr, ...)                                  \
  do {                                                              \
    if (trace_ptr) (trace_ptr)->note(absl::StrFormat(__VA_ARGS__)); \
  } while (0)

#endif  // MMSIM_TRACE_H_
