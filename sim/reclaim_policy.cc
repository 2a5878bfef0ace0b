// The registry of reclaim policies (include/mmsim/reclaim_policy.h). No kernel twin: the
// kernel has one reclaim algorithm per build (classic LRU or MGLRU); the model lets a
// benchmark choose by name.
#include "mmsim/reclaim_policy.h"

#include <cstdio>
#include <cstdlib>

#include "absl/container/btree_map.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace mmsim {

namespace {

// Filled by static registrars before main; a function-local static so that registration
// does not depend on the order in which translation units are initialised.
absl::btree_map<std::string, ReclaimPolicyFactory>& sim_policy_registry() {
  static auto* registry = new absl::btree_map<std::string, ReclaimPolicyFactory>();
  return *registry;
}

}  // namespace

bool register_reclaim_policy(const char* name, ReclaimPolicyFactory factory) {
  if (!sim_policy_registry().emplace(name, factory).second) {
    std::fprintf(stderr, "mmsim: reclaim policy \"%s\" registered twice\n", name);
    std::abort();
  }
  return true;
}

std::vector<std::string> reclaim_policy_names() {
  std::vector<std::string> out;
  for (const auto& [name, factory] : sim_policy_registry()) out.push_back(name);
  return out;
}

absl::StatusOr<std::unique_ptr<ReclaimPolicy>> create_reclaim_policy(absl::string_view name) {
  auto it = sim_policy_registry().find(std::string(name));
  if (it == sim_policy_registry().end()) {
    return absl::InvalidArgumentError(
        absl::StrCat("unknown reclaim policy \"", name,
                     "\"; registered policies: ", absl::StrJoin(reclaim_policy_names(), ", ")));
  }
  return it->second();
}

}  // namespace mmsim
