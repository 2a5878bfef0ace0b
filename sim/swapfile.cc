// Model of mm/swapfile.c and mm/swap_state.c (Linux 6.18): swap devices, the cluster slot
// allocator, the swap_map counts with SWAP_HAS_CACHE and count continuation, the swap cache,
// swapon and swapoff.
//
// Simplifications (docs/fidelity.md "Swap"): order-0 slots only; no discard; the reclaim
// worker that swap_range_alloc schedules when a device fills is not run.
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

// ---- clusters (mm/swapfile.c) ----
namespace {

using ClusterFlag = SwapClusterInfo::Flag;

SwapClusterInfo& sim_cluster(SwapInfo* si, uint64_t offset) {
  return si->cluster_info[offset / SWAPFILE_CLUSTER];
}
uint32_t cluster_index(const SwapInfo* si, const SwapClusterInfo& ci) {
  return static_cast<uint32_t>(&ci - si->cluster_info.data());
}
uint64_t cluster_offset(const SwapInfo* si, const SwapClusterInfo& ci) {
  return uint64_t{cluster_index(si, ci)} * SWAPFILE_CLUSTER;
}
bool cluster_is_empty(const SwapClusterInfo& ci) { return ci.count == 0; }
// Order 0: any cluster on no list or on the free, nonfull or frag list.
bool cluster_is_usable(const SwapClusterInfo& ci) {
  return ci.flags <= SwapClusterInfo::CLUSTER_FLAG_FRAG;
}

SwapClusterList* sim_cluster_list(SwapInfo* si, ClusterFlag flag) {
  switch (flag) {
    case SwapClusterInfo::CLUSTER_FLAG_FREE:
      return &si->free_clusters;
    case SwapClusterInfo::CLUSTER_FLAG_NONFULL:
      return &si->nonfull_clusters;
    case SwapClusterInfo::CLUSTER_FLAG_FRAG:
      return &si->frag_clusters;
    case SwapClusterInfo::CLUSTER_FLAG_FULL:
      return &si->full_clusters;
    case SwapClusterInfo::CLUSTER_FLAG_NONE:
      break;
  }
  return nullptr;
}

void sim_cluster_list_del(SwapInfo* si, SwapClusterInfo& ci) {
  SwapClusterList* list = sim_cluster_list(si, ci.flags);
  (ci.prev == SwapClusterInfo::kNoCluster ? list->head : si->cluster_info[ci.prev].next) = ci.next;
  (ci.next == SwapClusterInfo::kNoCluster ? list->tail : si->cluster_info[ci.next].prev) = ci.prev;
  ci.prev = ci.next = SwapClusterInfo::kNoCluster;
}

// move_cluster: to the tail of the list of new_flags.
void move_cluster(SwapInfo* si, SwapClusterInfo& ci, ClusterFlag new_flags) {
  if (ci.flags != SwapClusterInfo::CLUSTER_FLAG_NONE) sim_cluster_list_del(si, ci);
  SwapClusterList* list = sim_cluster_list(si, new_flags);
  const uint32_t idx = cluster_index(si, ci);
  ci.prev = list->tail;
  if (list->empty())
    list->head = idx;
  else
    si->cluster_info[list->tail].next = idx;
  list->tail = idx;
  ci.flags = new_flags;
}

// free_cluster (no discard) and partial_free_cluster: after a slot is freed.
void free_cluster(SwapInfo* si, SwapClusterInfo& ci) {
  move_cluster(si, ci, SwapClusterInfo::CLUSTER_FLAG_FREE);
}
void partial_free_cluster(SwapInfo* si, SwapClusterInfo& ci) {
  if (ci.flags != SwapClusterInfo::CLUSTER_FLAG_NONFULL)
    move_cluster(si, ci, SwapClusterInfo::CLUSTER_FLAG_NONFULL);
}

// relocate_cluster: after an allocation, to the free, frag or full list by its count.
void relocate_cluster(SwapInfo* si, SwapClusterInfo& ci) {
  if (!ci.count) {
    if (ci.flags != SwapClusterInfo::CLUSTER_FLAG_FREE) free_cluster(si, ci);
  } else if (ci.count != SWAPFILE_CLUSTER) {
    if (ci.flags != SwapClusterInfo::CLUSTER_FLAG_FRAG)
      move_cluster(si, ci, SwapClusterInfo::CLUSTER_FLAG_FRAG);
  } else if (ci.flags != SwapClusterInfo::CLUSTER_FLAG_FULL) {
    move_cluster(si, ci, SwapClusterInfo::CLUSTER_FLAG_FULL);
  }
}

// isolate_lock_cluster: the first cluster of a list, taken off it.
SwapClusterInfo* isolate_lock_cluster(SwapInfo* si, SwapClusterList* list) {
  if (!si->writeok || list->empty()) return nullptr;
  SwapClusterInfo& ci = si->cluster_info[list->head];
  sim_cluster_list_del(si, ci);
  ci.flags = SwapClusterInfo::CLUSTER_FLAG_NONE;
  return &ci;
}

// setup_clusters: the header slot and the padding past the end count as used; clusters with
// used slots start on the nonfull list, the others on the free list, in index order.
void setup_clusters(SwapInfo* si) {
  const uint64_t maxpages = si->swap_map.size();
  const uint64_t nr_clusters = (maxpages + SWAPFILE_CLUSTER - 1) / SWAPFILE_CLUSTER;
  si->cluster_info.assign(nr_clusters, SwapClusterInfo{});
  si->cluster_info[0].count++;  // the header
  si->cluster_info[nr_clusters - 1].count +=
      static_cast<uint32_t>(nr_clusters * SWAPFILE_CLUSTER - maxpages);
  for (SwapClusterInfo& ci : si->cluster_info)
    move_cluster(
        si, ci,
        ci.count ? SwapClusterInfo::CLUSTER_FLAG_NONFULL : SwapClusterInfo::CLUSTER_FLAG_FREE);
}

// plist_add to swap_avail_heads: behind the devices of higher or equal priority.
void add_to_avail_list(Machine& m, SwapInfo* si) {
  auto& l = m.swap_avail_list;
  if (std::find(l.begin(), l.end(), si->type) != l.end()) return;
  auto it = l.begin();
  while (it != l.end() && m.swap_info[*it]->prio >= si->prio) ++it;
  l.insert(it, si->type);
}
void del_from_avail_list(Machine& m, SwapInfo* si) {
  auto& l = m.swap_avail_list;
  l.erase(std::remove(l.begin(), l.end(), si->type), l.end());
}

// mm/swapfile.c vm_swap_full: less than half of all swap is free.
bool vm_swap_full(const Machine& m) { return nr_swap_pages(m) * 2 < total_swap_pages(m); }

}  // namespace

