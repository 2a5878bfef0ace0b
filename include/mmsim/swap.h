// Swap devices and their slot counts (include/linux/swap.h, mm/swapfile.c).
#ifndef MMSIM_SWAP_H_
#define MMSIM_SWAP_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"

namespace mmsim {

// swap_map byte values (include/linux/swap.h).
inline constexpr uint8_t SWAP_HAS_CACHE = 0x40;   // the slot's folio is in the swap cache
inline constexpr uint8_t SWAP_MAP_MAX = 0x3e;     // largest count the first byte holds
inline constexpr uint8_t SWAP_MAP_BAD = 0x3f;     // bad slot (the header, bad blocks)
inline constexpr uint8_t SWAP_CONT_MAX = 0x7f;    // largest digit of a continuation byte
inline constexpr uint8_t COUNT_CONTINUED = 0x80;  // the count continues in the next digit
// This kernel's limit (32 types less migration, hwpoison, device and marker entries): the
// 29th swapon fails with EPERM.
inline constexpr int MAX_SWAPFILES = 28;

// swp_entry_t: device type and slot offset, as /proc/PID/pagemap reports them.
struct SwpEntry {
  uint32_t type = 0;
  uint64_t offset = 0;
};
// The model stores a swap PTE's entry packed in 32 bits: 5 bits of type, 27 of offset.
inline uint32_t swp_pack(SwpEntry e) { return (e.type << 27) | static_cast<uint32_t>(e.offset); }
inline SwpEntry swp_unpack(uint32_t v) { return {v >> 27, v & ((1u << 27) - 1)}; }

// Slots per cluster (SWAPFILE_CLUSTER = HPAGE_PMD_NR with CONFIG_THP_SWAP, as here).
inline constexpr uint64_t SWAPFILE_CLUSTER = 512;

// struct swap_cluster_info: SWAPFILE_CLUSTER slots, how many are in use (the header, bad
// slots and the padding past the device's end count as used), and the list the cluster is
// on, named by its flag (CLUSTER_FLAG_NONE: on no list, being allocated from).
struct SwapClusterInfo {
  enum Flag : uint8_t {
    CLUSTER_FLAG_NONE,
    CLUSTER_FLAG_FREE,
    CLUSTER_FLAG_NONFULL,
    CLUSTER_FLAG_FRAG,
    CLUSTER_FLAG_FULL,
  };
  static constexpr uint32_t kNoCluster = UINT32_MAX;
  uint32_t count = 0;
  Flag flags = CLUSTER_FLAG_NONE;
  uint32_t prev = kNoCluster, next = kNoCluster;  // list links (cluster indexes)
};

// A list of clusters (struct list_head of swap_cluster_info), by index.
struct SwapClusterList {
  uint32_t head = SwapClusterInfo::kNoCluster, tail = SwapClusterInfo::kNoCluster;
  bool empty() const { return head == SwapClusterInfo::kNoCluster; }
};

// struct percpu_swap_cluster, order 0: the device and offset this CPU allocates from next
// (set only for SWP_SOLIDSTATE devices; type -1 or offset 0 when none).
struct PercpuSwapCluster {
  int type = -1;
  uint64_t offset = 0;
};

// struct swap_info_struct.
struct SwapInfo {
  std::string path;
  int type = 0;
  int prio = 0;
  bool writeok = false;
  uint64_t pages = 0;        // usable slots (the header slot excluded)
  uint64_t inuse_pages = 0;  // slots with a count or SWAP_HAS_CACHE
  std::vector<uint8_t> swap_map;
  // Continuation digits of slots whose count passed SWAP_MAP_MAX: digit i of offset o is
  // cont[o][i] (the kernel keeps them in continuation pages, one per page of swap_map).
  absl::flat_hash_map<uint64_t, std::vector<uint8_t>> cont;
  uint64_t cont_pages = 0;  // continuation pages allocated (add_swap_count_continuation)
  // The swap cache: folio of each slot that has SWAP_HAS_CACHE.
  absl::flat_hash_map<uint64_t, uint32_t> cache;
  // Shadow entries (mm/workingset.c pack_shadow): for a slot whose folio was reclaimed, the
  // nonresident_age at eviction << 1 | PG_workingset. Dropped when the slot is freed.
  absl::flat_hash_map<uint64_t, uint64_t> shadows;
  // SWP_SOLIDSTATE: swapon sets it when the backing block device is not rotational. The
  // host's swap files sit on a rotational disk, so the model's devices default to rotating.
  bool solidstate = false;
  // The cluster allocator (mm/swapfile.c setup_clusters, cluster_alloc_swap_entry): one
  // SwapClusterInfo per SWAPFILE_CLUSTER slots and the lists they move between (order 0
  // only: no large folios are swapped).
  std::vector<SwapClusterInfo> cluster_info;
  SwapClusterList free_clusters, nonfull_clusters, frag_clusters, full_clusters;
  // global_cluster->next[0]: where a rotating device allocates next (0: pick a new cluster).
  uint64_t global_cluster_next = 0;
};

}  // namespace mmsim

#endif  // MMSIM_SWAP_H_
