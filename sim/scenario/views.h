// Views of the model for scenarios: the /proc texts of include/mmsim/procfs.h, the
// page-types-like table, and the lookups `expect` uses (a field of a view, the smaps entry
// of the VMA containing an address).
#ifndef MMSIM_SCENARIO_VIEWS_H_
#define MMSIM_SCENARIO_VIEWS_H_

#include <cstdint>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "mmsim/machine.h"

namespace mmsim::scenario {

// The most pages `pages ADDR LEN` prints (the table has one line a page).
inline constexpr uint64_t kMaxPagesRows = 1 << 16;

// One line per page of [start, start+len) (page aligned outward): address, state (present,
// swap, none), mapcount and kpageflags names, as tools/mm/page-types -L lists them.
// With `all` set, every present or swapped page of every VMA instead.
absl::StatusOr<std::string> PagesTable(const Task& t, uint64_t start, uint64_t len, bool all);

// The value text of `field` in a "Name:   value" view ("8 kB", "rd wr mr ..."), if present.
std::optional<std::string> ViewField(absl::string_view text, absl::string_view field);
// The number at the start of a field value ("8 kB" -> 8).
std::optional<int64_t> LeadingNumber(absl::string_view value);

// The smaps entry (header and fields) of the VMA containing addr; nullopt if none does.
std::optional<std::string> SmapsEntryAt(const Task& t, uint64_t addr);

}  // namespace mmsim::scenario

#endif  // MMSIM_SCENARIO_VIEWS_H_
