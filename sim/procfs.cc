// Model of the /proc views: fs/proc/task_mmu.c (maps, smaps, status's task_mem),
// fs/proc/meminfo.c, mm/vmstat.c and fs/proc/page.c (kpageflags, kpagecount).
#include "mmsim/procfs.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "sim/internal.h"

namespace mmsim {

namespace {

constexpr int KPF_RESERVED = 32;

// fs/proc/task_mmu.c show_smap_vma_flags table for x86-64 (bit → mnemonic).
struct FlagName {
  int bit;
  const char* name;
};
constexpr FlagName kFlagNames[] = {
    {0, "rd"},  {1, "wr"},  {2, "ex"},  {3, "sh"},  {4, "mr"},  {5, "mw"},  {6, "me"},  {7, "ms"},
    {8, "gd"},  {9, "um"},  {10, "pf"}, {12, "uw"}, {13, "lo"}, {14, "io"}, {15, "sr"}, {16, "rr"},
    {17, "dc"}, {18, "de"}, {19, "lf"}, {20, "ac"}, {21, "nr"}, {22, "ht"}, {23, "sf"}, {24, "ar"},
    {25, "wf"}, {26, "dd"}, {28, "mm"}, {29, "hg"}, {30, "nh"}, {31, "mg"}, {40, "dp"}, {42, "sl"},
};

std::string vma_name(const Task& t, const Vma* v) {
  if (v->vm_file) return v->vm_file->path;
  if (v->special_name) return v->special_name;
  const MmStruct* mm = t.mm.get();
  if (v->vm_start <= mm->brk && v->vm_end >= mm->start_brk) return "[heap]";
  if (v->vm_start <= mm->start_stack && v->vm_end >= mm->start_stack) return "[stack]";
  if (v->anon_name) return absl::StrCat("[anon:", *v->anon_name, "]");
  return "";
}

std::string map_header(const Task& t, const Vma* v) {
  const uint64_t off = v->vm_file ? (v->vm_pgoff << PAGE_SHIFT) : 0;
  uint32_t maj = 0, min = 0;
  uint64_t ino = 0;
  if (v->vm_file) {
    maj = v->vm_file->dev_major;
    min = v->vm_file->dev_minor;
    ino = v->vm_file->ino;
  }
  std::string line = absl::StrFormat("%08x-%08x %s %08x %02x:%02x %u ", v->vm_start, v->vm_end,
                                     vma_perms(v->vm_flags), off, maj, min, ino);
  std::string name = vma_name(t, v);
  if (!name.empty()) {
    if (line.size() < 73) line.append(73 - line.size(), ' ');
    line += name;
  }
  line += '\n';
  return line;
}

void kb_line(std::string* out, const char* label, uint64_t kb) {
  absl::StrAppendFormat(out, "%-16s%8u kB\n", label, kb);
}

}  // namespace

std::string vma_perms(uint64_t f) {
  std::string p(4, '-');
  if (f & VM_READ) p[0] = 'r';
  if (f & VM_WRITE) p[1] = 'w';
  if (f & VM_EXEC) p[2] = 'x';
  p[3] = (f & VM_MAYSHARE) ? 's' : 'p';
  return p;
}

std::string vm_flags_mnemonics(uint64_t flags) {
  std::string s;
  for (const FlagName& fn : kFlagNames) {
    if (flags & (1ull << fn.bit)) absl::StrAppend(&s, fn.name, " ");
  }
  return s;
}

std::string proc_pid_maps(const Task& t, bool with_gate) {
  std::string out;
  for (const auto& [start, v] : t.mm->mm_mt) out += map_header(t, v.get());
  if (with_gate) {
    out += "ffffffffff600000-ffffffffff601000 --xp 00000000 00:00 0";
    out.append(73 - 55, ' ');
    out += "[vsyscall]\n";
  }
  return out;
}

std::string proc_pid_smaps(const Task& t) {
  const Machine& m = *t.machine;
  std::string out;
  for (const auto& [start, vp] : t.mm->mm_mt) {
    const Vma* v = vp.get();
    // smaps_pte_entry / smaps_account, order-0 folios.
    uint64_t rss = 0, pss = 0, pss_dirty = 0, shared_clean = 0, shared_dirty = 0, private_clean = 0,
             private_dirty = 0, referenced = 0, anonymous = 0, swap = 0;
    sim_for_each_pte(t.mm.get(), v->vm_start, v->vm_end, [&](uint64_t, const Pte& pte) {
      if (pte.kind == Pte::kSwap) {
        swap += PAGE_SIZE;
        return;
      }
      if (pte.kind != Pte::kPresent || pte.folio == ZERO_FOLIO) return;
      const Folio& f = m.folio(pte.folio);
      const bool dirty = pte.dirty || (f.flags & PG_dirty);
      rss += PAGE_SIZE;
      if (pte.young || (f.flags & PG_referenced)) referenced += PAGE_SIZE;
      if (f.flags & PG_anon_mapping) anonymous += PAGE_SIZE;
      const int mc = std::max(f.mapcount, 1);
      const uint64_t share = (PAGE_SIZE << 12) / static_cast<uint64_t>(mc);
      pss += share;
      if (dirty) pss_dirty += share;
      if (mc >= 2) {
        (dirty ? shared_dirty : shared_clean) += PAGE_SIZE;
      } else {
        (dirty ? private_dirty : private_clean) += PAGE_SIZE;
      }
    });
    out += map_header(t, v);
    kb_line(&out, "Size:", v->size() >> 10);
    kb_line(&out, "KernelPageSize:", 4);
    kb_line(&out, "MMUPageSize:", 4);
    kb_line(&out, "Rss:", rss >> 10);
    kb_line(&out, "Pss:", pss >> 22);
    kb_line(&out, "Pss_Dirty:", pss_dirty >> 22);
    kb_line(&out, "Shared_Clean:", shared_clean >> 10);
    kb_line(&out, "Shared_Dirty:", shared_dirty >> 10);
    kb_line(&out, "Private_Clean:", private_clean >> 10);
    kb_line(&out, "Private_Dirty:", private_dirty >> 10);
    kb_line(&out, "Referenced:", referenced >> 10);
    kb_line(&out, "Anonymous:", anonymous >> 10);
    kb_line(&out, "KSM:", 0);
    kb_line(&out, "LazyFree:", 0);
    kb_line(&out, "AnonHugePages:", 0);
    kb_line(&out, "ShmemPmdMapped:", 0);
    kb_line(&out, "FilePmdMapped:", 0);
    kb_line(&out, "Shared_Hugetlb:", 0);
    kb_line(&out, "Private_Hugetlb:", 0);
    kb_line(&out, "Swap:", swap >> 10);
    kb_line(&out, "SwapPss:", swap >> 10);
    kb_line(&out, "Locked:", (v->vm_flags & VM_LOCKED) ? pss >> 22 : 0);
    absl::StrAppendFormat(&out, "%-16s%8d\n", "THPeligible:", 0);
    absl::StrAppend(&out, "VmFlags: ", vm_flags_mnemonics(v->vm_flags), "\n");
  }
  return out;
}

std::string proc_pid_status(const Task& t) {
  const MmStruct* mm = t.mm.get();
  const uint64_t anon = mm->rss_stat[MM_ANONPAGES], file = mm->rss_stat[MM_FILEPAGES],
                 shmem = mm->rss_stat[MM_SHMEMPAGES];
  const uint64_t total_rss = anon + file + shmem;
  const uint64_t hiwater_vm = std::max(mm->total_vm, mm->hiwater_vm);
  const uint64_t hiwater_rss = std::max(total_rss, mm->hiwater_rss);
  uint64_t text = PAGE_ALIGN(mm->end_code) - (mm->start_code & PAGE_MASK);
  text = std::min(text, mm->exec_vm << PAGE_SHIFT);
  const uint64_t lib = (mm->exec_vm << PAGE_SHIFT) - text;
  auto line = [](std::string* o, const char* k, uint64_t kb) {
    absl::StrAppendFormat(o, "%s\t%8u kB\n", k, kb);
  };
  std::string out;
  line(&out, "VmPeak:", hiwater_vm * 4);
  line(&out, "VmSize:", mm->total_vm * 4);
  line(&out, "VmLck:", mm->locked_vm * 4);
  line(&out, "VmPin:", mm->pinned_vm * 4);
  line(&out, "VmHWM:", hiwater_rss * 4);
  line(&out, "VmRSS:", total_rss * 4);
  line(&out, "RssAnon:", anon * 4);
  line(&out, "RssFile:", file * 4);
  line(&out, "RssShmem:", shmem * 4);
  line(&out, "VmData:", mm->data_vm * 4);
  line(&out, "VmStk:", mm->stack_vm * 4);
  line(&out, "VmExe:", text >> 10);
  line(&out, "VmLib:", lib >> 10);
  line(&out, "VmSwap:", static_cast<uint64_t>(mm->rss_stat[MM_SWAPENTS]) * 4);
  return out;
}

std::string proc_meminfo(const Machine& m) {
  const VmStat& s = m.vmstat;
  auto kb = [](int64_t pages) { return static_cast<uint64_t>(pages) * 4; };
  std::string out;
  kb_line(&out, "MemTotal:", m.config().ram_pages * 4);
  kb_line(&out, "MemFree:", kb(s[nr_free_pages]));
  kb_line(&out, "Active:", kb(s[nr_active_anon] + s[nr_active_file]));
  kb_line(&out, "Inactive:", kb(s[nr_inactive_anon] + s[nr_inactive_file]));
  kb_line(&out, "Active(anon):", kb(s[nr_active_anon]));
  kb_line(&out, "Inactive(anon):", kb(s[nr_inactive_anon]));
  kb_line(&out, "Active(file):", kb(s[nr_active_file]));
  kb_line(&out, "Inactive(file):", kb(s[nr_inactive_file]));
  kb_line(&out, "Unevictable:", kb(s[nr_unevictable]));
  kb_line(&out, "Mlocked:", kb(s[nr_mlock]));
  kb_line(&out, "SwapTotal:", total_swap_pages(m) * 4);
  kb_line(&out, "SwapFree:", nr_swap_pages(m) * 4);
  kb_line(&out, "AnonPages:", kb(s[nr_anon_pages]));
  kb_line(&out, "Mapped:", kb(s[nr_mapped]));
  return out;
}

std::string proc_swaps(const Machine& m) {
  std::string out = "Filename\t\t\t\tType\t\tSize\t\tUsed\t\tPriority\n";
  for (const auto& si : m.swap_info) {
    if (!si) continue;
    // swap_show: the path, spaces to column 40 (at least one), then sizes in kB.
    const uint64_t bytes = si->pages * 4, inuse = si->inuse_pages * 4;
    const size_t pad = si->path.size() < 40 ? 40 - si->path.size() : 1;
    absl::StrAppend(&out, si->path, std::string(pad, ' '), "file\t", bytes, "\t",
                    bytes < 10000000 ? "\t" : "", inuse, "\t", inuse < 10000000 ? "\t" : "",
                    si->prio, "\n");
  }
  return out;
}

std::string proc_vmstat(const Machine& m) {
  std::string out;
  for (int i = 0; i < NR_VMSTAT_ITEMS; ++i) {
    absl::StrAppendFormat(&out, "%s %d\n", vmstat_name(static_cast<VmStatItem>(i)), m.vmstat.v[i]);
  }
  return out;
}

uint64_t stable_page_flags(const Machine& m, uint32_t idx) {
  if (idx == ZERO_FOLIO) return (1ull << KPF_ZERO_PAGE) | (1ull << KPF_RESERVED);
  const Folio& f = m.folio(idx);
  uint64_t u = 0;
  auto set = [&](bool c, int bit) {
    if (c) u |= 1ull << bit;
  };
  set(f.mapcount > 0, KPF_MMAP);
  set(f.flags & PG_anon_mapping, KPF_ANON);
  set(f.flags & PG_locked, KPF_LOCKED);
  set(f.flags & PG_referenced, KPF_REFERENCED);
  set(f.flags & PG_uptodate, KPF_UPTODATE);
  set(f.flags & PG_dirty, KPF_DIRTY);
  set(f.flags & PG_lru, KPF_LRU);
  set(f.flags & PG_active, KPF_ACTIVE);
  set(f.flags & PG_swapcache, KPF_SWAPCACHE);
  set(f.flags & PG_swapbacked, KPF_SWAPBACKED);
  set(f.flags & PG_unevictable, KPF_UNEVICTABLE);
  set(f.flags & PG_mlocked, KPF_MLOCKED);
  return u;
}

PageInfo page_info(const Task& t, uint64_t addr) {
  PageInfo pi;
  const Pte* p = t.mm->page_table.find(addr >> PAGE_SHIFT);
  if (!p) return pi;
  const Pte& pte = *p;
  if (pte.kind == Pte::kSwap) {
    pi.swapped = true;
    const SwpEntry e = swp_unpack(pte.folio);
    pi.swap_type = e.type;
    pi.swap_offset = e.offset;
    return pi;
  }
  pi.present = true;
  pi.folio = pte.folio;
  pi.writable = pte.write;
  pi.kpageflags = stable_page_flags(*t.machine, pte.folio);
  pi.kpagecount = pte.folio == ZERO_FOLIO ? 0 : t.machine->folio(pte.folio).mapcount;
  return pi;
}

std::string kpageflags_names(uint64_t flags) {
  static const FlagName kKpf[] = {
      {KPF_LOCKED, "locked"},
      {KPF_REFERENCED, "referenced"},
      {KPF_UPTODATE, "uptodate"},
      {KPF_DIRTY, "dirty"},
      {KPF_LRU, "lru"},
      {KPF_ACTIVE, "active"},
      {KPF_MMAP, "mmap"},
      {KPF_ANON, "anonymous"},
      {KPF_SWAPCACHE, "swapcache"},
      {KPF_SWAPBACKED, "swapbacked"},
      {KPF_UNEVICTABLE, "unevictable"},
      {KPF_NOPAGE, "nopage"},
      {KPF_ZERO_PAGE, "zero_page"},
      {KPF_RESERVED, "reserved"},
      {KPF_MLOCKED, "mlocked"},
  };
  std::string s;
  for (const FlagName& fn : kKpf) {
    if (flags & (1ull << fn.bit)) {
      if (!s.empty()) s += ',';
      s += fn.name;
    }
  }
  return s;
}

}  // namespace mmsim
