// Tests of the model's observation points (include/mmsim/observer.h): when a registered
// MachineObserver is called and with what. These are the simulator's contract with the tools
// that watch it (the host oracle), not kernel behaviour. Public headers only.
#include "mmsim/observer.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "mmsim/procfs.h"
#include "mmsim/syscalls.h"

namespace mmsim {
namespace {

constexpr uint64_t P = PAGE_SIZE;

// The VmLck line of /proc/PID/status, in kB.
uint64_t VmLckKb(const Task& t) {
  const std::string s = proc_pid_status(t);
  const size_t at = s.find("VmLck:");
  return at == std::string::npos ? ~uint64_t{0} : std::strtoull(s.c_str() + at + 6, nullptr, 10);
}

// Records every call, with the caller's VmLck line as it was at the moment of the call.
class Recorder : public MachineObserver {
 public:
  struct Walk {
    uint64_t flags;
    bool munlockall;
    bool locked_before;  // VmLck was non-zero when the walk was reported
    bool operator==(const Walk&) const = default;
  };
  void on_mlockall_walk(Task& t, uint64_t flags, bool munlockall) override {
    walks.push_back({flags, munlockall, VmLckKb(t) != 0});
  }
  void on_refault(uint32_t folio, bool recent) override { refaults.push_back({folio, recent}); }
  std::vector<Walk> walks;
  std::vector<std::pair<uint32_t, bool>> refaults;
};

class ObserverTest : public ::testing::Test {
 protected:
  ObserverTest() : m_(Config()), t_(m_.spawn("t", Image::kEmpty)) { m_.add_observer(&rec_); }
  static MachineConfig Config() {
    MachineConfig c;
    c.check_invariants = true;
    c.ram_pages = 1 << 16;
    return c;
  }
  long MapWritten(uint64_t pages) {
    const long p =
        sys_mmap(t_, 0, pages * P, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    EXPECT_GT(p, 0);
    EXPECT_EQ(user_access(t_, p, pages * P, true), 0);
    return p;
  }
  Recorder rec_;
  Machine m_;
  Task& t_;
};

// mlockall reports its walk once its checks passed, before any VMA is locked; munlockall
// reports (0, true) while the VMAs are still locked. Refused calls report nothing.
TEST_F(ObserverTest, MlockallWalkIsReportedBeforeTheVmasChangeAndOnlyForAcceptedCalls) {
  MapWritten(2);
  ASSERT_EQ(VmLckKb(t_), 0u);
  EXPECT_EQ(sys_mlockall(t_, 0), -EINVAL);
  EXPECT_EQ(sys_mlockall(t_, MCL_ONFAULT), -EINVAL);
  ASSERT_EQ(sys_mlockall(t_, MCL_CURRENT), 0);
  EXPECT_EQ(VmLckKb(t_), 8u);
  ASSERT_EQ(sys_munlockall(t_), 0);
  ASSERT_EQ(sys_setrlimit(t_, RLIMIT_MEMLOCK, 0, 0), 0);
  ASSERT_EQ(sys_capset(t_, 0, 0), 0);
  EXPECT_EQ(sys_mlockall(t_, MCL_CURRENT), -EPERM);
  EXPECT_EQ(rec_.walks,
            (std::vector<Recorder::Walk>{{MCL_CURRENT, false, false}, {0, true, true}}));
}

// Observers are called in the order added; a removed one is not called again.
TEST_F(ObserverTest, ObserversAreCalledInOrderUntilRemoved) {
  struct Order : MachineObserver {
    std::vector<int>* log;
    int id;
    Order(std::vector<int>* l, int i) : log(l), id(i) {}
    void on_mlockall_walk(Task&, uint64_t, bool) override { log->push_back(id); }
  };
  std::vector<int> log;
  Order a(&log, 1), b(&log, 2);
  m_.add_observer(&a);
  m_.add_observer(&b);
  ASSERT_EQ(sys_munlockall(t_), 0);
  m_.remove_observer(&a);
  ASSERT_EQ(sys_munlockall(t_), 0);
  m_.remove_observer(&b);
  ASSERT_EQ(sys_munlockall(t_), 0);
  EXPECT_EQ(log, (std::vector<int>{1, 2, 2}));
  EXPECT_EQ(rec_.walks.size(), 3u);
}

// Every refault (a swapped-out page faulted back) is reported once with the folio it was read
// into; the verdict matches what the model did with it: a folio reported recent is active.
TEST_F(ObserverTest, RefaultsAreReportedWithTheirVerdict) {
  m_.create_file("/swapfile", 64 * P);
  ASSERT_EQ(sys_swapon(t_, "/swapfile", 0), 0);
  const long p = MapWritten(2);
  ASSERT_EQ(sys_madvise(t_, p, 2 * P, MADV_PAGEOUT), 0);
  ASSERT_TRUE(page_info(t_, p).swapped);
  EXPECT_TRUE(rec_.refaults.empty());
  EXPECT_EQ(user_access(t_, p, 2 * P, false), 0);
  ASSERT_EQ(rec_.refaults.size(), 2u);
  EXPECT_EQ(rec_.refaults[0].first, page_info(t_, p).folio);
  EXPECT_EQ(rec_.refaults[1].first, page_info(t_, p + P).folio);
  for (const auto& [folio, recent] : rec_.refaults) {
    EXPECT_EQ(recent, (stable_page_flags(m_, folio) >> KPF_ACTIVE & 1) != 0) << folio;
  }
  const std::string vmstat = proc_vmstat(m_);
  EXPECT_TRUE(absl::StrContains(vmstat, "workingset_refault_anon 2\n")) << vmstat;
}

}  // namespace
}  // namespace mmsim
