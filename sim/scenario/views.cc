#include "sim/scenario/views.h"

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "mmsim/control.h"
#include "mmsim/procfs.h"

namespace mmsim::scenario {

namespace {

void PageLine(const Task& t, uint64_t addr, std::string* out) {
  const PageInfo pi = page_info(t, addr);
  if (pi.present) {
    absl::StrAppendFormat(out, "%#014x  present  %8d  %s\n", addr, pi.kpagecount,
                          kpageflags_names(pi.kpageflags));
  } else if (pi.swapped) {
    absl::StrAppendFormat(out, "%#014x  swap     %8s  type %u offset %#x\n", addr, "-",
                          pi.swap_type, pi.swap_offset);
  } else {
    absl::StrAppendFormat(out, "%#014x  none     %8s\n", addr, "-");
  }
}

}  // namespace

absl::StatusOr<std::string> PagesTable(const Task& t, uint64_t start, uint64_t len, bool all) {
  std::string out =
      absl::StrFormat("%-14s  %-7s  %8s  %s\n", "address", "state", "mapcount", "flags");
  if (all) {
    for (const auto& [s, v] : t.mm->mm_mt) {
      t.mm->page_table.for_each(
          v->vm_start >> PAGE_SHIFT, v->vm_end >> PAGE_SHIFT,
          [&](uint64_t vpn, const Pte&) { PageLine(t, vpn << PAGE_SHIFT, &out); });
    }
    return out;
  }
  const uint64_t first = start & PAGE_MASK;
  const uint64_t last = start + len;
  if (last < start) return absl::InvalidArgumentError("the range wraps around the address space");
  const uint64_t pages = (PAGE_ALIGN(last) - first) >> PAGE_SHIFT;
  if (PAGE_ALIGN(last) < last || pages > kMaxPagesRows) {
    return absl::InvalidArgumentError(
        absl::StrCat("the range has more than ", kMaxPagesRows, " pages"));
  }
  for (uint64_t i = 0; i < pages; ++i) PageLine(t, first + (i << PAGE_SHIFT), &out);
  return out;
}

std::optional<std::string> ViewField(absl::string_view text, absl::string_view field) {
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    if (!absl::StartsWith(line, field)) continue;
    absl::string_view rest = line.substr(field.size());
    if (rest.empty() || rest[0] != ':') continue;
    return std::string(absl::StripAsciiWhitespace(rest.substr(1)));
  }
  return std::nullopt;
}

std::optional<int64_t> LeadingNumber(absl::string_view value) {
  absl::string_view num = value.substr(0, value.find(' '));
  int64_t v = 0;
  if (!absl::SimpleAtoi(num, &v)) return std::nullopt;
  return v;
}

std::optional<std::string> SmapsEntryAt(const Task& t, uint64_t addr) {
  const Vma* vma = control::vma_at(t, addr);
  if (!vma) return std::nullopt;
  const std::string all = proc_pid_smaps(t);
  const std::string header = absl::StrFormat("%08x-%08x ", vma->vm_start, vma->vm_end);
  const size_t at = all.find(header);
  if (at == std::string::npos) return std::nullopt;
  // The entry runs to its VmFlags line.
  const size_t flags = all.find("VmFlags:", at);
  const size_t end = flags == std::string::npos ? all.size() : all.find('\n', flags);
  return all.substr(at, (end == std::string::npos ? all.size() : end + 1) - at);
}

}  // namespace mmsim::scenario
