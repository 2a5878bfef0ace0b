// The control surface (include/mmsim/control.h): operations front ends perform on a Machine
// from outside, built from the model's own functions. Nothing here models a kernel function.
#include "mmsim/control.h"

#include <algorithm>
#include <climits>

#include "absl/strings/str_cat.h"
#include "sim/internal.h"

namespace mmsim::control {
namespace {

const FolioBatch& batch_of(const CpuFbatches& fb, Batch b) {
  switch (b) {
    case Batch::kLruAdd:
      return fb.lru_add;
    case Batch::kLruDeactivate:
      return fb.lru_deactivate;
    case Batch::kLruActivate:
      return fb.lru_activate;
    case Batch::kMlock:
      break;
  }
  return fb.mlock;
}

// The first n entries of batch b, taken out (the rest move to the front).
FolioBatch take_head(FolioBatch& b, int n) {
  FolioBatch head;
  head.nr = static_cast<uint8_t>(n);
  for (int i = 0; i < n; ++i) {
    head.folios[i] = b.folios[i];
    head.tags[i] = b.tags[i];
  }
  for (int i = n; i < b.nr; ++i) {
    b.folios[i - n] = b.folios[i];
    b.tags[i - n] = b.tags[i];
  }
  b.nr = static_cast<uint8_t>(b.nr - n);
  return head;
}

}  // namespace

int nr_cpus(const Machine& m) { return static_cast<int>(m.cpu_fbatches.size()); }

std::vector<BatchEntry> batch_contents(const Machine& m, int cpu, Batch b) {
  const FolioBatch& fb = batch_of(m.cpu_fbatches[cpu], b);
  std::vector<BatchEntry> out;
  out.reserve(fb.nr);
  for (int i = 0; i < fb.nr; ++i) {
    BatchOp op = BatchOp::kMove;
    if (b == Batch::kMlock) {
      op = fb.tags[i] == kMlockLruFolio   ? BatchOp::kMlock
           : fb.tags[i] == kMlockNewFolio ? BatchOp::kMlockNew
                                          : BatchOp::kMunlock;
    }
    out.push_back({fb.folios[i], op});
  }
  return out;
}

void drain_local_batches(Machine& m) { lru_add_drain(m); }

void drain_all_batches(Machine& m) { lru_add_drain_all(m); }

absl::Status drain_batch_head(Machine& m, int cpu, Batch b, int n) {
  if (b != Batch::kLruAdd && b != Batch::kMlock) {
    return absl::InvalidArgumentError("only the lru_add and mlock batches drain by head");
  }
  if (cpu < 0 || cpu >= static_cast<int>(m.cpu_fbatches.size())) {
    return absl::OutOfRangeError(absl::StrCat("no CPU ", cpu));
  }
  CpuFbatches& fb = m.cpu_fbatches[cpu];
  FolioBatch& batch = b == Batch::kLruAdd ? fb.lru_add : fb.mlock;
  n = std::min<int>(n, batch.nr);
  if (n <= 0) return absl::OkStatus();
  const int saved = m.cpu;
  m.cpu = cpu;
  FolioBatch head = take_head(batch, n);
  if (b == Batch::kLruAdd) {
    sim_drain_lru_add(m, head);
  } else {
    mlock_folio_batch(m, head);
  }
  m.cpu = saved;
  return absl::OkStatus();
}

uint64_t reclaim(Machine& m, uint64_t nr_pages, bool kswapd) {
  return try_to_free_pages(m, nr_pages, kswapd);
}

// workingset_refault's activation branch applied after the fact. No pgactivate: the
// kernel's refault activation sets PG_active before the folio reaches the LRU.
void activate_as_refault(Machine& m, uint32_t folio) {
  Folio& f = m.folio(folio);
  if (f.flags & (PG_active | PG_unevictable)) return;
  const bool on_lru = f.flags & PG_lru;
  if (on_lru) lruvec_del_folio(m, folio);
  f.flags |= PG_active;
  if (on_lru) lruvec_add_folio(m, folio);
  workingset_age_nonresident(m, 1);
  m.vmstat[(f.flags & PG_swapbacked) ? workingset_activate_anon : workingset_activate_file]++;
}

const std::vector<absl::string_view>& modelled_sysctls() {
  static const std::vector<absl::string_view> kSysctls = {"vm.max_map_count", "vm.swappiness"};
  return kSysctls;
}

absl::Status set_sysctl(Machine& m, absl::string_view name, uint64_t value) {
  if (name == "vm.max_map_count") {
    if (value > INT_MAX) return absl::OutOfRangeError("vm.max_map_count: 0 to 2147483647");
    m.set_max_map_count(static_cast<int>(value));
    return absl::OkStatus();
  }
  if (name == "vm.swappiness") {
    if (value > 200) return absl::OutOfRangeError("vm.swappiness: 0 to 200");
    m.swappiness = static_cast<int>(value);
    return absl::OkStatus();
  }
  return absl::NotFoundError(absl::StrCat("the model has no sysctl ", name));
}

const Vma* vma_at(const Task& t, uint64_t addr) { return vma_lookup(t.mm.get(), addr); }

uint64_t swap_count(const Machine& m, uint32_t type, uint64_t offset) {
  return swp_swapcount(const_cast<Machine&>(m), SwpEntry{type, offset});  // only reads
}

bool madvise_is_modelled(int advice) { return sim_madvise_is_modelled(advice); }

}  // namespace mmsim::control
