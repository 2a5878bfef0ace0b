// The control surface: what a front end (the scenario runner, the host oracle, a benchmark)
// may do to a Machine besides calling its syscalls. Each operation is something a user of
// the real machine can also cause from outside (a drain, reclaim, a sysctl write) or a
// question about what the model covers; none is a kernel function, hence the namespace.
#ifndef MMSIM_CONTROL_H_
#define MMSIM_CONTROL_H_

#include <cstdint>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "mmsim/machine.h"

namespace mmsim::control {

// ---- per-CPU folio batches (mm/swap.c cpu_fbatches, mm/mlock.c mlock_fbatch) ----

enum class Batch { kLruAdd, kLruDeactivate, kLruActivate, kMlock };

// What draining an entry does: a move between lists (the lru_* batches), or, in the mlock
// batch, mlock a folio already on a list, mlock a new folio, or munlock.
enum class BatchOp { kMove, kMlock, kMlockNew, kMunlock };

struct BatchEntry {
  uint32_t folio;
  BatchOp op;
  bool operator==(const BatchEntry&) const = default;
};

// The CPUs, each with its batches: 0 to nr_cpus(m) - 1.
int nr_cpus(const Machine& m);
// The entries of one batch of `cpu`, oldest first.
std::vector<BatchEntry> batch_contents(const Machine& m, int cpu, Batch b);
// Every batch of the CPU the last kernel entry ran on (Machine::cpu), as lru_add_drain does.
void drain_local_batches(Machine& m);
// Every batch of every CPU, as lru_add_drain_all does.
void drain_all_batches(Machine& m);
// The oldest n entries (at most all) of `cpu`'s lru_add or mlock batch, as if the batch had
// been drained before the rest were queued; the others stay queued in order. For a front end
// that learns the real machine drained earlier than the model.
absl::Status drain_batch_head(Machine& m, int cpu, Batch b, int n);

// ---- reclaim, workingset ----

// Asks the machine's reclaim policy for nr_pages (direct reclaim, or a kswapd pass);
// returns the pages freed.
uint64_t reclaim(Machine& m, uint64_t nr_pages, bool kswapd = false);
// Activates a resident folio as a recent refault would have (PG_active, workingset
// counters, the lruvec's nonresident age; no pgactivate). For a front end whose real machine
// judged a refault recent where the model did not (its LRU lists are the whole host's).
// Does nothing to an active or unevictable folio.
void activate_as_refault(Machine& m, uint32_t folio);

// ---- sysctls ----

// The /proc/sys/vm knobs the model has, by their sysctl names ("vm.max_map_count", ...).
const std::vector<absl::string_view>& modelled_sysctls();
// Writes a knob: NotFound for one the model lacks, OutOfRange for a value the kernel refuses
// (vm.swappiness above 200, vm.max_map_count above INT_MAX).
absl::Status set_sysctl(Machine& m, absl::string_view name, uint64_t value);

// ---- queries ----

// The VMA of t's address space that contains addr, or nullptr (the /proc/PID/maps line
// that covers addr).
const Vma* vma_at(const Task& t, uint64_t addr);
// The references to swap entry (type, offset) that swp_swapcount counts (PTEs and forks'
// copies; not the swap cache): what PageInfo::swap_type / swap_offset name.
uint64_t swap_count(const Machine& m, uint32_t type, uint64_t offset);

// ---- what is modelled ----

// Whether madvise(advice) is implemented: valid advice the model does not implement is
// refused by front ends rather than silently ignored.
bool madvise_is_modelled(int advice);

}  // namespace mmsim::control

#endif  // MMSIM_CONTROL_H_
