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
  uint64_t next = 1;  // where the next allocation search starts
};

}  // namespace mmsim

#endif  // MMSIM_SWAP_H_
