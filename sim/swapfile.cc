// Model of mm/swapfile.c and mm/swap_state.c (Linux 6.18): swap devices, slot allocation,
// the swap_map counts with SWAP_HAS_CACHE and count continuation, the swap cache, swapon and
// swapoff.
//
// Simplifications (docs/fidelity.md "Swap"): slots are allocated lowest-free-first on the
// chosen device (the kernel's cluster allocator decides within clusters); equal-priority
// devices alternate per allocated slot.
#include <algorithm>
#include <cstring>

#include "mmsim/syscalls.h"
#include "mmsim/trace.h"
#include "sim/internal.h"

namespace mmsim {

namespace {

constexpr uint64_t kSwapMapPage = 4096;  // swap_map bytes per page: continuation granule

SwapInfo* sim_swap_info(Machine& m, SwpEntry e) {
  if (e.type >= m.swap_info.size()) return nullptr;
  return m.swap_info[e.type].get();
}

std::vector<uint8_t>& sim_cont_digits(SwapInfo* si, uint64_t offset) {
  std::vector<uint8_t>& d = si->cont[offset];
  return d;
}

uint64_t sim_cont_depth(const SwapInfo* si, uint64_t offset) {
  uint64_t depth = 0;
  const uint64_t page = offset / kSwapMapPage;
  for (const auto& [o, d] : si->cont) {
    if (o / kSwapMapPage == page) depth = std::max<uint64_t>(depth, d.size());
  }
  return depth;
}

}  // namespace

// mm/swapfile.c swap_count_continued: carry into (or borrow from) the continuation digits.
static bool swap_count_continued(SwapInfo* si, uint64_t offset, uint8_t count) {
  const uint64_t depth = sim_cont_depth(si, offset);
  if (depth == 0) return false;  // need to add count continuation
  std::vector<uint8_t>& d = sim_cont_digits(si, offset);
  if (d.size() < depth) d.resize(depth, 0);
  if (count == SWAP_MAP_MAX) {  // first carry out of swap_map
    d[0] = 1;
    return true;
  }
  if (count == (SWAP_MAP_MAX | COUNT_CONTINUED)) {  // incrementing: add 1 to 999
    uint64_t i = 0;
    while (d[i] == (SWAP_CONT_MAX | COUNT_CONTINUED)) ++i;
    if (d[i] == SWAP_CONT_MAX) {
      ++i;
      if (i == depth) return false;
      d[i] = 0;
    }
    d[i] += 1;
    for (uint64_t j = 0; j < i; ++j) d[j] = COUNT_CONTINUED;
    return true;
  }
  // decrementing: subtract 1 from 1000
  uint64_t i = 0;
  while (d[i] == COUNT_CONTINUED) ++i;
  d[i] -= 1;
  uint8_t c = d[i] == 0 ? 0 : COUNT_CONTINUED;
  for (uint64_t j = i; j-- > 0;) {
    d[j] = SWAP_CONT_MAX | c;
    c = COUNT_CONTINUED;
  }
  return c == COUNT_CONTINUED;
}

// mm/swapfile.c add_swap_count_continuation: give the slot's swap_map page one more
// continuation page if its deepest digit is full.
int add_swap_count_continuation(Machine& m, SwpEntry e) {
  SwapInfo* si = sim_swap_info(m, e);
  if (!si) return -EINVAL;
  const uint8_t count = si->swap_map[e.offset] & ~SWAP_HAS_CACHE;
  if ((count & ~COUNT_CONTINUED) != SWAP_MAP_MAX) return 0;
  const uint64_t depth = sim_cont_depth(si, e.offset);
  std::vector<uint8_t>& d = sim_cont_digits(si, e.offset);
  if (d.size() < depth) d.resize(depth, 0);
  bool continued = count & COUNT_CONTINUED;
  for (uint64_t i = 0; i < depth; ++i) {
    if (!continued) return 0;  // an existing page has room
    if ((d[i] & ~COUNT_CONTINUED) != SWAP_CONT_MAX) return 0;
    continued = d[i] & COUNT_CONTINUED;
  }
  d.push_back(0);
  si->cont_pages++;
  TRACE_NOTE(m.trace, "add_swap_count_continuation: slot %u:%lu gets continuation page %lu", e.type,
             e.offset, d.size());
  return 0;
}

// mm/swapfile.c __swap_duplicate: one more user (usage 1) or the swap cache (SWAP_HAS_CACHE).
int __swap_duplicate(Machine& m, SwpEntry e, uint8_t usage) {
  SwapInfo* si = sim_swap_info(m, e);
  if (!si || e.offset >= si->swap_map.size()) return -EINVAL;
  uint8_t count = si->swap_map[e.offset] & ~SWAP_HAS_CACHE;
  uint8_t has_cache = si->swap_map[e.offset] & SWAP_HAS_CACHE;
  if (count == SWAP_MAP_BAD) return -ENOENT;
  int err = 0;
  if (usage == SWAP_HAS_CACHE) {
    if (!has_cache && count) {
      has_cache = SWAP_HAS_CACHE;
    } else if (has_cache) {
      err = -EEXIST;
    } else {
      err = -ENOENT;
    }
  } else if (count || has_cache) {
    if ((count & ~COUNT_CONTINUED) < SWAP_MAP_MAX) {
      count += usage;
    } else if ((count & ~COUNT_CONTINUED) > SWAP_MAP_MAX) {
      err = -EINVAL;
    } else if (swap_count_continued(si, e.offset, count)) {
      count = COUNT_CONTINUED;
    } else {
      err = -ENOMEM;
    }
  } else {
    err = -ENOENT;
  }
  if (!err) si->swap_map[e.offset] = count | has_cache;
  return err;
}

// mm/swapfile.c swap_duplicate: adds continuation pages as needed.
int swap_duplicate(Machine& m, SwpEntry e) {
  int err = 0;
  while (!err && __swap_duplicate(m, e, 1) == -ENOMEM) err = add_swap_count_continuation(m, e);
  return err;
}

// mm/swapfile.c swp_swapcount: the full user count of a slot.
uint64_t swp_swapcount(Machine& m, SwpEntry e) {
  SwapInfo* si = sim_swap_info(m, e);
  if (!si || e.offset >= si->swap_map.size()) return 0;
  uint8_t count = si->swap_map[e.offset] & ~SWAP_HAS_CACHE;
  if (count == SWAP_MAP_BAD) return 0;
  if (!(count & COUNT_CONTINUED)) return count;
  uint64_t total = count & ~COUNT_CONTINUED;
  uint64_t n = SWAP_MAP_MAX + 1;
  auto it = si->cont.find(e.offset);
  uint8_t tmp;
  uint64_t i = 0;
  do {
    tmp = (it != si->cont.end() && i < it->second.size()) ? it->second[i] : 0;
    total += (tmp & ~COUNT_CONTINUED) * n;
    n *= SWAP_CONT_MAX + 1;
    ++i;
  } while (tmp & COUNT_CONTINUED);
  return total;
}

static void sim_swap_slot_free(Machine& m, SwapInfo* si, uint64_t offset) {
  si->swap_map[offset] = 0;
  si->cont.erase(offset);
  si->shadows.erase(offset);
  si->inuse_pages--;
  (void)m;
}

// mm/swapfile.c swap_entry_put_locked (__swap_entry_free_locked): drop one user or the
// swap-cache flag; the slot is free when neither remains. Returns the remaining usage.
static uint8_t swap_entry_put(Machine& m, SwpEntry e, uint8_t usage) {
  SwapInfo* si = sim_swap_info(m, e);
  uint8_t count = si->swap_map[e.offset] & ~SWAP_HAS_CACHE;
  uint8_t has_cache = si->swap_map[e.offset] & SWAP_HAS_CACHE;
  if (usage == SWAP_HAS_CACHE) {
    has_cache = 0;
  } else if ((count & ~COUNT_CONTINUED) <= SWAP_MAP_MAX) {
    if (count == COUNT_CONTINUED) {
      count = swap_count_continued(si, e.offset, count) ? (SWAP_MAP_MAX | COUNT_CONTINUED)
                                                        : SWAP_MAP_MAX;
    } else {
      count--;
    }
  }
  const uint8_t left = count | has_cache;
  if (left) {
    si->swap_map[e.offset] = left;
  } else {
    sim_swap_slot_free(m, si, e.offset);
    TRACE_NOTE(m.trace, "swap slot %u:%lu is free", e.type, e.offset);
  }
  return left;
}

void swap_free(Machine& m, SwpEntry e) { swap_entry_put(m, e, 1); }

// mm/swap_state.c: the swap cache.
uint32_t swap_cache_get_folio(Machine& m, SwpEntry e) {
  SwapInfo* si = sim_swap_info(m, e);
  if (!si) return 0;
  auto it = si->cache.find(e.offset);
  return it == si->cache.end() ? 0 : it->second;
}

void add_to_swap_cache(Machine& m, uint32_t folio, SwpEntry e) {
  SwapInfo* si = sim_swap_info(m, e);
  si->cache[e.offset] = folio;
  m.folio(folio).flags |= PG_swapcache;
  m.folio_swap[folio] = swp_pack(e);
}

// mm/swap_state.c delete_from_swap_cache + put_swap_folio (swapcache_clear).
void delete_from_swap_cache(Machine& m, uint32_t folio) {
  auto it = m.folio_swap.find(folio);
  if (it == m.folio_swap.end()) return;
  const SwpEntry e = swp_unpack(it->second);
  m.folio_swap.erase(it);
  m.folio(folio).flags &= ~PG_swapcache;
  SwapInfo* si = sim_swap_info(m, e);
  si->cache.erase(e.offset);
  swap_entry_put(m, e, SWAP_HAS_CACHE);
}

// mm/swapfile.c folio_free_swap: drop the swap cache copy if no PTE still uses the slot.
bool folio_free_swap(Machine& m, uint32_t folio) {
  auto it = m.folio_swap.find(folio);
  if (it == m.folio_swap.end()) return false;
  if (swp_swapcount(m, swp_unpack(it->second)) != 0) return false;
  delete_from_swap_cache(m, folio);
  return true;
}

// mm/swapfile.c free_swap_and_cache: a swap PTE goes away (zap); if that was the last user
// and the swap-cache folio is unmapped, it goes too.
void free_swap_and_cache(Machine& m, SwpEntry e) {
  const uint8_t left = swap_entry_put(m, e, 1);
  if (left == SWAP_HAS_CACHE) {
    const uint32_t folio = swap_cache_get_folio(m, e);
    if (folio && m.folio(folio).mapcount == 0) {
      delete_from_swap_cache(m, folio);
      folio_put(m, folio);
    }
  }
}

// mm/swapfile.c folio_alloc_swap → get_swap_pages: a slot on the highest-priority device
// with room (equal priorities take turns), marked SWAP_HAS_CACHE.
bool folio_alloc_swap(Machine& m, SwpEntry* out) {
  SwapInfo* best = nullptr;
  for (auto& si : m.swap_info) {
    if (!si || !si->writeok || si->inuse_pages >= si->pages) continue;
    if (!best || si->prio > best->prio) best = si.get();
  }
  if (!best) return false;
  // Round robin among devices of the best priority: the one after the last used.
  int& last_type = m.swap_rr_last;
  SwapInfo* pick = nullptr;
  for (size_t k = 1; k <= m.swap_info.size(); ++k) {
    const size_t t = (static_cast<size_t>(last_type + 1) + k - 1) % m.swap_info.size();
    SwapInfo* si = m.swap_info[t].get();
    if (si && si->writeok && si->inuse_pages < si->pages && si->prio == best->prio) {
      pick = si;
      break;
    }
  }
  if (!pick) pick = best;
  // The first free slot at or after `next`, wrapping to 1 (memchr: a full device of 64 Ki
  // slots is searched in microseconds, which keeps reclaim benchmarks fast).
  const uint8_t* map = pick->swap_map.data();
  const uint64_t size = pick->swap_map.size();
  const uint64_t from = std::clamp<uint64_t>(pick->next, 1, size);
  const void* hit = std::memchr(map + from, 0, size - from);
  if (!hit && from > 1) hit = std::memchr(map + 1, 0, from - 1);
  if (hit) {
    const uint64_t off = static_cast<uint64_t>(static_cast<const uint8_t*>(hit) - map);
    pick->swap_map[off] = SWAP_HAS_CACHE;
    pick->inuse_pages++;
    pick->next = 1;  // lowest free first (see file comment)
    last_type = pick->type;
    *out = {static_cast<uint32_t>(pick->type), off};
    return true;
  }
  return false;
}

uint64_t nr_swap_pages(const Machine& m) {
  uint64_t n = 0;
  for (const auto& si : m.swap_info) {
    if (si && si->writeok) n += si->pages - si->inuse_pages;
  }
  return n;
}

uint64_t total_swap_pages(const Machine& m) {
  uint64_t n = 0;
  for (const auto& si : m.swap_info) {
    if (si && si->writeok) n += si->pages;
  }
  return n;
}

// The body of sys_swapon (run through sim_syscall below).
static long sim_swapon(Task& t, const std::string& path, int swap_flags) {
  Machine& m = *t.machine;
  TRACE_FN(m.trace, "sys_swapon");
  constexpr int kSwapFlagPrefer = 0x8000, kSwapFlagPrioMask = 0x7fff;
  if (!t.capable(21 /* CAP_SYS_ADMIN */)) return -EPERM;
  if (swap_flags & ~(kSwapFlagPrefer | kSwapFlagPrioMask | 0x10000 | 0x20000 | 0x40000))
    return -EINVAL;
  File* f = m.find_file(path);
  if (!f) return -ENOENT;
  int type = -1, used = 0;
  for (size_t i = 0; i < m.swap_info.size(); ++i) {
    if (!m.swap_info[i]) {
      if (type < 0) type = static_cast<int>(i);
      continue;
    }
    ++used;
    if (m.swap_info[i]->path == path) return -EBUSY;
  }
  if (type < 0) {
    if (used >= MAX_SWAPFILES) return -EPERM;
    type = static_cast<int>(m.swap_info.size());
    m.swap_info.emplace_back();
  }
  const uint64_t slots = f->size >> PAGE_SHIFT;
  if (slots < 2) return -EINVAL;
  auto si = std::make_unique<SwapInfo>();
  si->path = path;
  si->type = type;
  si->prio = (swap_flags & kSwapFlagPrefer) ? (swap_flags & kSwapFlagPrioMask) : --m.least_priority;
  si->swap_map.assign(slots, 0);
  si->swap_map[0] = SWAP_MAP_BAD;  // the header
  si->pages = slots - 1;
  si->writeok = true;
  TRACE_NOTE(m.trace, "swap device %d: %s, %lu slots, priority %d", type, path, si->pages,
             si->prio);
  m.swap_info[type] = std::move(si);
  return 0;
}

long sys_swapon(Task& t, const std::string& path, int swap_flags) {
  return sim_syscall(t, "swapon", [&]() -> long { return sim_swapon(t, path, swap_flags); });
}

// mm/swapfile.c try_to_unuse: bring every page of the device back (unuse_pte), then free
// the swap cache.
static int try_to_unuse(Machine& m, int type) {
  for (const auto& tp : m.tasks()) {
    if (!tp->alive || !tp->mm) continue;
    MmStruct* mm = tp->mm.get();
    std::vector<uint64_t> vpns;
    mm->page_table.for_each([&](uint64_t vpn, Pte& pte) {
      if (pte.kind == Pte::kSwap && swp_unpack(pte.folio).type == static_cast<uint32_t>(type))
        vpns.push_back(vpn);
    });
    for (uint64_t vpn : vpns) {
      Vma* vma = vma_lookup(mm, vpn << PAGE_SHIFT);
      const Pte* pte = mm->page_table.find(vpn);
      if (!vma || !pte || pte->kind != Pte::kSwap) continue;  // done by an earlier unuse
      if (int err = do_swap_page(*tp, vma, vpn << PAGE_SHIFT, 0)) return err;
    }
  }
  SwapInfo* si = m.swap_info[type].get();
  std::vector<uint32_t> cached;
  for (auto& [off, folio] : si->cache) cached.push_back(folio);
  for (uint32_t folio : cached) {
    delete_from_swap_cache(m, folio);
    folio_put(m, folio);
  }
  return si->inuse_pages ? -EBUSY : 0;
}

// The body of sys_swapoff (run through sim_syscall below).
static long sim_swapoff(Task& t, const std::string& path) {
  Machine& m = *t.machine;
  TRACE_FN(m.trace, "sys_swapoff");
  if (!t.capable(21 /* CAP_SYS_ADMIN */)) return -EPERM;
  int type = -1;
  for (size_t i = 0; i < m.swap_info.size(); ++i) {
    if (m.swap_info[i] && m.swap_info[i]->path == path) type = static_cast<int>(i);
  }
  if (type < 0) return -EINVAL;
  SwapInfo* si = m.swap_info[type].get();
  si->writeok = false;  // no new allocations while it drains
  if (int err = try_to_unuse(m, type)) {
    si->writeok = true;
    return err;
  }
  // Automatic priorities are handed back so the next swapon reuses them.
  if (si->prio < 0 && si->prio == m.least_priority) m.least_priority++;
  m.swap_info[type].reset();
  return 0;
}

long sys_swapoff(Task& t, const std::string& path) {
  return sim_syscall(t, "swapoff", [&]() -> long { return sim_swapoff(t, path); });
}

}  // namespace mmsim
