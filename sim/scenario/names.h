// The names a scenario may use: C constants (PROT_*, MAP_*, MADV_*, ...), errno names,
// capability names and the fields of each /proc view (the calls are in syscall_table.h).
// Also the edit-distance "did you mean" helper every unknown name goes through.
#ifndef MMSIM_SCENARIO_NAMES_H_
#define MMSIM_SCENARIO_NAMES_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"

namespace mmsim::scenario {

// A C constant usable in expressions (PROT_READ, MAP_PRIVATE, RLIMIT_MEMLOCK, NULL...).
std::optional<uint64_t> LookupConstant(absl::string_view name);
const std::vector<std::string>& ConstantNames();

// errno names (ENOMEM) and back; ErrnoName(12) == "ENOMEM".
std::optional<int> LookupErrno(absl::string_view name);
std::string ErrnoName(int err);
const std::vector<std::string>& ErrnoNames();

// CAP_IPC_LOCK and friends (include/uapi/linux/capability.h numbers).
std::optional<int> LookupCapability(absl::string_view name);
const std::vector<std::string>& CapabilityNames();

// MADV_* advice values that Linux 6.18 accepts (whether or not the model implements them).
bool IsKernelMadvise(uint64_t advice);

// Field names of the views, as the model prints them, with whether each is in kB.
struct FieldInfo {
  std::string name;
  bool kb;
};
const std::vector<FieldInfo>& StatusFields();
const std::vector<FieldInfo>& SmapsFields();  // includes VmFlags
const std::vector<FieldInfo>& MeminfoFields();
const std::vector<std::string>& VmstatNames();
const FieldInfo* FindField(const std::vector<FieldInfo>& fields, absl::string_view name);
// kpageflags_names() words, and VmFlags mnemonics.
const std::vector<std::string>& KpageflagNames();
const std::vector<std::string>& VmFlagMnemonics();

// The LRU lists as `expect lru LIST` names them, indexed by enum LruList (LRU_INACTIVE_ANON..).
const std::vector<std::string>& LruListNames();
// The LruList of a name, or -1.
int LookupLruList(absl::string_view name);

// "did you mean 'X'?" for the closest candidate within a small edit distance, or "".
std::string DidYouMean(absl::string_view name, const std::vector<std::string>& candidates);
size_t EditDistance(absl::string_view a, absl::string_view b);

}  // namespace mmsim::scenario

#endif  // MMSIM_SCENARIO_NAMES_H_
