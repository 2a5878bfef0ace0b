// Seeded random property test of the VMA / mlock model: many short random syscall sequences
// (mmap with and without MAP_FIXED / MAP_LOCKED / MAP_POPULATE, munmap, mprotect, mlock,
// mlock2, munlock, mlockall, munlockall, madvise, msync, brk, setrlimit(RLIMIT_MEMLOCK), capset,
// user accesses, small vm.max_map_count values). After every operation Machine::check_invariants
// must hold, plus these cross-checks, each a guarantee of the real kernel for the operations
// used here (no fork, no swap, no memory pressure):
//  - each syscall returns a value from the set of errnos its kernel function can produce;
//  - a successful mlock/mlock2 leaves every page of the range in a VM_LOCKED VMA (except
//    VMAs mlock_fixup never locks), and, without MLOCK_ONFAULT, present in the page tables
//    (population succeeded: __mm_populate with ignore_errors = 0);
//  - a successful munlock leaves no page of the range in a VM_LOCKED VMA;
//  - VM_SPECIAL and VM_DROPPABLE VMAs never carry VM_LOCKED / VM_LOCKONFAULT;
//  - def_flags holds only VM_LOCKED or VM_LOCKED|VM_LOCKONFAULT (or nothing) of the lock bits;
//  - every anonymous folio mapped once, by a VM_LOCKED VMA, is PG_mlocked (mlock_new_folio at
//    fault, mlock_vma_pages_range at mlock time).
// Deliberately NOT checked: "adjacent compatible VMAs are always merged" — the kernel does not
// guarantee it (a split that fails half-way leaves two identical unlocked neighbours; anon_vma
// rules keep others apart).
//
// MMSIM_PROPERTY_SEQUENCES overrides the number of sequences (default 10,000 x 30 operations);
// MMSIM_PROPERTY_SEED the base seed.
#include <fcntl.h>

#include <cstdlib>
#include <iostream>
#include <iterator>
#include <map>
#include <random>

#include "tests/mm_test_util.h"

