// Tests of sim/vmscan.cc: reclaim honours VM_LOCKED through the rmap walks
// (folio_referenced, try_to_unmap), MADV_PAGEOUT without swap, and the shape of a reclaim
// pass as mm/vmscan.c 6.18 runs it, call by call: get_scan_count's targets, shrink_lruvec's
// early stop and proportional trim, kswapd_shrink_node's priority walk, and what one kswapd
// wake-up frees.
#include <fcntl.h>
#include <gtest/gtest.h>

#include <cstdio>

#include "mmsim/procfs.h"
#include "mmsim/syscalls.h"
#include "sim/internal.h"

namespace mmsim {
namespace {

MachineConfig SmallMachine() {
  MachineConfig c;
  c.ram_pages = 4096;  // 16 MiB: watermarks min 128, low 160, high 192 pages
  c.check_invariants = true;
  return c;
}

TEST(Vmscan, WatermarksFollowSetupPerZoneWmarks) {
  Machine m(SmallMachine());
  EXPECT_EQ(m.wmark_min, 128u);  // sqrt(16384 kB * 16) = 512 kB
  EXPECT_EQ(m.wmark_low, 160u);
  EXPECT_EQ(m.wmark_high, 192u);
}

// A file larger than memory is read through two mappings of it: the locked one (first 64
// pages) and an unlocked one. Reclaim frees unlocked page-cache pages and never a page
// that a VM_LOCKED VMA maps, even though the unlocked mapping maps it too.
TEST(Vmscan, ReclaimNeverEvictsPagesMappedByVmLocked) {
  Machine m(SmallMachine());
  Task& t = m.spawn("A", Image::kEmpty);
  constexpr uint64_t kPages = 8192;
  ASSERT_NE(m.create_file("/data/big", kPages * PAGE_SIZE), nullptr);
  long fd = sys_open(t, "/data/big", O_RDONLY);
  ASSERT_GE(fd, 3);
  long locked = sys_mmap(t, 0, 64 * PAGE_SIZE, PROT_READ, MAP_SHARED, static_cast<int>(fd), 0);
  ASSERT_GT(locked, 0);
  ASSERT_EQ(sys_mlock(t, locked, 64 * PAGE_SIZE), 0);
  long all = sys_mmap(t, 0, kPages * PAGE_SIZE, PROT_READ, MAP_SHARED, static_cast<int>(fd), 0);
  ASSERT_GT(all, 0);
  ASSERT_EQ(user_access(t, all, kPages * PAGE_SIZE, false), 0);
  EXPECT_GT(m.vmstat[pgsteal_file], 0);
  for (uint64_t i = 0; i < 64; ++i) {
    PageInfo pi = page_info(t, locked + i * PAGE_SIZE);
    ASSERT_TRUE(pi.present) << i;
    EXPECT_TRUE(pi.kpageflags & (1ull << KPF_MLOCKED)) << i;
  }
  EXPECT_TRUE(m.invariant_status().ok()) << m.invariant_status();
}

// No swap: MADV_PAGEOUT of written anonymous pages cannot reclaim them; shrink_folio_list
// activates them (pgactivate) and they return through the lru_add batch.
TEST(Vmscan, PageoutWithoutSwapActivatesAnonPages) {
  Machine m(SmallMachine());
  Task& t = m.spawn("A", Image::kEmpty);
  long p =
      sys_mmap(t, 0, 4 * PAGE_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  ASSERT_EQ(user_access(t, p, 4 * PAGE_SIZE, true), 0);
  lru_add_drain(m);
  const int64_t act = m.vmstat[pgactivate];
  ASSERT_EQ(sys_madvise(t, p, 4 * PAGE_SIZE, MADV_PAGEOUT), 0);
  EXPECT_EQ(m.vmstat[pgactivate], act + 4);
  PageInfo pi = page_info(t, p);
  EXPECT_TRUE(pi.present);
  EXPECT_TRUE(pi.kpageflags & (1ull << KPF_ACTIVE));
  EXPECT_FALSE(pi.kpageflags & (1ull << KPF_LRU));  // in the lru_add batch until a drain
  lru_add_drain(m);
  EXPECT_EQ(m.vmstat[nr_active_anon], 4);
  EXPECT_TRUE(m.invariant_status().ok()) << m.invariant_status();
}

// A folio on the inactive list mapped by a VM_LOCKED VMA but not PG_mlocked (possible when
// mlock_count erred low) is found by folio_referenced, mlocked, and culled.
TEST(Vmscan, FolioReferencedMlocksAndStops) {
  Machine m(SmallMachine());
  Task& t = m.spawn("A", Image::kEmpty);
  long p = sys_mmap(t, 0, PAGE_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  ASSERT_EQ(user_access(t, p, PAGE_SIZE, true), 0);
  lru_add_drain(m);
  Vma* v = vma_lookup(t.mm.get(), p);
  v->vm_flags |= VM_LOCKED;  // as if the page had been munlocked early by a low count
  t.mm->locked_vm += 1;
  vm_flags_t flags;
  const uint32_t folio = page_info(t, p).folio;
  EXPECT_EQ(folio_referenced(m, folio, &flags), 0);
  EXPECT_TRUE(flags & VM_LOCKED);
  EXPECT_TRUE(m.folio(folio).flags & PG_mlocked);
  EXPECT_FALSE(try_to_unmap(m, folio));
}

// folio_check_references, one row per case: the folio's type and mapping, its PG_referenced,
// how many PTEs are young; the answer and PG_referenced after. A VM_LOCKED mapping answers
// ACTIVATE before PG_referenced is tested, so the folio keeps it (6.18; the young PTE stays
// too: the rmap walk stopped at the locked VMA).
TEST(Vmscan, FolioCheckReferencesTable) {
  enum Kind { kAnon, kFile, kExecFile, kExecAnon, kLockedAnon };
  struct Row {
    const char* what;
    Kind kind;
    bool referenced;
    int young;  // PTEs (two: a forked child shares the anonymous page)
    FolioReferences want;
    bool referenced_after;
  };
  const Row rows[] = {
      {"anon, unreferenced, no young PTE", kAnon, false, 0, FOLIOREF_RECLAIM, false},
      {"anon, PG_referenced only (swapbacked)", kAnon, true, 0, FOLIOREF_RECLAIM, false},
      {"anon, one young PTE: second trip", kAnon, false, 1, FOLIOREF_KEEP, true},
      {"anon, young PTE and PG_referenced", kAnon, true, 1, FOLIOREF_ACTIVATE, true},
      {"anon, two young PTEs", kAnon, false, 2, FOLIOREF_ACTIVATE, true},
      {"file, PG_referenced only: reclaim if clean", kFile, true, 0, FOLIOREF_RECLAIM_CLEAN, false},
      {"file, one young PTE", kFile, false, 1, FOLIOREF_KEEP, true},
      {"exec file, one young PTE", kExecFile, false, 1, FOLIOREF_ACTIVATE, true},
      {"exec anon, one young PTE (not file-LRU)", kExecAnon, false, 1, FOLIOREF_KEEP, true},
      {"locked, PG_referenced kept", kLockedAnon, true, 1, FOLIOREF_ACTIVATE, true},
      {"locked, unreferenced", kLockedAnon, false, 0, FOLIOREF_ACTIVATE, false},
  };
  for (const Row& r : rows) {
    SCOPED_TRACE(r.what);
    Machine m(SmallMachine());
    Task& t = m.spawn("A", Image::kEmpty);
    const bool file = r.kind == kFile || r.kind == kExecFile;
    const bool exec = r.kind == kExecFile || r.kind == kExecAnon;
    long p;
    if (file) {
      m.create_file("/f", PAGE_SIZE);
      const long fd = sys_open(t, "/f", O_RDONLY);
      p = sys_mmap(t, 0, PAGE_SIZE, PROT_READ | (exec ? PROT_EXEC : 0), MAP_PRIVATE,
                   static_cast<int>(fd), 0);
      ASSERT_EQ(user_access(t, p, PAGE_SIZE, false), 0);
    } else {
      p = sys_mmap(t, 0, PAGE_SIZE, PROT_READ | PROT_WRITE | (exec ? PROT_EXEC : 0),
                   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
      ASSERT_EQ(user_access(t, p, PAGE_SIZE, true), 0);
    }
    std::vector<Task*> mappers = {&t};
    if (r.young == 2) mappers.push_back(m.find_task(static_cast<int>(sys_fork(t))));
    lru_add_drain_all(m);
    const uint32_t folio = page_info(t, p).folio;
    if (r.kind == kLockedAnon) {
      vma_lookup(t.mm.get(), p)->vm_flags |= VM_LOCKED;  // as if mlock_count had erred low
    }
    for (size_t i = 0; i < mappers.size(); ++i) {
      Pte* pte = mappers[i]->mm->page_table.find(p >> PAGE_SHIFT);
      ASSERT_NE(pte, nullptr);
      ASSERT_EQ(pte->folio, folio);
      pte->young = static_cast<int>(i) < r.young;
    }
    Folio& f = m.folio(folio);
    if (r.referenced)
      f.flags |= PG_referenced;
    else
      f.flags &= ~PG_referenced;
    EXPECT_EQ(folio_check_references(m, folio), r.want);
    EXPECT_EQ((m.folio(folio).flags & PG_referenced) != 0, r.referenced_after);
    const Pte* pte = t.mm->page_table.find(p >> PAGE_SHIFT);
    EXPECT_EQ(pte->young, r.kind == kLockedAnon && r.young > 0);
    if (r.kind == kLockedAnon) {
      EXPECT_TRUE(m.folio(folio).flags & PG_mlocked);
    }
  }
}

// ---- the reclaim pass, call by call ----

// A machine of `ram_pages` holding `file_pages` of page cache that is unmapped and
// referenced (read once through a mapping that is gone: zap's folio_mark_accessed), all on
// the inactive file list, and optionally `anon_pages` of written anonymous memory (young
// PTEs, inactive anon list).
class ReclaimPass : public ::testing::Test {
 protected:
  void Build(uint64_t ram_pages, uint64_t file_pages, uint64_t anon_pages, bool swap) {
    MachineConfig c;
    c.ram_pages = ram_pages;
    m_ = std::make_unique<Machine>(c);
    t_ = &m_->spawn("A", Image::kEmpty);
    if (swap) {
      m_->create_file("/swapfile", (anon_pages + 1) * PAGE_SIZE);
      ASSERT_EQ(sys_swapon(*t_, "/swapfile", 0), 0);
    }
    if (file_pages) {
      ASSERT_NE(m_->create_file("/data/f", file_pages * PAGE_SIZE), nullptr);
      const long fd = sys_open(*t_, "/data/f", O_RDONLY);
      const long p =
          sys_mmap(*t_, 0, file_pages * PAGE_SIZE, PROT_READ, MAP_SHARED, static_cast<int>(fd), 0);
      ASSERT_GT(p, 0);
      ASSERT_EQ(user_access(*t_, p, file_pages * PAGE_SIZE, false), 0);
      ASSERT_EQ(sys_munmap(*t_, p, file_pages * PAGE_SIZE), 0);
    }
    if (anon_pages) {
      anon_ = sys_mmap(*t_, 0, anon_pages * PAGE_SIZE, PROT_READ | PROT_WRITE,
                       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
      ASSERT_GT(anon_, 0);
      ASSERT_EQ(user_access(*t_, anon_, anon_pages * PAGE_SIZE, true), 0);
    }
    lru_add_drain(*m_);
    ASSERT_EQ(m_->vmstat[pgscan_kswapd] + m_->vmstat[pgscan_direct], 0) << "set-up reclaimed";
    ASSERT_EQ(m_->lru_lists[LRU_INACTIVE_FILE].nr, static_cast<int64_t>(file_pages));
    ASSERT_EQ(m_->lru_lists[LRU_INACTIVE_ANON].nr, static_cast<int64_t>(anon_pages));
  }
  // Counter deltas since the last call.
  int64_t Delta(VmStatItem i) {
    const int64_t d = m_->vmstat[i] - seen_[i];
    seen_[i] = m_->vmstat[i];
    return d;
  }
  void Mark() { seen_ = m_->vmstat; }

  std::unique_ptr<Machine> m_;
  Task* t_ = nullptr;
  long anon_ = 0;
  VmStat seen_;
};

// get_scan_count's table: size >> priority per list, split by the scan balance.
TEST_F(ReclaimPass, GetScanCountBalances) {
  Build(65536, 30000, 20000, /*swap=*/true);  // wmarks 512 / 640 / 768
  ScanControl sc;
  uint64_t nr[NR_LRU_LISTS];
  auto scan = [&](int priority) {
    sc.priority = priority;
    prepare_scan_control(*m_, sc);
    get_scan_count(*m_, sc, nr);
  };
  // Plenty of inactive file and no refault: cache-trim mode scans file only.
  scan(6);
  EXPECT_TRUE(sc.cache_trim_mode);
  EXPECT_EQ(nr[LRU_INACTIVE_ANON], 0u);
  EXPECT_EQ(nr[LRU_INACTIVE_FILE], 30000u >> 6);
  // A file refault since the last snapshot_refaults asks for file deactivation, which ends
  // cache-trim mode: SCAN_FRACT, costs 0, swappiness 60 → anon:file = 60:140.
  m_->vmstat[workingset_activate_file]++;
  scan(6);
  EXPECT_FALSE(sc.cache_trim_mode);
  EXPECT_EQ(sc.may_deactivate, unsigned{DEACTIVATE_FILE});
  EXPECT_EQ(nr[LRU_INACTIVE_ANON], (20000u >> 6) * 60 / 200);
  EXPECT_EQ(nr[LRU_INACTIVE_FILE], (30000u >> 6) * 140 / 200);
  // Costs: anon 100, file 0 → ap = 60*301/201 = 89, fp = 140*301/101 = 417.
  m_->anon_cost = 100;
  scan(6);
  EXPECT_EQ(nr[LRU_INACTIVE_ANON], (20000u >> 6) * 89 / (89 + 417));
  EXPECT_EQ(nr[LRU_INACTIVE_FILE], (30000u >> 6) * 417 / (89 + 417));
  m_->anon_cost = 0;
  // swappiness 200: file gets no share; 0: anon gets none.
  m_->swappiness = 200;
  scan(6);
  EXPECT_EQ(nr[LRU_INACTIVE_FILE], 0u);
  EXPECT_EQ(nr[LRU_INACTIVE_ANON], 20000u >> 6);
  m_->swappiness = 0;
  scan(6);
  EXPECT_EQ(nr[LRU_INACTIVE_ANON], 0u);
  // At priority 0 swappiness 0 still is not SCAN_EQUAL (anon stays at 0); 60 is.
  scan(0);
  EXPECT_EQ(nr[LRU_INACTIVE_ANON], 0u);
  m_->swappiness = 60;
  scan(0);
  EXPECT_EQ(nr[LRU_INACTIVE_ANON], 20000u);
  EXPECT_EQ(nr[LRU_INACTIVE_FILE], 30000u);
  // No free swap: anon is never scanned, whatever the swappiness.
  m_->swappiness = 200;
  ASSERT_EQ(sys_swapoff(*t_, "/swapfile"), 0);
  scan(0);
  EXPECT_EQ(nr[LRU_INACTIVE_ANON], 0u);
  EXPECT_EQ(nr[LRU_INACTIVE_FILE], m_->lru_lists[LRU_INACTIVE_FILE].nr);
}

// shrink_lruvec, direct reclaim below DEF_PRIORITY: once nr_to_reclaim is met it stops the
// type with less left to scan (anon) and trims the other's target to the share the stopped
// one reached; the next round scans one more batch and, the stopped type being at zero,
// ends ("only one nudge towards proportionality"). Anon folios have young PTEs (kept: a
// second chance); file folios go.
TEST_F(ReclaimPass, ShrinkLruvecStopsOneTypeAndTrimsTheOther) {
  Build(65536, 30000, 20000, /*swap=*/true);
  m_->vmstat[workingset_activate_file]++;  // SCAN_FRACT, as above
  Mark();
  ScanControl sc;
  sc.priority = 6;
  sc.nr_to_reclaim = 64;
  shrink_node(*m_, sc);
  // Targets: anon 312*60/200 = 93, file 468*140/200 = 327. Two rounds of 32 + 32 reach 64
  // reclaimed; anon has 29 of 93 left (30%): anon stops, file's target becomes 70% of 327 =
  // 228 (164 left). One more round scans 32 file folios, then the loop sees anon at 0.
  EXPECT_EQ(Delta(pgscan_anon), 64);
  EXPECT_EQ(Delta(pgscan_file), 96);
  EXPECT_EQ(Delta(pgsteal_file), 96);
  EXPECT_EQ(Delta(pgsteal_anon), 0);
  EXPECT_EQ(sc.nr_reclaimed, 96u);
  // lru_note_cost: 64 anon folios rotated (scanned, not reclaimed), nothing written.
  EXPECT_EQ(m_->anon_cost, 64u);
  EXPECT_EQ(m_->file_cost, 0u);
}

// kswapd_shrink_node from DEF_PRIORITY down, as balance_pgdat calls it, on 60000 inactive
// file folios: each call scans size >> priority until one call reaches the high watermark's
// worth (768), where shrink_lruvec stops and the priority need not rise any more.
TEST_F(ReclaimPass, KswapdShrinkNodeWalksThePriorities) {
  Build(65536, 60000, 0, /*swap=*/false);
  Mark();
  ScanControl sc;
  sc.kswapd = true;
  int64_t list = 60000;
  const int64_t expect_scan[] = {14, 29, 58, 116, 233, 465};  // size >> 12 .. >> 7, size shrinking
  for (int i = 0; i < 6; ++i) {
    sc.priority = DEF_PRIORITY - i;
    sc.nr_scanned = 0;
    EXPECT_EQ(list >> sc.priority, expect_scan[i]);
    EXPECT_FALSE(kswapd_shrink_node(*m_, sc)) << sc.priority;  // scanned < 768: raise priority
    EXPECT_EQ(Delta(pgscan_kswapd), expect_scan[i]) << sc.priority;
    EXPECT_EQ(Delta(pgsteal_kswapd), expect_scan[i]) << sc.priority;
    list -= expect_scan[i];
  }
  // Priority 6: the target is 59085 >> 6 = 923, but reclaim stops at nr_to_reclaim.
  sc.priority = 6;
  sc.nr_scanned = 0;
  EXPECT_TRUE(kswapd_shrink_node(*m_, sc));
  EXPECT_EQ(sc.nr_to_reclaim, m_->wmark_high);
  EXPECT_EQ(Delta(pgscan_kswapd), 768);
  EXPECT_EQ(Delta(pgsteal_kswapd), 768);
  EXPECT_EQ(Delta(pgscan_direct), 0);
}

// Global direct reclaim at DEF_PRIORITY finishes its batch past nr_to_reclaim; kswapd (or
// direct reclaim at a lower priority) stops there. 140000 pages: a target of 34 at priority
// 12, scanned in batches of 32 and 2.
TEST_F(ReclaimPass, DirectReclaimAtDefPriorityFinishesItsBatch) {
  Build(262144, 140000, 0, /*swap=*/false);  // 1 GiB
  Mark();
  ScanControl direct;
  direct.nr_to_reclaim = 32;
  shrink_node(*m_, direct);
  EXPECT_EQ(Delta(pgscan_direct), 34);
  ScanControl kswapd;
  kswapd.kswapd = true;
  kswapd.nr_to_reclaim = 32;
  shrink_node(*m_, kswapd);
  EXPECT_EQ(Delta(pgscan_kswapd), 32);
  // do_try_to_free_pages stops lowering the priority as soon as the target is met.
  EXPECT_EQ(do_try_to_free_pages(*m_, 32, false), 34u);
  EXPECT_EQ(Delta(allocstall_movable), 1);
}

// One kswapd wake-up frees about what the high watermark lacks, not the cache: page cache
// read through a window that keeps being unmapped fills a 64 MiB machine three times over.
// Every wake-up (pageoutrun) starts just below the low watermark and frees at least the
// low-high gap and less than twice it plus a batch.
TEST_F(ReclaimPass, PgstealPerKswapdWakeUpStaysNearTheWatermarkGap) {
  Build(16384, 0, 0, /*swap=*/false);  // wmarks 256 / 320 / 384
  const uint64_t gap = m_->wmark_high - m_->wmark_low;
  ASSERT_EQ(gap, 64u);
  constexpr uint64_t kPages = 3 * 16384, kWindow = 1024;
  ASSERT_NE(m_->create_file("/data/big", kPages * PAGE_SIZE), nullptr);
  const long fd = sys_open(*t_, "/data/big", O_RDONLY);
  int wakeups = 0;
  int64_t min_freed = INT64_MAX, max_freed = 0;
  Mark();
  for (uint64_t w = 0; w < kPages; w += kWindow) {
    const long p = sys_mmap(*t_, 0, kWindow * PAGE_SIZE, PROT_READ, MAP_SHARED,
                            static_cast<int>(fd), w * PAGE_SIZE);
    ASSERT_GT(p, 0);
    for (uint64_t i = 0; i < kWindow; ++i) {
      ASSERT_EQ(user_access(*t_, p + i * PAGE_SIZE, 1, false), 0);
      if (Delta(pageoutrun) == 0) {
        Delta(pgsteal_kswapd);
        continue;
      }
      ++wakeups;
      const int64_t freed = Delta(pgsteal_kswapd);
      min_freed = std::min(min_freed, freed);
      max_freed = std::max(max_freed, freed);
    }
    ASSERT_EQ(sys_munmap(*t_, p, kWindow * PAGE_SIZE), 0);
  }
  std::printf("%d kswapd wake-ups freed %ld..%ld pages each (%.1f on average); gap %lu\n", wakeups,
              min_freed, max_freed, static_cast<double>(m_->vmstat[pgsteal_kswapd]) / wakeups, gap);
  EXPECT_GT(wakeups, 100);
  EXPECT_GE(min_freed, static_cast<int64_t>(gap));
  EXPECT_LE(max_freed, static_cast<int64_t>(2 * gap + SWAP_CLUSTER_MAX));
  EXPECT_EQ(m_->vmstat[pgscan_direct], 0);
  EXPECT_EQ(m_->kswapd_failures, 0);
}

}  // namespace
}  // namespace mmsim
