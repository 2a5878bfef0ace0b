// Model of mm/vma.c (Linux 6.18): VMA look-up, merging of new and existing ranges, splitting,
// and munmap. The case analysis follows vma_merge_existing_range / vma_merge_new_range; the
// maple tree is an absl::btree_set of slots keyed by vm_end (include/mmsim/mm_types.h VmaTree).
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <iterator>

#include "mmsim/trace.h"
#include "sim/internal.h"

namespace mmsim {

namespace {

// Helper without a kernel twin: moves a VMA's range. A new end stays between the
// neighbours' ends, so the tree slot keeps its place and only its key changes; a new start
// needs nothing (the tree is keyed by vm_end, as the maple tree's pivots are range ends).
void sim_vma_set_range(MmStruct* mm, Vma* vma, uint64_t start, uint64_t end, pgoff_t pgoff) {
  vma->vm_start = start;
  if (end != vma->vm_end) vma_tree_set_end(mm, vma, end);
  vma->vm_pgoff = pgoff;
  i_mmap_changed(vma);
}

std::string sim_range(uint64_t s, uint64_t e) { return absl::StrFormat("[%#x, %#x)", s, e); }

// Remembers a slot (not end()) as the cursor for the next vma_tree_slot.
VmaTree::iterator sim_tree_remember(MmStruct* mm, VmaTree::iterator it) {
  mm->mt_cursor = it;
  mm->mt_cursor_gen = mm->mm_mt_gen;
  return it;
}

// The tree slot of a VMA of mm: the cursor or one of its neighbours when it is still valid,
// else a search by the VMA's end.
VmaTree::iterator vma_tree_slot(MmStruct* mm, const Vma* vma) {
  if (mm->mt_cursor_gen == mm->mm_mt_gen) {
    auto it = mm->mt_cursor;
    if (it->second.get() == vma) return it;
    if (it != mm->mm_mt.begin() && std::prev(it)->second.get() == vma) {
      return sim_tree_remember(mm, std::prev(it));
    }
    if (++it != mm->mm_mt.end() && it->second.get() == vma) return sim_tree_remember(mm, it);
  }
  auto it = mm->mm_mt.find(vma->vm_end);
  if (it == mm->mm_mt.end()) {
    // A VMA that is in no tree: a broken invariant; fail here rather than corrupt the tree.
    std::fprintf(stderr, "mmsim: VMA [%#lx, %#lx) is not in its mm's tree\n", vma->vm_start,
                 vma->vm_end);
    std::abort();
  }
  return sim_tree_remember(mm, it);
}

// Inserts a slot before `hint` (the slot that will follow it); returns it.
VmaTree::iterator vma_tree_insert(MmStruct* mm, VmaTree::iterator hint, uint64_t end,
                                  std::unique_ptr<Vma> vma) {
  auto it = mm->mm_mt.emplace_hint(hint, end, std::move(vma));
  ++mm->mm_mt_gen;
  return sim_tree_remember(mm, it);
}

void vma_tree_erase(MmStruct* mm, const Vma* vma) {
  auto next = mm->mm_mt.erase(vma_tree_slot(mm, vma));
  ++mm->mm_mt_gen;
  if (next != mm->mm_mt.end()) sim_tree_remember(mm, next);
}

// The cursor's VMA if it contains addr (the look-ups a syscall repeats are inside the VMA it
// last found or changed, as the kernel's mm->mmap_cache before 3.15 assumed), else nullptr.
Vma* sim_cursor_vma(MmStruct* mm, uint64_t addr) {
  if (mm->mt_cursor_gen != mm->mm_mt_gen) return nullptr;
  Vma* v = mm->mt_cursor->second.get();
  return v->vm_start <= addr && addr < v->vm_end ? v : nullptr;
}

}  // namespace

void vma_tree_set_end(MmStruct* mm, Vma* vma, uint64_t end) {
  vma_tree_slot(mm, vma)->first = end;
  vma->vm_end = end;
}

// mm/mmap.c find_vma: the first VMA ending above addr, which is one tree search with the
// tree keyed by vm_end.
Vma* find_vma(MmStruct* mm, uint64_t addr) {
  if (Vma* v = sim_cursor_vma(mm, addr)) return v;
  auto it = mm->mm_mt.upper_bound(addr);
  if (it == mm->mm_mt.end()) return nullptr;
  Vma* v = it->second.get();
  sim_tree_remember(mm, it);
  // The callers go on to the VMA and, to merge, to its neighbours, whose addresses are in
  // the same tree node: start all three loads now rather than one after the other.
  __builtin_prefetch(v);
  if (it != mm->mm_mt.begin()) __builtin_prefetch(std::prev(it)->second.get());
  if (++it != mm->mm_mt.end()) __builtin_prefetch(it->second.get());
  return v;
}

Vma* vma_lookup(MmStruct* mm, uint64_t addr) {
  Vma* v = find_vma(mm, addr);
  return (v && v->vm_start <= addr) ? v : nullptr;
}

Vma* find_vma_intersection(MmStruct* mm, uint64_t start, uint64_t end) {
  Vma* v = find_vma(mm, start);
  return (v && v->vm_start < end) ? v : nullptr;
}

Vma* vma_prev(MmStruct* mm, const Vma* vma) { return vma->vm_prev; }

Vma* vma_next(MmStruct* mm, const Vma* vma) { return vma->vm_next; }

Vma* find_vma_prev(MmStruct* mm, uint64_t addr, Vma** pprev) {
  Vma* v = find_vma(mm, addr);
  if (v) {
    *pprev = v->vm_prev;
  } else {
    *pprev = mm->mm_mt.empty() ? nullptr : std::prev(mm->mm_mt.end())->second.get();
  }
  return v;
}

bool vma_had_uncowed_parents(const Vma* vma) {
  return vma && vma->anon_vma && vma->anon_vma_chain.size() > 1;
}

// mm/vma.c is_mergeable_vma: everything but VM_SOFTDIRTY, file, policy, uffd and name.
static bool is_mergeable_vma(Machine& m, const VmaMergeStruct& vmg, bool merge_next) {
  const Vma* vma = merge_next ? vmg.next : vmg.prev;
  if (vmg.policy != vma->vm_policy) {
    TRACE_NOTE(m.trace, "%s: mempolicy differs", merge_next ? "next" : "prev");
    return false;
  }
  if ((vma->vm_flags ^ vmg.vm_flags) & ~VM_SOFTDIRTY) {
    TRACE_NOTE(m.trace, "%s: flags differ (%#x vs %#x)", merge_next ? "next" : "prev",
               vma->vm_flags & ~VM_SOFTDIRTY, vmg.vm_flags & ~VM_SOFTDIRTY);
    return false;
  }
  if (vma->vm_file != vmg.file) {
    TRACE_NOTE(m.trace, "%s: different file", merge_next ? "next" : "prev");
    return false;
  }
  if (vma->uffd_ctx != vmg.uffd_ctx) {
    TRACE_NOTE(m.trace, "%s: userfaultfd context differs", merge_next ? "next" : "prev");
    return false;
  }
  const bool names_equal = (!vma->anon_name && !vmg.anon_name) ||
                           (vma->anon_name && vmg.anon_name && *vma->anon_name == *vmg.anon_name);
  if (!names_equal) {
    TRACE_NOTE(m.trace, "%s: anon name differs", merge_next ? "next" : "prev");
    return false;
  }
  return true;
}

// mm/vma.c is_mergeable_anon_vma (6.16+ form).
static bool is_mergeable_anon_vma(Machine& m, const VmaMergeStruct& vmg, bool merge_next) {
  const Vma* tgt = merge_next ? vmg.next : vmg.prev;
  const Vma* src = vmg.middle;
  AnonVma* tgt_anon = tgt->anon_vma;
  AnonVma* src_anon = vmg.anon_vma;
  bool ok;
  if (!tgt_anon && src_anon) {
    ok = !vma_had_uncowed_parents(src);
  } else if (tgt_anon && !src_anon) {
    ok = !vma_had_uncowed_parents(tgt);
  } else {
    ok = src_anon == tgt_anon;
  }
  if (!ok) {
    TRACE_NOTE(m.trace, "%s: anon_vma incompatible (%s)", merge_next ? "next" : "prev",
               (tgt_anon && src_anon) ? "different anon_vmas" : "VMA forked with uncowed parents");
  }
  return ok;
}

// mm/vma.c can_vma_merge_before: the range can become the head of next.
static bool can_vma_merge_before(Machine& m, const VmaMergeStruct& vmg) {
  pgoff_t pglen = PHYS_PFN(vmg.end - vmg.start);
  if (is_mergeable_vma(m, vmg, true) && is_mergeable_anon_vma(m, vmg, true)) {
    if (vmg.next->vm_pgoff == vmg.pgoff + pglen) return true;
    TRACE_NOTE(m.trace, "next: vm_pgoff not contiguous");
  }
  return false;
}

// mm/vma.c can_vma_merge_after: the range can become the tail of prev.
static bool can_vma_merge_after(Machine& m, const VmaMergeStruct& vmg) {
  if (is_mergeable_vma(m, vmg, false) && is_mergeable_anon_vma(m, vmg, false)) {
    if (vmg.prev->vm_pgoff + vmg.prev->pages() == vmg.pgoff) return true;
    TRACE_NOTE(m.trace, "prev: vm_pgoff not contiguous");
  }
  return false;
}

static bool can_vma_merge_left(Machine& m, const VmaMergeStruct& vmg) {
  return vmg.prev && vmg.prev->vm_end == vmg.start && can_vma_merge_after(m, vmg);
}

static bool can_vma_merge_right(Machine& m, const VmaMergeStruct& vmg, bool can_merge_left) {
  Vma* next = vmg.next;
  if (!next || vmg.end != next->vm_start || !can_vma_merge_before(m, vmg)) return false;
  if (!can_merge_left) return true;
  // Merging both sides: prev and next must also agree with each other.
  Vma* prev = vmg.prev;
  bool ok = !prev->anon_vma || !next->anon_vma || prev->anon_vma == next->anon_vma;
  if (!ok) TRACE_NOTE(m.trace, "prev and next have different anon_vmas");
  return ok;
}

// mm/vma.c can_merge_remove_vma: a VMA with vm_ops->close cannot be deleted by a merge.
static bool can_merge_remove_vma(const Vma* vma) { return !vma->has_close_op; }

// mm/vma.c dup_anon_vma: an unfaulted destination adopts the source's anon_vma.
static void dup_anon_vma(Machine& m, Vma* dst, Vma* src) {
  if (src->anon_vma && !dst->anon_vma) {
    dst->anon_vma = src->anon_vma;
    anon_vma_clone(m, dst, src);
  }
}

// Deletes a VMA absorbed by a merge (vma_complete's removal + remove_vma).
static void sim_merge_remove(Machine& m, MmStruct* mm, Vma* vma) {
  TRACE_NOTE(m.trace, "VMA %s removed by the merge", sim_range(vma->vm_start, vma->vm_end));
  remove_vma(m, mm, vma);
}

VmaMergeStruct vmg_vma_state(MmStruct* mm, Vma* prev, Vma* vma, uint64_t start, uint64_t end) {
  VmaMergeStruct vmg;
  vmg.mm = mm;
  vmg.prev = prev;
  vmg.middle = vma;
  vmg.start = start;
  vmg.end = end;
  vmg.vm_flags = vma->vm_flags;
  vmg.file = vma->vm_file;
  vmg.anon_vma = vma->anon_vma;
  vmg.policy = vma->vm_policy;
  vmg.uffd_ctx = vma->uffd_ctx;
  vmg.anon_name = vma->anon_name;
  vmg.pgoff = vma->vm_pgoff + PHYS_PFN(start - vma->vm_start);
  return vmg;
}

// mm/vma.c vmg_adjust_set_range: the VMA that keeps its end but not its start (middle,
// shrinking from below, or next, growing down) now starts at vmg.end.
static void vmg_adjust_set_range(VmaMergeStruct& vmg) {
  Vma* adjust;
  pgoff_t pgoff;
  if (vmg.__adjust_middle_start) {
    adjust = vmg.middle;
    pgoff = adjust->vm_pgoff + PHYS_PFN(vmg.end - adjust->vm_start);
  } else if (vmg.__adjust_next_start) {
    adjust = vmg.next;
    pgoff = adjust->vm_pgoff - PHYS_PFN(adjust->vm_start - vmg.end);
  } else {
    return;
  }
  sim_vma_set_range(vmg.mm, adjust, vmg.end, adjust->vm_end, pgoff);
}

// mm/vma.c commit_merge: carries out the plan of vma_merge_existing_range. The kernel stores
// the target's new range over the removed VMAs in one maple-tree write; here the tree is
// keyed by vm_end, so the removed VMAs leave it first (vma_complete), then the target (or,
// when next grows down, middle) takes its range [vmg.start, vmg.end) and the adjusted VMA
// its new start.
static void commit_merge(Machine& m, VmaMergeStruct& vmg) {
  MmStruct* mm = vmg.mm;
  if (vmg.__remove_middle) sim_merge_remove(m, mm, vmg.middle);
  if (vmg.__remove_next) sim_merge_remove(m, mm, vmg.next);
  Vma* vma = vmg.__adjust_next_start ? vmg.middle : vmg.target;
  sim_vma_set_range(mm, vma, vmg.start, vmg.end, vmg.pgoff);
  vmg_adjust_set_range(vmg);
  mm->map_count = static_cast<int>(mm->mm_mt.size());
  // The cursor ends on the target, as the kernel's vmi does. Only next growing down leaves it
  // elsewhere: on middle, just re-keyed, whose slot next's follows.
  if (vmg.__adjust_next_start) sim_tree_remember(mm, std::next(mm->mt_cursor));
}

// mm/vma.c vma_merge_existing_range: [start, end) inside `middle` is about to take new
// attributes; merge it into prev and/or next if they would be identical. It plans (which
// VMAs survive, the target's new range, which VMAs go, whose start moves) in vmg, then
// commit_merge carries the plan out.
Vma* vma_merge_existing_range(Machine& m, VmaMergeStruct& vmg) {
  TRACE_FN(m.trace, "vma_merge_existing_range");
  MmStruct* mm = vmg.mm;
  Vma* middle = vmg.middle;
  Vma* prev = vmg.prev;
  const uint64_t start = vmg.start, end = vmg.end;
  const bool left_side = start == middle->vm_start;
  const bool right_side = end == middle->vm_end;

  vmg.state = VmaMergeStruct::VMA_MERGE_NOMERGE;
  if ((vmg.vm_flags & VM_SPECIAL) || (!left_side && !right_side)) {
    TRACE_NOTE(m.trace, "no merge possible: %s",
               (vmg.vm_flags & VM_SPECIAL) ? "VM_SPECIAL" : "range is strictly inside the VMA");
    return nullptr;
  }
  // In the kernel prev is middle itself when the range starts inside middle.
  if (prev == middle) prev = vmg.prev = nullptr;

  bool merge_left = left_side && can_vma_merge_left(m, vmg);
  Vma* next = nullptr;
  bool merge_right = false;
  if (right_side) {
    next = vmg.next = vma_next(mm, middle);
    merge_right = can_vma_merge_right(m, vmg, merge_left);
  }
  if (!merge_left && !merge_right) {
    TRACE_NOTE(m.trace, "neither prev nor next can absorb %s", sim_range(start, end));
    return nullptr;
  }
  bool merge_both = merge_left && merge_right;
  // Spanning all of middle, a merge deletes it.
  vmg.__remove_middle = left_side && right_side;
  if (vmg.__remove_middle && !can_merge_remove_vma(middle)) {
    TRACE_NOTE(m.trace, "middle has vm_ops->close and cannot be removed: no merge");
    return nullptr;
  }
  vmg.__remove_next = merge_both;
  if (vmg.__remove_next && !can_merge_remove_vma(next)) {
    TRACE_NOTE(m.trace, "next has vm_ops->close: merging prev only");
    vmg.__remove_next = merge_right = merge_both = false;
  }
  if (merge_right) vmg.target = next;
  if (merge_left) vmg.target = prev;

  if (merge_both) {
    // PPP***NNN -> PPPPPPPPP: prev extends over middle (*) and next, which go.
    TRACE_NOTE(m.trace, "merge prev+middle+next: prev grows to %s",
               sim_range(prev->vm_start, next->vm_end));
    vmg.start = prev->vm_start;
    vmg.end = next->vm_end;
    vmg.pgoff = prev->vm_pgoff;
    dup_anon_vma(m, prev, next->anon_vma ? next : middle);
  } else if (merge_left) {
    // PPP***MM -> PPPPPPMM (middle shrinks) or PPP*** -> PPPPPP (middle goes).
    if (vmg.__remove_middle) {
      TRACE_NOTE(m.trace, "merge left: prev grows over the whole middle to %s",
                 sim_range(prev->vm_start, end));
    } else {
      TRACE_NOTE(m.trace, "merge left: prev grows to %s, middle shrinks to %s",
                 sim_range(prev->vm_start, end), sim_range(end, middle->vm_end));
      vmg.__adjust_middle_start = true;
    }
    vmg.start = prev->vm_start;
    vmg.pgoff = prev->vm_pgoff;
    dup_anon_vma(m, prev, middle);
  } else {
    // MM***NNN -> MMNNNNNN (middle shrinks, next grows down) or ***NNN -> NNNNNN (middle
    // goes).
    const pgoff_t pglen = PHYS_PFN(end - start);
    if (vmg.__remove_middle) {
      TRACE_NOTE(m.trace, "merge right: next grows down over the whole middle to %s",
                 sim_range(start, next->vm_end));
      vmg.end = next->vm_end;
      vmg.pgoff = next->vm_pgoff - pglen;
    } else {
      TRACE_NOTE(m.trace, "merge right: middle shrinks to %s, next grows down to %s",
                 sim_range(middle->vm_start, start), sim_range(start, next->vm_end));
      vmg.__adjust_next_start = true;
      vmg.start = middle->vm_start;
      vmg.end = start;
      vmg.pgoff = middle->vm_pgoff;
    }
    dup_anon_vma(m, next, middle);
  }
  commit_merge(m, vmg);
  vmg.state = VmaMergeStruct::VMA_MERGE_SUCCESS;
  return vmg.target;
}

// mm/vma.c vma_merge_new_range: a new range [start, end) in a gap; expand prev and/or next
// over it instead of creating a VMA.
Vma* vma_merge_new_range(Machine& m, VmaMergeStruct& vmg) {
  TRACE_FN(m.trace, "vma_merge_new_range");
  MmStruct* mm = vmg.mm;
  Vma* prev = vmg.prev;
  Vma* next = vmg.next;
  const uint64_t end = vmg.end;
  vmg.state = VmaMergeStruct::VMA_MERGE_NOMERGE;
  if ((vmg.vm_flags & VM_SPECIAL) || (!prev && !next)) {
    TRACE_NOTE(m.trace, "no merge: %s",
               (vmg.vm_flags & VM_SPECIAL) ? "VM_SPECIAL" : "no neighbours");
    return nullptr;
  }
  const bool can_merge_left = can_vma_merge_left(m, vmg);
  const bool can_merge_right = !vmg.just_expand && can_vma_merge_right(m, vmg, can_merge_left);
  if (!can_merge_left && !can_merge_right) {
    TRACE_NOTE(m.trace, "no neighbour can absorb %s", sim_range(vmg.start, end));
    return nullptr;
  }
  // vma_expand: grow the surviving VMA; a fully absorbed next is removed.
  if (can_merge_left) {
    uint64_t new_end = end;
    if (can_merge_right && can_merge_remove_vma(next)) {
      new_end = next->vm_end;
      TRACE_NOTE(m.trace, "merge: prev grows over the new range and next, to %s",
                 sim_range(prev->vm_start, new_end));
      dup_anon_vma(m, prev, next);
      remove_vma(m, mm, next);
    } else {
      TRACE_NOTE(m.trace, "merge: prev grows over the new range, to %s",
                 sim_range(prev->vm_start, new_end));
    }
    vma_tree_set_end(mm, prev, new_end);
    i_mmap_changed(prev);
    vmg.target = prev;
  } else {
    TRACE_NOTE(m.trace, "merge: next grows down over the new range, to %s",
               sim_range(vmg.start, next->vm_end));
    sim_vma_set_range(mm, next, vmg.start, next->vm_end, vmg.pgoff);
    vmg.target = next;
  }
  mm->map_count = static_cast<int>(mm->mm_mt.size());
  vmg.state = VmaMergeStruct::VMA_MERGE_SUCCESS;
  return vmg.target;
}

int __split_vma(Machine& m, MmStruct* mm, Vma* vma, uint64_t addr, bool new_below) {
  TRACE_FN(m.trace, "__split_vma");
  // vm_ops->may_split: special mappings (vdso, vvar) refuse.
  if (vma->special_name) {
    TRACE_NOTE(m.trace, "%s refuses to split", vma->special_name);
    return -EINVAL;
  }
  auto nv = std::make_unique<Vma>(*vma);  // vm_area_dup
  nv->anon_vma_chain.clear();
  if (new_below) {
    nv->vm_end = addr;
  } else {
    nv->vm_start = addr;
    nv->vm_pgoff += PHYS_PFN(addr - vma->vm_start);
  }
  Vma* n = nv.get();
  if (vma->anon_vma) anon_vma_clone(m, n, vma);
  if (n->vm_file) n->vm_file->i_mmap.insert(n);
  i_mmap_changed(n);
  // The new VMA joins the address-ordered list right below or right above vma.
  n->vm_prev = new_below ? vma->vm_prev : vma;
  n->vm_next = new_below ? vma : vma->vm_next;
  if (n->vm_prev) n->vm_prev->vm_next = n;
  if (n->vm_next) n->vm_next->vm_prev = n;
  if (new_below) {
    // vma keeps its slot (its end does not move); the lower part goes right before it.
    vma->vm_pgoff += PHYS_PFN(addr - n->vm_start);
    vma->vm_start = addr;
    i_mmap_changed(vma);
    // The cursor stays on vma, as the kernel's iterator does (vma_next after the store).
    sim_tree_remember(mm,
                      std::next(vma_tree_insert(mm, vma_tree_slot(mm, vma), addr, std::move(nv))));
  } else {
    // The upper part takes over vma's slot (same vm_end); vma, now ending at addr, goes
    // right before it: one tree search and an insertion at a known place.
    auto it = vma_tree_slot(mm, vma);
    std::unique_ptr<Vma> owned = std::move(it->second);
    it->second = std::move(nv);
    vma->vm_end = addr;
    i_mmap_changed(vma);
    vma_tree_insert(mm, it, addr, std::move(owned));
  }
  mm->map_count++;
  TRACE_NOTE(m.trace, "split at %#x: %s and %s", addr,
             sim_range(new_below ? n->vm_start : vma->vm_start, addr),
             sim_range(addr, new_below ? vma->vm_end : n->vm_end));
  return 0;
}

int split_vma(Machine& m, MmStruct* mm, Vma* vma, uint64_t addr, bool new_below) {
  TRACE_FN(m.trace, "split_vma");
  if (mm->map_count >= m.max_map_count()) {
    TRACE_NOTE(m.trace, "map_count %d >= max_map_count %d: ENOMEM", mm->map_count,
               m.max_map_count());
    return -ENOMEM;
  }
  return __split_vma(m, mm, vma, addr, new_below);
}

// mm/vma.c vma_modify: merge if possible, else split off what lies outside [start, end).
static VmaOrErr vma_modify(Machine& m, VmaMergeStruct& vmg) {
  TRACE_FN(m.trace, "vma_modify");
  Vma* vma = vmg.middle;
  const uint64_t start = vmg.start, end = vmg.end;
  if (Vma* merged = vma_merge_existing_range(m, vmg)) return {merged, 0};
  if (vma->vm_start < start) {
    if (int err = split_vma(m, vmg.mm, vma, start, true)) return {nullptr, err};
  }
  if (vma->vm_end > end) {
    if (int err = split_vma(m, vmg.mm, vma, end, false)) return {nullptr, err};
  }
  return {vma, 0};
}

VmaOrErr vma_modify_flags(Machine& m, MmStruct* mm, Vma* prev, Vma* vma, uint64_t start,
                          uint64_t end, vm_flags_t new_flags) {
  TRACE_FN(m.trace, "vma_modify_flags");
  VmaMergeStruct vmg = vmg_vma_state(mm, prev, vma, start, end);
  vmg.vm_flags = new_flags;
  return vma_modify(m, vmg);
}

VmaOrErr vma_modify_flags_name(Machine& m, MmStruct* mm, Vma* prev, Vma* vma, uint64_t start,
                               uint64_t end, vm_flags_t new_flags, AnonVmaName name) {
  TRACE_FN(m.trace, "vma_modify_flags_name");
  VmaMergeStruct vmg = vmg_vma_state(mm, prev, vma, start, end);
  vmg.vm_flags = new_flags;
  vmg.anon_name = std::move(name);
  return vma_modify(m, vmg);
}

Vma* vma_link(Machine& m, MmStruct* mm, std::unique_ptr<Vma> vma) {
  (void)m;
  Vma* v = vma.get();
  v->vm_mm = mm;
  if (v->vm_file) v->vm_file->i_mmap.insert(v);
  i_mmap_changed(v);
  auto it = vma_tree_insert(mm, mm->mm_mt.upper_bound(v->vm_end), v->vm_end, std::move(vma));
  v->vm_prev = it == mm->mm_mt.begin() ? nullptr : std::prev(it)->second.get();
  ++it;
  v->vm_next = it == mm->mm_mt.end() ? nullptr : it->second.get();
  if (v->vm_prev) v->vm_prev->vm_next = v;
  if (v->vm_next) v->vm_next->vm_prev = v;
  mm->map_count++;
  return v;
}

void remove_vma(Machine& m, MmStruct* mm, Vma* vma) {
  unlink_anon_vmas(m, vma);
  if (vma->vm_file) vma->vm_file->i_mmap.erase(vma);
  i_mmap_changed(vma);
  if (vma->vm_prev) vma->vm_prev->vm_next = vma->vm_next;
  if (vma->vm_next) vma->vm_next->vm_prev = vma->vm_prev;
  vma_tree_erase(mm, vma);
  mm->map_count--;
}

// mm/vma.c do_vmi_munmap → do_vmi_align_munmap → vms_gather_munmap_vmas /
// vms_complete_munmap_vmas.
int do_vmi_munmap(Machine& m, MmStruct* mm, uint64_t start, uint64_t len) {
  TRACE_FN(m.trace, "do_vmi_munmap");
  if (offset_in_page(start) || start > TASK_SIZE || len > TASK_SIZE - start) return -EINVAL;
  const uint64_t end = start + PAGE_ALIGN(len);
  if (end == start) return -EINVAL;
  Vma* vma = find_vma_intersection(mm, start, end);
  if (!vma) {
    TRACE_NOTE(m.trace, "nothing mapped in %s", sim_range(start, end));
    return 0;
  }
  if (start > vma->vm_start) {
    // Punching a hole in one VMA needs a new one: refuse at the limit.
    if (end < vma->vm_end && mm->map_count >= m.max_map_count()) {
      TRACE_NOTE(m.trace, "hole inside one VMA at map_count %d >= max %d: ENOMEM", mm->map_count,
                 m.max_map_count());
      return -ENOMEM;
    }
    if (vma->vm_flags & VM_SEALED) return -EPERM;
    if (int err = __split_vma(m, mm, vma, start, true)) return err;
  }
  // Gather: split the last one, then take every VMA in range.
  absl::InlinedVector<Vma*, 8> victims;
  VMA_ITERATOR(vmi, mm, start);
  Vma* next;
  for_each_vma_range(vmi, next, end) {
    if (next->vm_flags & VM_SEALED) return -EPERM;
    if (next->vm_end > end) {
      if (int err = __split_vma(m, mm, next, end, false)) return err;
      sim_vma_iter_on(&vmi, next);
    }
    victims.push_back(next);
  }
  for (Vma* v : victims) {
    const uint64_t np = v->pages();
    if (v->vm_flags & VM_LOCKED) mm->locked_vm -= np;
    TRACE_NOTE(m.trace, "unmap %s%s", sim_range(v->vm_start, v->vm_end),
               (v->vm_flags & VM_LOCKED) ? " (locked: locked_vm -= its pages)" : "");
    zap_page_range_single(m, v, v->vm_start, v->vm_end);
    vm_stat_account(mm, v->vm_flags, -static_cast<int64_t>(np));
    remove_vma(m, mm, v);
  }
  return 0;
}

}  // namespace mmsim
