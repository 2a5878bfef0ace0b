#include "sim/scenario/explain.h"

#include <algorithm>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "mmsim/procfs.h"

namespace mmsim::scenario {

namespace {

constexpr int kMaxColumns = 64;
constexpr uint64_t kPadPages = 4;  // the most of a neighbouring VMA the picture shows

bool Intersects(const VmaSnap& v, uint64_t lo, uint64_t hi) { return v.end > lo && v.start < hi; }

bool SameVma(const VmaSnap& a, const VmaSnap& b) {
  return a.id == b.id && a.start == b.start && a.end == b.end && a.flags == b.flags;
}

std::string LockMnemonics(uint64_t flags) {
  std::string s;
  if (flags & VM_LOCKED) s = "lo";
  if (flags & VM_LOCKONFAULT) absl::StrAppend(&s, s.empty() ? "" : " ", "lf");
  return s;
}

}  // namespace

MmSnap SnapshotMm(const Task* t, const Machine& m) {
  MmSnap s;
  s.vmstat = m.vmstat;
  if (!t) return s;
  s.valid = true;
  for (const auto& [start, v] : t->mm->mm_mt) {
    VmaSnap vs;
    vs.id = reinterpret_cast<uintptr_t>(v.get());
    vs.start = v->vm_start;
    vs.end = v->vm_end;
    vs.flags = v->vm_flags;
    if (v->vm_file && !v->vm_file->shmem) vs.name = v->vm_file->path;
    if (v->special_name) vs.name = v->special_name;
    s.vmas.push_back(std::move(vs));
  }
  s.locked_vm = t->mm->locked_vm;
  s.map_count = t->mm->map_count;
  return s;
}

std::pair<uint64_t, uint64_t> ChooseWindow(
    const MmSnap& before, const MmSnap& after, bool has_range, uint64_t range_start,
    uint64_t range_end, const std::vector<std::pair<uint64_t, uint64_t>>& mapped) {
  uint64_t lo = 0, hi = 0;
  if (has_range && range_start < range_end) {
    lo = range_start;
    hi = range_end;
  } else if (!mapped.empty()) {
    lo = mapped.front().first;
    hi = mapped.front().second;
    for (const auto& [a, b] : mapped) {
      lo = std::min(lo, a);
      hi = std::max(hi, b);
    }
  } else {
    // The VMAs the step changed.
    bool any = false;
    auto consider = [&](const MmSnap& x, const MmSnap& y) {
      for (const VmaSnap& v : x.vmas) {
        const bool kept = std::any_of(y.vmas.begin(), y.vmas.end(),
                                      [&](const VmaSnap& w) { return SameVma(v, w); });
        if (kept) continue;
        lo = any ? std::min(lo, v.start) : v.start;
        hi = any ? std::max(hi, v.end) : v.end;
        any = true;
      }
    };
    consider(before, after);
    consider(after, before);
    if (!any) return {0, 0};
  }
  // A range far larger than what is mapped there: draw the VMAs inside it only.
  uint64_t vlo = ~uint64_t{0}, vhi = 0;
  for (const MmSnap* s : {&before, &after}) {
    for (const VmaSnap& v : s->vmas) {
      if (!Intersects(v, lo, hi)) continue;
      vlo = std::min(vlo, v.start);
      vhi = std::max(vhi, v.end);
    }
  }
  const uint64_t width = hi - lo;
  if (vlo < vhi && width > (uint64_t{4096} << PAGE_SHIFT)) {
    lo = std::max(lo, vlo);
    hi = std::min(hi, vhi);
  }
  // Whole VMAs, within one window's width (at least 8 pages) each side.
  const uint64_t reach = std::max<uint64_t>(8 * PAGE_SIZE, hi - lo);
  uint64_t nlo = lo, nhi = hi;
  for (const MmSnap* s : {&before, &after}) {
    for (const VmaSnap& v : s->vmas) {
      if (!Intersects(v, lo, hi)) continue;
      nlo = std::min(nlo, std::max(v.start, lo > reach ? lo - reach : 0));
      nhi = std::max(nhi, std::min(v.end, hi + reach < hi ? hi : hi + reach));
    }
  }
  lo = nlo;
  hi = nhi;
  // One neighbour each side, if it is near: at most kPadPages of it.
  const uint64_t near = std::max<uint64_t>(16 * PAGE_SIZE, hi - lo);
  uint64_t prev_end = 0, next_start = ~uint64_t{0};
  for (const MmSnap* s : {&before, &after}) {
    for (const VmaSnap& v : s->vmas) {
      if (v.end <= lo) prev_end = std::max(prev_end, v.end);
      if (v.start >= hi) next_start = std::min(next_start, v.start);
    }
  }
  if (prev_end && lo - prev_end <= near) lo = prev_end - std::min(prev_end, kPadPages * PAGE_SIZE);
  if (next_start != ~uint64_t{0} && next_start - hi <= near)
    hi = next_start + kPadPages * PAGE_SIZE;
  // Clip a padded neighbour to its own extent.
  for (const MmSnap* s : {&before, &after}) {
    for (const VmaSnap& v : s->vmas) {
      if (v.end == prev_end && v.start > lo && v.start <= prev_end) lo = std::max(lo, v.start);
      if (v.start == next_start && v.end < hi) hi = std::min(hi, v.end);
    }
  }
  (void)nlo;
  return {lo, hi};
}

std::string RenderLayout(const MmSnap& before, const MmSnap& after, uint64_t lo, uint64_t hi,
                         bool has_range, uint64_t range_start, uint64_t range_end) {
  if (hi <= lo) return "  layout: no VMA changed\n";
  const uint64_t pages = (hi - lo) >> PAGE_SHIFT;
  const uint64_t scale = std::max<uint64_t>(1, (pages + kMaxColumns - 1) / kMaxColumns);
  const int cols = static_cast<int>((pages + scale - 1) / scale);
  // Letters by VMA identity: a VMA that survives the step keeps its letter.
  absl::flat_hash_map<uintptr_t, char> letter;
  char next = 'A';
  auto letter_of = [&](const VmaSnap& v) {
    auto it = letter.find(v.id);
    if (it != letter.end()) return it->second;
    const char c = next;
    if (next == 'Z') {
      next = 'a';
    } else if (next == 'z') {
      next = '#';
    } else if (next != '#') {
      ++next;
    }
    letter[v.id] = c;
    return c;
  };
  for (const MmSnap* s : {&before, &after}) {
    for (const VmaSnap& v : s->vmas) {
      if (Intersects(v, lo, hi)) letter_of(v);
    }
  }
  auto row = [&](const MmSnap& s) {
    std::string r(cols, ' ');
    for (int c = 0; c < cols; ++c) {
      const uint64_t a = lo + static_cast<uint64_t>(c) * scale * PAGE_SIZE;
      const uint64_t b = a + scale * PAGE_SIZE;
      for (const VmaSnap& v : s.vmas) {
        if (v.end > a && v.start < b) {
          r[c] = letter_of(v);
          break;
        }
      }
    }
    while (!r.empty() && r.back() == ' ') r.pop_back();
    return r;
  };
  std::string out =
      absl::StrFormat("  layout: %d page%s per column, column 0 = %#x, %d pages shown\n", scale,
                      scale == 1 ? "" : "s", lo, pages);
  const char* kHex = "0123456789abcdef";
  if (cols > 16) {
    std::string hiline(cols, ' ');
    for (int c = 0; c < cols; c += 16) hiline[c] = kHex[(c / 16) % 16];
    absl::StrAppend(&out, "            ", hiline, "\n");
  }
  std::string ruler;
  for (int c = 0; c < cols; ++c) ruler += kHex[c % 16];
  absl::StrAppend(&out, "            ", ruler, "\n");
  absl::StrAppend(&out, "    before  ", before.valid ? row(before) : "(no task yet)", "\n");
  if (has_range && range_start < range_end) {
    std::string r(cols, ' ');
    for (int c = 0; c < cols; ++c) {
      const uint64_t a = lo + static_cast<uint64_t>(c) * scale * PAGE_SIZE;
      const uint64_t b = a + scale * PAGE_SIZE;
      if (range_end > a && range_start < b) r[c] = '*';
    }
    while (!r.empty() && r.back() == ' ') r.pop_back();
    absl::StrAppend(&out, "    range   ", r, "\n");
  }
  absl::StrAppend(&out, "    after   ", row(after), "\n");
  auto legend = [&](const char* label, const MmSnap& s) {
    bool first = true;
    for (const VmaSnap& v : s.vmas) {
      if (!Intersects(v, lo, hi)) continue;
      std::string extra = LockMnemonics(v.flags);
      if (!v.name.empty()) absl::StrAppend(&extra, extra.empty() ? "" : "  ", v.name);
      absl::StrAppendFormat(
          &out, "    %-7s %c %012x-%012x %s %6d page%s%s%s\n", first ? label : "", letter_of(v),
          v.start, v.end, vma_perms(v.flags), (v.end - v.start) >> PAGE_SHIFT,
          v.end - v.start == PAGE_SIZE ? " " : "s", extra.empty() ? "" : "  ", extra);
      first = false;
    }
    if (first) absl::StrAppendFormat(&out, "    %-7s (no VMA in the window)\n", label);
  };
  legend("before", before);
  legend("after", after);
  return out;
}

std::string RenderCounters(const MmSnap& before, const MmSnap& after) {
  std::string out =
      absl::StrFormat("  counters: locked_vm %d -> %d pages, map_count %d -> %d\n",
                      before.locked_vm, after.locked_vm, before.map_count, after.map_count);
  std::string deltas;
  for (int i = 0; i < NR_VMSTAT_ITEMS; ++i) {
    const auto item = static_cast<VmStatItem>(i);
    const std::string name = vmstat_name(item);
    // Every counter that moved except free pages (implied by the rest) and the fault count.
    if (name == "nr_free_pages" || name == "pgfault") continue;
    const int64_t d = after.vmstat[item] - before.vmstat[item];
    if (d) absl::StrAppendFormat(&deltas, "%s%s %+d", deltas.empty() ? "" : ", ", name, d);
  }
  absl::StrAppend(&out, "  vmstat:   ", deltas.empty() ? "no counter moved" : deltas, "\n");
  return out;
}

std::string CompactCallPath(const Trace& trace) {
  std::vector<std::pair<int, std::string>> seen;
  std::string out;
  for (const TraceEvent& e : trace.events()) {
    if (e.kind != TraceEvent::kCall) continue;
    const std::pair<int, std::string> key{e.depth, e.text};
    if (std::find(seen.begin(), seen.end(), key) != seen.end()) continue;
    seen.push_back(key);
    absl::StrAppend(&out, out.empty() ? "" : " → ", e.text);
  }
  return out;
}

std::string RenderTrace(const Trace& trace, size_t max_lines) {
  std::string out;
  size_t n = 0;
  for (const TraceEvent& e : trace.events()) {
    if (n++ == max_lines) {
      absl::StrAppend(&out, "    ... ", trace.events().size() - max_lines, " more events\n");
      break;
    }
    absl::StrAppend(&out, "    ", std::string(2 * static_cast<size_t>(std::max(0, e.depth)), ' '),
                    e.kind == TraceEvent::kNote ? "· " : "", e.text, "\n");
  }
  return out;
}

}  // namespace mmsim::scenario
