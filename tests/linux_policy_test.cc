// Tests of sim/policy/linux.cc as a cache, on a Zipf(1.0) page-access trace with memory for
// a tenth of the pages, against small reference simulators of exact LRU and 2Q (Johnson and
// Shasha) over the same trace and the same number of resident pages. Measured (seed below):
// 2Q 0.2699 < LRU 0.3053 < linux 0.3073 < fifo 0.3454. The kernel's two lists do not beat
// exact LRU here: on anonymous memory shrink_active_list deactivates referenced folios too,
// so the active list is FIFO and only the inactive list gives a second chance. The test
// holds linux to within 1% of LRU, above 2Q, and well below FIFO (before reclaim followed
// 6.18, one kswapd wake-up could free the whole cache and linux missed more than FIFO).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <list>
#include <random>

#include "absl/container/flat_hash_map.h"
#include "mmsim/access_trace.h"
#include "mmsim/machine.h"

namespace mmsim {
namespace {

constexpr uint64_t kPages = 20000, kAccesses = 200000, kCapacity = kPages / 10;

// Page of rank r used with probability ~ 1/r; ranks scattered over the region. Every access
// writes (anonymous memory, so every page is swap-backed alike).
std::vector<uint64_t> ZipfPages() {
  std::mt19937_64 gen(20261206);
  std::vector<double> cdf(kPages);
  double sum = 0;
  for (uint64_t r = 0; r < kPages; ++r) cdf[r] = sum += 1.0 / static_cast<double>(r + 1);
  std::vector<uint64_t> page_of_rank(kPages);
  for (uint64_t r = 0; r < kPages; ++r) page_of_rank[r] = r;
  for (uint64_t r = kPages - 1; r > 0; --r)
    std::swap(page_of_rank[r], page_of_rank[gen() % (r + 1)]);
  std::vector<uint64_t> out(kAccesses);
  for (uint64_t& p : out) {
    const double u = static_cast<double>(gen() >> 11) * 0x1.0p-53 * sum;
    const uint64_t r =
        static_cast<uint64_t>(std::upper_bound(cdf.begin(), cdf.end(), u) - cdf.begin());
    p = page_of_rank[std::min(r, kPages - 1)];
  }
  return out;
}

// Exact LRU of `capacity` pages: misses.
uint64_t LruMisses(const std::vector<uint64_t>& pages, uint64_t capacity) {
  std::list<uint64_t> lru;  // front = most recent
  absl::flat_hash_map<uint64_t, std::list<uint64_t>::iterator> where;
  uint64_t misses = 0;
  for (uint64_t p : pages) {
    auto it = where.find(p);
    if (it != where.end()) {
      lru.splice(lru.begin(), lru, it->second);
      continue;
    }
    ++misses;
    if (lru.size() == capacity) {
      where.erase(lru.back());
      lru.pop_back();
    }
    lru.push_front(p);
    where[p] = lru.begin();
  }
  return misses;
}

// Full 2Q (Johnson and Shasha, 1994) of `capacity` pages: a FIFO A1in of a quarter of them
// for first uses, a ghost A1out remembering half as many evicted first uses, and an LRU Am
// for pages used again after leaving A1in. Misses.
uint64_t TwoQMisses(const std::vector<uint64_t>& pages, uint64_t capacity) {
  const uint64_t kin = capacity / 4, kout = capacity / 2;
  std::list<uint64_t> a1in, a1out, am;  // front = newest
  enum Where { kA1in, kA1out, kAm };
  absl::flat_hash_map<uint64_t, std::pair<Where, std::list<uint64_t>::iterator>> where;
  uint64_t misses = 0;
  auto reclaim = [&]() {
    if (a1in.size() + am.size() < capacity) return;
    if (a1in.size() > kin) {
      const uint64_t old = a1in.back();
      a1in.pop_back();
      a1out.push_front(old);
      where[old] = {kA1out, a1out.begin()};
      if (a1out.size() > kout) {
        where.erase(a1out.back());
        a1out.pop_back();
      }
    } else {
      where.erase(am.back());
      am.pop_back();
    }
  };
  for (uint64_t p : pages) {
    auto it = where.find(p);
    if (it != where.end() && it->second.first == kAm) {
      am.splice(am.begin(), am, it->second.second);
      continue;
    }
    if (it != where.end() && it->second.first == kA1in) continue;
    ++misses;
    if (it != where.end()) {  // in A1out: used again, into Am
      a1out.erase(it->second.second);
      where.erase(it);
      reclaim();
      am.push_front(p);
      where[p] = {kAm, am.begin()};
    } else {
      reclaim();
      a1in.push_front(p);
      where[p] = {kA1in, a1in.begin()};
    }
  }
  return misses;
}

// The replay's machine holds kCapacity trace pages: RAM minus what kswapd keeps free.
ReplayConfig ReplayFor(const std::string& policy) {
  ReplayConfig c;
  c.policy = policy;
  c.locked_pages = 0;
  c.swap_pages = 2 * kPages;
  for (c.ram_pages = kCapacity;; ++c.ram_pages) {
    MachineConfig mc;
    mc.ram_pages = c.ram_pages;
    if (c.ram_pages - Machine(mc).wmark_high >= kCapacity) break;
  }
  return c;
}

double MissRatio(const std::vector<uint64_t>& pages, const std::string& policy) {
  AccessTrace trace;
  for (uint64_t p : pages) trace.accesses.push_back({0x7f0000000000 + p * 4096, 1, true});
  auto r = replay_access_trace(trace, ReplayFor(policy));
  EXPECT_TRUE(r.ok()) << r.status();
  if (!r.ok()) return 1;
  EXPECT_EQ(r->failed_accesses, 0u);
  return static_cast<double>(r->minor_faults + r->major_faults) / static_cast<double>(r->accesses);
}

TEST(LinuxPolicyZipf, MissRatioLiesBetweenLruAnd2Q) {
  const std::vector<uint64_t> pages = ZipfPages();
  const double lru = static_cast<double>(LruMisses(pages, kCapacity)) / kAccesses;
  const double two_q = static_cast<double>(TwoQMisses(pages, kCapacity)) / kAccesses;
  const double two_list = MissRatio(pages, "linux");
  const double fifo = MissRatio(pages, "fifo");
  RecordProperty("miss_lru", std::to_string(lru));
  RecordProperty("miss_2q", std::to_string(two_q));
  RecordProperty("miss_linux", std::to_string(two_list));
  RecordProperty("miss_fifo", std::to_string(fifo));
  std::printf(
      "Zipf(1.0) %lu pages, %lu accesses, %lu resident: miss ratio LRU %.4f, 2Q %.4f, "
      "linux %.4f, fifo %.4f\n",
      kPages, kAccesses, kCapacity, lru, two_q, two_list, fifo);
  EXPECT_LT(two_q, lru);  // the reference simulators themselves
  EXPECT_LE(two_list, lru * 1.01);
  EXPECT_GE(two_list, two_q);
  EXPECT_LT(two_list, fifo * 0.95);
}

}  // namespace
}  // namespace mmsim
