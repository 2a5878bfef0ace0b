// Machine-wide event and state counters with the names /proc/vmstat uses
// (include/linux/vm_event_item.h, include/linux/mmzone.h node_stat_item).
#ifndef MMSIM_VMSTAT_H_
#define MMSIM_VMSTAT_H_

#include <array>
#include <cstdint>

namespace mmsim {

#define MMSIM_VMSTAT_ITEMS(X)  \
  X(nr_free_pages)             \
  X(nr_inactive_anon)          \
  X(nr_active_anon)            \
  X(nr_inactive_file)          \
  X(nr_active_file)            \
  X(nr_unevictable)            \
  X(nr_mlock)                  \
  X(nr_anon_pages)             \
  X(nr_mapped)                 \
  X(nr_file_pages)             \
  X(workingset_refault_anon)   \
  X(workingset_refault_file)   \
  X(workingset_activate_anon)  \
  X(workingset_activate_file)  \
  X(workingset_restore_anon)   \
  X(workingset_restore_file)   \
  X(pgfault)                   \
  X(pgmajfault)                \
  X(pgactivate)                \
  X(pgdeactivate)              \
  X(pgrefill)                  \
  X(pgscan_kswapd)             \
  X(pgscan_direct)             \
  X(pgsteal_kswapd)            \
  X(pgsteal_direct)            \
  X(pgscan_anon)               \
  X(pgscan_file)               \
  X(pgsteal_anon)              \
  X(pgsteal_file)              \
  X(pageoutrun)                \
  X(allocstall_movable)        \
  X(unevictable_pgs_culled)    \
  X(unevictable_pgs_scanned)   \
  X(unevictable_pgs_rescued)   \
  X(unevictable_pgs_mlocked)   \
  X(unevictable_pgs_munlocked) \
  X(unevictable_pgs_cleared)   \
  X(unevictable_pgs_stranded)

enum VmStatItem : int {
#define MMSIM_VMSTAT_ENUM(name) name,
  MMSIM_VMSTAT_ITEMS(MMSIM_VMSTAT_ENUM)
#undef MMSIM_VMSTAT_ENUM
      NR_VMSTAT_ITEMS
};

const char* vmstat_name(VmStatItem item);

struct VmStat {
  std::array<int64_t, NR_VMSTAT_ITEMS> v{};
  int64_t& operator[](VmStatItem i) { return v[i]; }
  int64_t operator[](VmStatItem i) const { return v[i]; }
};

}  // namespace mmsim

#endif  // MMSIM_VMSTAT_H_