// mm/swapfile.c swap_entries_free for one slot: the slot, its cluster's count, and the
// device's place on the avail list when it had been full.
static void sim_swap_slot_free(Machine& m, SwapInfo* si, uint64_t offset) {
  si->swap_map[offset] = 0;
  si->cont.erase(offset);
  si->shadows.erase(offset);
  SwapClusterInfo& ci = sim_cluster(si, offset);
  ci.count--;
  if (si->inuse_pages-- == si->pages && si->writeok) add_to_avail_list(m, si);  // swap_usage_sub
  if (!ci.count)
    free_cluster(si, ci);
  else
    partial_free_cluster(si, ci);
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

// mm/swapfile.c __try_to_reclaim_swap(TTRS_ANYWAY): a slot only the swap cache holds is
// freed by taking its folio out of the swap cache (dirty: its copy on swap is gone). Returns
// whether the slot is free.
static bool sim_try_to_reclaim_swap(Machine& m, SwapInfo* si, uint64_t offset) {
  auto it = si->cache.find(offset);
  if (it == si->cache.end() || si->swap_map[offset] != SWAP_HAS_CACHE) return false;
  const uint32_t folio = it->second;
  delete_from_swap_cache(m, folio);
  m.folio(folio).flags |= PG_dirty;
  return true;
}

namespace {

// cluster_scan_range for one slot: free, or (swap over half full) held only by the cache.
bool cluster_scan_range(const Machine& m, SwapInfo* si, const SwapClusterInfo& ci, uint64_t offset,
                        bool* need_reclaim) {
  if (cluster_is_empty(ci)) return true;
  switch (si->swap_map[offset]) {
    case 0:
      return true;
    case SWAP_HAS_CACHE:
      if (!vm_swap_full(m)) return false;
      *need_reclaim = true;
      return true;
    default:
      return false;
  }
}

// alloc_swap_scan_cluster (order 0): the first usable slot at or after offset in ci's
// cluster; then the cluster goes to the list its count says, and where to continue is
// remembered: per CPU for a solid-state device, in the device for a rotating one.
uint64_t alloc_swap_scan_cluster(Machine& m, SwapInfo* si, SwapClusterInfo& ci, uint64_t offset) {
  uint64_t next = 0, found = 0;
  const uint64_t start = offset - offset % SWAPFILE_CLUSTER;
  const uint64_t end = std::min<uint64_t>(start + SWAPFILE_CLUSTER, si->swap_map.size()) - 1;
  if (ci.count + 1 <= SWAPFILE_CLUSTER) {
    for (; offset <= end; ++offset) {
      bool need_reclaim = false;
      if (!cluster_scan_range(m, si, ci, offset, &need_reclaim)) continue;
      if (need_reclaim) {
        const bool freed = sim_try_to_reclaim_swap(m, si, offset);  // cluster_reclaim_range
        if (cluster_is_empty(ci)) offset = start;
        if (!freed) continue;
      }
      if (!si->writeok) break;
      si->swap_map[offset] = SWAP_HAS_CACHE;  // cluster_alloc_range
      ci.count++;
      if (++si->inuse_pages == si->pages) del_from_avail_list(m, si);  // swap_range_alloc
      found = offset++;
      if (ci.count < SWAPFILE_CLUSTER && offset <= end) next = offset;
      break;
    }
  }
  relocate_cluster(si, ci);
  if (si->solidstate) {
    if (m.percpu_swap_cluster.size() <= static_cast<size_t>(m.cpu))
      m.percpu_swap_cluster.resize(m.cpu + 1);
    m.percpu_swap_cluster[m.cpu] = {si->type, next};
  } else {
    si->global_cluster_next = next;
  }
  return found;
}

uint64_t alloc_swap_scan_list(Machine& m, SwapInfo* si, SwapClusterList* list, bool scan_all) {
  uint64_t found = 0;
  do {
    SwapClusterInfo* ci = isolate_lock_cluster(si, list);
    if (!ci) break;
    found = alloc_swap_scan_cluster(m, si, *ci, cluster_offset(si, *ci));
  } while (!found && scan_all);
  return found;
}

// swap_reclaim_full_clusters(si, false): the first full cluster gives back the slots only
// the swap cache holds.
void swap_reclaim_full_clusters(Machine& m, SwapInfo* si) {
  SwapClusterInfo* ci = isolate_lock_cluster(si, &si->full_clusters);
  if (!ci) return;
  const uint64_t start = cluster_offset(si, *ci);
  const uint64_t end = std::min<uint64_t>(start + SWAPFILE_CLUSTER, si->swap_map.size());
  for (uint64_t offset = start; offset < end; ++offset) {
    if (si->swap_map[offset] == SWAP_HAS_CACHE) sim_try_to_reclaim_swap(m, si, offset);
  }
  if (ci->flags == SwapClusterInfo::CLUSTER_FLAG_NONE) relocate_cluster(si, *ci);
}

// cluster_alloc_swap_entry (order 0, no discard): a rotating device continues where it
// stopped; then a new cluster: the nonfull list, then a free cluster, then (swap over half
// full) reclaim of a full cluster's cache-only slots, then one frag cluster.
uint64_t cluster_alloc_swap_entry(Machine& m, SwapInfo* si) {
  if (!si->solidstate && si->global_cluster_next) {
    SwapClusterInfo& ci = sim_cluster(si, si->global_cluster_next);
    if (cluster_is_usable(ci)) {
      const uint64_t offset =
          cluster_is_empty(ci) ? cluster_offset(si, ci) : si->global_cluster_next;
      if (uint64_t found = alloc_swap_scan_cluster(m, si, ci, offset)) return found;
    }
  }
  if (uint64_t found = alloc_swap_scan_list(m, si, &si->nonfull_clusters, true)) return found;
  if (uint64_t found = alloc_swap_scan_list(m, si, &si->free_clusters, false)) return found;
  if (vm_swap_full(m)) swap_reclaim_full_clusters(m, si);
  return alloc_swap_scan_list(m, si, &si->frag_clusters, false);
}

// swap_alloc_fast: this CPU's cluster on a solid-state device, if it still has room.
bool swap_alloc_fast(Machine& m, SwpEntry* out) {
  if (m.percpu_swap_cluster.size() <= static_cast<size_t>(m.cpu)) return false;
  const PercpuSwapCluster pcp = m.percpu_swap_cluster[m.cpu];
  if (pcp.type < 0 || !pcp.offset || static_cast<size_t>(pcp.type) >= m.swap_info.size())
    return false;
  SwapInfo* si = m.swap_info[pcp.type].get();
  if (!si || !si->writeok) return false;  // get_swap_device_info
  SwapClusterInfo& ci = sim_cluster(si, pcp.offset);
  if (!cluster_is_usable(ci)) return false;
  const uint64_t offset = cluster_is_empty(ci) ? cluster_offset(si, ci) : pcp.offset;
  const uint64_t found = alloc_swap_scan_cluster(m, si, ci, offset);
  if (found) *out = {static_cast<uint32_t>(si->type), found};
  return found != 0;
}

// swap_alloc_slow: the devices with free slots by priority; each one tried first goes behind
// its equal-priority peers (plist_requeue), so equal priorities take turns.
bool swap_alloc_slow(Machine& m, SwpEntry* out) {
  const std::vector<int> avail = m.swap_avail_list;
  for (int type : avail) {
    SwapInfo* si = m.swap_info[type].get();
    auto& l = m.swap_avail_list;
    auto it = std::find(l.begin(), l.end(), type);
    if (it == l.end()) continue;  // became full meanwhile
    auto last = it;
    while (last + 1 != l.end() && m.swap_info[*(last + 1)]->prio == si->prio) ++last;
    std::rotate(it, it + 1, last + 1);
    if (const uint64_t offset = cluster_alloc_swap_entry(m, si)) {
      *out = {static_cast<uint32_t>(type), offset};
      return true;
    }
  }
  return false;
}

}  // namespace

// mm/swapfile.c folio_alloc_swap (order 0): a slot marked SWAP_HAS_CACHE, from this CPU's
// cluster (swap_alloc_fast) or by priority (swap_alloc_slow). The caller adds the folio to
// the swap cache.
bool folio_alloc_swap(Machine& m, SwpEntry* out) {
  return swap_alloc_fast(m, out) || swap_alloc_slow(m, out);
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
  setup_clusters(si.get());
  si->writeok = true;
  TRACE_NOTE(m.trace, "swap device %d: %s, %lu slots, priority %d", type, path, si->pages,
             si->prio);
  m.swap_info[type] = std::move(si);
  add_to_avail_list(m, m.swap_info[type].get());  // enable_swap_info
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
  si->writeok = false;  // no new allocations while it drains (del_from_avail_list)
  del_from_avail_list(m, si);
  if (int err = try_to_unuse(m, type)) {
    si->writeok = true;
    if (si->inuse_pages < si->pages) add_to_avail_list(m, si);  // reinsert_swap_info
    return err;
  }
  for (PercpuSwapCluster& pcp : m.percpu_swap_cluster) {  // flush_percpu_swap_cluster
    if (pcp.type == type) pcp = {};
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