namespace mmsim {
namespace {

using testing_util::DescribeVma;
using testing_util::P;

constexpr int kOpsPerSequence = 30;
constexpr uint64_t kWindowPages = 48;
constexpr uint64_t kFixedBase = 0x7e0000000000;

uint64_t EnvOr(const char* name, uint64_t dflt) {
  const char* s = std::getenv(name);
  if (!s || !*s) return dflt;
  return std::strtoull(s, nullptr, 0);
}

bool OneOf(long r, std::initializer_list<long> allowed) {
  for (long a : allowed) {
    if (r == a) return true;
  }
  return false;
}

class Sequence {
 public:
  Sequence(uint64_t seed, std::map<std::string, uint64_t>* stats)
      : stats_(stats), rng_(seed), m_(Config(rng_)), t_(m_.spawn("p", Image::kEmpty)) {
    m_.create_file("/data", 8 * P);
    fd_ = static_cast<int>(sys_open(t_, "/data", O_RDWR));
    // Windows: one at a fixed address for MAP_FIXED work, one just below mmap_base where
    // hint-less mappings land.
    windows_[0] = kFixedBase;
    windows_[1] = t_.mm->mmap_base - kWindowPages * P;
    if (rng_() % 3 == 0) m_.set_max_map_count(1 + static_cast<int>(rng_() % 12));
    // Something to work on: one or two fixed mappings.
    for (int i = 0, n = 1 + static_cast<int>(Pick(2)); i < n; ++i) {
      sys_mmap(t_, kFixedBase + Pick(kWindowPages / 2) * P, (1 + Pick(8)) * P,
               PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
    }
  }

  // Runs one random operation; returns a description of a broken property or "".
  std::string Step(int i) {
    std::string op;
    std::string err = RandomOp(&op);
    ++(*stats_)[absl::StrCat(op.substr(0, op.find_first_of("(=")), last_ < 0 ? " err" : " ok")];
    if (err.empty()) {
      absl::Status s = m_.check_invariants();
      if (!s.ok()) err = std::string(s.message());
    }
    if (err.empty()) err = CrossCheck();
    if (!err.empty()) return absl::StrFormat("op %d: %s: %s", i, op, err);
    return "";
  }

  std::string Maps() const {
    std::string out;
    for (const auto& [s, v] : t_.mm->mm_mt) out += DescribeVma(v.get(), kFixedBase) + "\n";
    return out;
  }

 private:
  static MachineConfig Config(std::mt19937_64& rng) {
    MachineConfig c;
    c.ram_pages = 1 << 16;
    c.check_invariants = false;  // checked explicitly after every step
    return c;
  }

  uint64_t Pick(uint64_t n) { return rng_() % n; }
  bool Chance(int percent) { return Pick(100) < static_cast<uint64_t>(percent); }

  // A page-aligned range, mostly starting inside an existing VMA, else anywhere in a window;
  // sometimes unaligned, empty, or running past the VMA.
  void RandomRange(uint64_t* start, uint64_t* len) {
    const MmStruct* mm = t_.mm.get();
    if (!mm->mm_mt.empty() && Chance(60)) {
      auto it = mm->mm_mt.begin();
      std::advance(it, Pick(mm->mm_mt.size()));
      const Vma* v = it->second.get();
      *start = v->vm_start + Pick(v->pages()) * P;
      *len = (1 + Pick((v->vm_end - *start) / P + (Chance(20) ? 3 : 0))) * P;
      if (Chance(3)) *start += 1 + Pick(P - 1);
      return;
    }
    const uint64_t base = windows_[Pick(2)];
    const uint64_t first = Pick(kWindowPages);
    const uint64_t pages = 1 + Pick(Chance(20) ? kWindowPages : 6);
    *start = base + first * P;
    *len = pages * P;
    if (Chance(5)) *start += 1 + Pick(P - 1);
    if (Chance(5)) *len = Pick(3) == 0 ? 0 : *len - 1 - Pick(P - 1);
  }

  uint64_t RandomProt() {
    switch (Pick(8)) {
      case 0:
        return PROT_NONE;
      case 1:
      case 2:
        return PROT_READ;
      case 3:
        return PROT_READ | PROT_WRITE | PROT_EXEC;
      default:
        return PROT_READ | PROT_WRITE;
    }
  }

  std::string RandomOp(std::string* op) {
    MmStruct* mm = t_.mm.get();
    uint64_t start, len;
    RandomRange(&start, &len);
    const int kind = static_cast<int>(Pick(100));
    long& r = last_;
    r = 0;
    if (kind < 20) {  // mmap
      uint64_t flags = Chance(10) ? MAP_SHARED : MAP_PRIVATE;
      int fd = -1;
      uint64_t off = 0;
      if (Chance(12)) {
        fd = fd_;
        off = Pick(4) * P;
      } else {
        flags |= MAP_ANONYMOUS;
        if (Chance(4)) flags = MAP_DROPPABLE | MAP_ANONYMOUS;
      }
      uint64_t addr = 0;
      const int placement = static_cast<int>(Pick(10));
      if (placement < 6) {
        addr = start & PAGE_MASK;
        flags |= Chance(80) ? MAP_FIXED : MAP_FIXED_NOREPLACE;
      } else if (placement < 8) {
        addr = start & PAGE_MASK;  // hint only
      }
      if (Chance(15)) flags |= MAP_LOCKED;
      if (Chance(10)) flags |= MAP_POPULATE;
      const uint64_t prot = RandomProt();
      const uint64_t mlen = len ? len : P;
      *op = absl::StrFormat("mmap(%#x, %#x, %#x, %#x, %d, %#x)", addr, mlen, prot, flags, fd, off);
      r = sys_mmap(t_, addr, mlen, prot, flags, fd, off);
      if (r < 0 && !OneOf(r, {-EINVAL, -ENOMEM, -EPERM, -EAGAIN, -EEXIST, -EACCES}))
        return absl::StrCat("unexpected result ", r);
      if (r >= 0 && (flags & MAP_FIXED) && static_cast<uint64_t>(r) != addr)
        return "MAP_FIXED mapping placed elsewhere";
    } else if (kind < 28) {  // munmap
      *op = absl::StrFormat("munmap(%#x, %#x)", start, len);
      r = sys_munmap(t_, start, len);
      if (!OneOf(r, {0, -EINVAL, -ENOMEM})) return absl::StrCat("unexpected result ", r);
    } else if (kind < 38) {  // mprotect
      const uint64_t prot = RandomProt();
      *op = absl::StrFormat("mprotect(%#x, %#x, %#x)", start, len, prot);
      r = sys_mprotect(t_, start, len, prot);
      if (!OneOf(r, {0, -EINVAL, -ENOMEM, -EACCES})) return absl::StrCat("unexpected result ", r);
    } else if (kind < 52) {  // mlock / mlock2
      const bool two = Chance(50);
      const uint64_t flags = two ? (Chance(5) ? 2 : Pick(2)) : 0;
      *op = two ? absl::StrFormat("mlock2(%#x, %#x, %d)", start, len, flags)
                : absl::StrFormat("mlock(%#x, %#x)", start, len);
      r = two ? sys_mlock2(t_, start, len, flags) : sys_mlock(t_, start, len);
      if (!OneOf(r, {0, -EINVAL, -ENOMEM, -EPERM, -EAGAIN}))
        return absl::StrCat("unexpected result ", r);
      if (r == 0) return CheckRangeLocked(start, len, !(flags & MLOCK_ONFAULT));
    } else if (kind < 62) {  // munlock
      *op = absl::StrFormat("munlock(%#x, %#x)", start, len);
      r = sys_munlock(t_, start, len);
      if (!OneOf(r, {0, -EINVAL, -ENOMEM})) return absl::StrCat("unexpected result ", r);
      if (r == 0) return CheckRangeUnlocked(start, len);
    } else if (kind < 65) {  // mlockall
      static constexpr uint64_t kFlags[] = {MCL_CURRENT,
                                            MCL_FUTURE,
                                            MCL_CURRENT | MCL_FUTURE,
                                            MCL_CURRENT | MCL_ONFAULT,
                                            MCL_FUTURE | MCL_ONFAULT,
                                            MCL_CURRENT | MCL_FUTURE | MCL_ONFAULT,
                                            0,
                                            MCL_ONFAULT,
                                            8};
      const uint64_t flags = kFlags[Pick(std::size(kFlags))];
      *op = absl::StrFormat("mlockall(%#x)", flags);
      r = sys_mlockall(t_, flags);
      if (!OneOf(r, {0, -EINVAL, -ENOMEM, -EPERM})) return absl::StrCat("unexpected result ", r);
    } else if (kind < 67) {
      *op = "munlockall()";
      r = sys_munlockall(t_);
      if (r != 0) return absl::StrCat("unexpected result ", r);
      if (mm->def_flags & VM_LOCKED_MASK) return "def_flags still locked";
      for (const auto& [s, v] : mm->mm_mt) {
        if (v->vm_flags & VM_LOCKED_MASK) return "a VMA is still locked after munlockall";
      }
    } else if (kind < 77) {  // madvise
      static constexpr int kAdvice[] = {
          MADV_DONTFORK,   MADV_DOFORK,     MADV_WIPEONFORK,  MADV_KEEPONFORK, MADV_NORMAL,
          MADV_RANDOM,     MADV_SEQUENTIAL, MADV_DONTDUMP,    MADV_DODUMP,     MADV_HUGEPAGE,
          MADV_NOHUGEPAGE, MADV_MERGEABLE,  MADV_UNMERGEABLE, MADV_DONTNEED,   MADV_DONTNEED_LOCKED,
          MADV_COLD,       MADV_PAGEOUT,    MADV_WILLNEED};
      const int advice = kAdvice[Pick(std::size(kAdvice))];
      *op = absl::StrFormat("madvise(%#x, %#x, %d)", start, len, advice);
      r = sys_madvise(t_, start, len, advice);
      if (!OneOf(r, {0, -EINVAL, -ENOMEM, -EAGAIN})) return absl::StrCat("unexpected result ", r);
    } else if (kind < 79) {  // msync
      const int flags = Chance(50) ? MS_INVALIDATE : MS_SYNC;
      *op = absl::StrFormat("msync(%#x, %#x, %d)", start, len, flags);
      r = sys_msync(t_, start, len, flags);
      if (!OneOf(r, {0, -EINVAL, -ENOMEM, -EBUSY})) return absl::StrCat("unexpected result ", r);
    } else if (kind < 82) {  // brk
      const uint64_t target = mm->start_brk + Pick(6) * P;
      *op = absl::StrFormat("brk(%#x)", target);
      r = sys_brk(t_, target);
      if (r != static_cast<long>(target) && r != static_cast<long>(mm->brk))
        return absl::StrCat("brk returned ", r);
    } else if (kind < 86) {  // setrlimit(RLIMIT_MEMLOCK)
      static constexpr uint64_t kLimits[] = {0, 4095, 4 * P, 16 * P, 64 * P, 8 << 20};
      const uint64_t lim = kLimits[Pick(std::size(kLimits))];
      *op = absl::StrFormat("setrlimit(RLIMIT_MEMLOCK, %u)", lim);
      r = sys_setrlimit(t_, RLIMIT_MEMLOCK, lim, t_.rlim->max[RLIMIT_MEMLOCK]);
      if (r != 0) return absl::StrCat("unexpected result ", r);
    } else if (kind < 87) {  // capset: drop CAP_IPC_LOCK
      *op = "capset(-CAP_IPC_LOCK)";
      const uint64_t bit = uint64_t{1} << CAP_IPC_LOCK_BIT;
      r = sys_capset(t_, t_.cap_effective & ~bit, t_.cap_permitted & ~bit);
      if (r != 0) return absl::StrCat("unexpected result ", r);
    } else if (kind < 89) {  // vm.max_map_count
      const int v = Chance(50) ? mm->map_count + static_cast<int>(Pick(3)) : DEFAULT_MAX_MAP_COUNT;
      *op = absl::StrFormat("sysctl vm.max_map_count=%d", v);
      m_.set_max_map_count(v);
    } else {  // user access
      const bool write = Chance(50);
      *op = absl::StrFormat("%s(%#x, %#x)", write ? "write" : "read", start, len);
      r = user_access(t_, start, len, write);
      if (!OneOf(r, {0, -EFAULT})) return absl::StrCat("unexpected result ", r);
    }
    return "";
  }

  // mm/mlock.c do_mlock success: every VMA of the rounded range is locked (unless
  // mlock_fixup never locks it) and, without ONFAULT, populated.
  std::string CheckRangeLocked(uint64_t start, uint64_t len, bool populated) {
    MmStruct* mm = t_.mm.get();
    const uint64_t end = (start & PAGE_MASK) + PAGE_ALIGN(len + offset_in_page(start));
    if (end < (start & PAGE_MASK)) return "";  // wrapped: a no-op
    for (uint64_t a = start & PAGE_MASK; a < end; a += P) {
      const Vma* v = vma_lookup(mm, a);
      if (!v) return absl::StrFormat("mlock succeeded over the hole at %#x", a);
      if (v->vm_flags & (VM_SPECIAL | VM_DROPPABLE | VM_HUGETLB)) continue;
      if (!(v->vm_flags & VM_LOCKED))
        return absl::StrFormat("page %#x not VM_LOCKED after mlock", a);
      if (populated && !mm->page_table.find(a >> PAGE_SHIFT))
        return absl::StrFormat("page %#x not populated after a successful mlock", a);
    }
    return "";
  }

  std::string CheckRangeUnlocked(uint64_t start, uint64_t len) {
    MmStruct* mm = t_.mm.get();
    const uint64_t s = start & PAGE_MASK;
    const uint64_t end = s + PAGE_ALIGN(len + offset_in_page(start));
    if (end <= s) return "";
    for (const Vma* v = find_vma_intersection(mm, s, end); v && v->vm_start < end;
         v = vma_next(mm, v)) {
      if (v->vm_flags & VM_LOCKED_MASK)
        return absl::StrFormat("VMA %#x locked after munlock", v->vm_start);
    }
    return "";
  }

  std::string CrossCheck() {
    MmStruct* mm = t_.mm.get();
    const vm_flags_t lock_bits = mm->def_flags & VM_LOCKED_MASK;
    if (lock_bits != 0 && lock_bits != VM_LOCKED && lock_bits != VM_LOCKED_MASK)
      return "def_flags has VM_LOCKONFAULT without VM_LOCKED";
    for (const auto& [s, vp] : mm->mm_mt) {
      const Vma* v = vp.get();
      if ((v->vm_flags & (VM_SPECIAL | VM_DROPPABLE)) && (v->vm_flags & VM_LOCKED_MASK))
        return absl::StrFormat("VMA %#x is special or droppable and locked", v->vm_start);
      if (!(v->vm_flags & VM_LOCKED)) continue;
      std::string bad;
      sim_for_each_pte(mm, v->vm_start, v->vm_end, [&](uint64_t vpn, Pte& pte) {
        if (!bad.empty() || pte.kind != Pte::kPresent || pte.folio == ZERO_FOLIO) return;
        const Folio& f = m_.folio(pte.folio);
        if ((f.flags & PG_anon_mapping) && f.mapcount == 1 && !(f.flags & PG_mlocked))
          bad = absl::StrFormat("anonymous page %#x of a VM_LOCKED VMA is not PG_mlocked",
                                vpn << PAGE_SHIFT);
      });
      if (!bad.empty()) return bad;
    }
    return "";
  }

  std::map<std::string, uint64_t>* stats_;
  long last_ = 0;  // the last syscall's result
  std::mt19937_64 rng_;
  Machine m_;
  Task& t_;
  int fd_ = -1;
  uint64_t windows_[2];
};

TEST(PropertyTest, RandomSyscallSequencesKeepInvariants) {
  const uint64_t sequences = EnvOr("MMSIM_PROPERTY_SEQUENCES", 10000);
  const uint64_t seed = EnvOr("MMSIM_PROPERTY_SEED", 0x6d6d73696d);
  int failures = 0;
  std::map<std::string, uint64_t> stats;
  for (uint64_t i = 0; i < sequences && failures < 3; ++i) {
    Sequence seq(seed + i, &stats);
    for (int op = 0; op < kOpsPerSequence; ++op) {
      std::string err = seq.Step(op);
      if (!err.empty()) {
        ADD_FAILURE() << "sequence seed " << seed + i << ", " << err << "\nVMAs now (relative to "
                      << std::hex << kFixedBase << "):\n"
                      << seq.Maps();
        ++failures;
        break;
      }
    }
  }
  std::string summary;
  for (const auto& [k, n] : stats) absl::StrAppend(&summary, k, "=", n, " ");
  std::cout << "[ property ] " << sequences << " sequences: " << summary << "\n";
}

}  // namespace
}  // namespace mmsim
