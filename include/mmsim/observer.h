// Observation points of the model, for tools that watch a Machine from outside (the host
// oracle, tracers). The model calls every registered observer at the moments named below;
// none of them is kernel behaviour, and an observer that wants to change the machine does it
// through the control surface (include/mmsim/control.h), never by reaching into the model.
#ifndef MMSIM_OBSERVER_H_
#define MMSIM_OBSERVER_H_

#include <cstdint>

namespace mmsim {

struct Task;

// Register with Machine::add_observer; the machine does not own it. Every method has an
// empty default, so an observer overrides only what it watches.
class MachineObserver {
 public:
  virtual ~MachineObserver() = default;

  // mlockall(flags) passed its flag, permission and limit checks, or munlockall was called
  // (flags 0, munlockall true), and the walk over the caller's VMAs has not started: every
  // VMA still has its old flags. A refused call is not reported.
  virtual void on_mlockall_walk(Task& t, uint64_t flags, bool munlockall) {}

  // A folio read back where a shadow entry was (mm/workingset.c workingset_refault), before
  // it is added to the LRU; `recent` is the refault-distance verdict: true when the folio
  // is activated.
  virtual void on_refault(uint32_t folio, bool recent) {}
};

}  // namespace mmsim

#endif  // MMSIM_OBSERVER_H_
