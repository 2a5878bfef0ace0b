// The scenario runner and the check/TAP commands: every kind of expectation holding and
// failing, step output, the summary line and KTAP.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "sim/scenario/commands.h"
#include "sim/scenario/runner.h"
#include "sim/scenario/scenario.h"

namespace mmsim::scenario {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

constexpr const char* kSplit =
    "title: t\n"
    "task A image=empty\n"
    "A: p = mmap(NULL, 6P, PROT_READ|PROT_WRITE, MAP_PRIVATE|MAP_ANONYMOUS, -1, 0)\n"
    "mark\n"
    "A: mlock(p+2P, 2P) = 0\n";

// Runs `text` (after kSplit) and returns the diagnostics of CheckScenario.
std::vector<std::string> Failures(const std::string& tail) {
  auto sc = ParseScenarioText(std::string(kSplit) + tail, "t.scn", false);
  EXPECT_TRUE(sc.ok()) << sc.status();
  if (!sc.ok()) return {"parse error"};
  return CheckScenario(*sc).diagnostics;
}

TEST(ScenarioRunner, StepsPrintTheEvaluatedCall) {
  auto sc = ParseScenarioText(kSplit, "t.scn", false);
  ASSERT_TRUE(sc.ok()) << sc.status();
  Runner r(*sc);
  ASSERT_TRUE(r.RunStep().ok());
  auto mmap = r.RunStep();
  ASSERT_TRUE(mmap.ok());
  EXPECT_EQ(mmap->display,
            "A: p = mmap(NULL, 24576, PROT_READ|PROT_WRITE, MAP_PRIVATE|MAP_ANONYMOUS, -1, 0) = "
            "0x7ffff7ff9000");
  ASSERT_TRUE(r.RunStep().ok());
  auto mlock = r.RunStep();
  ASSERT_TRUE(mlock.ok());
  EXPECT_EQ(mlock->display, "A: mlock(0x7ffff7ffb000, 8192) = 0");
  EXPECT_TRUE(mlock->failures.empty());
  EXPECT_TRUE(r.done());
}

TEST(ScenarioRunner, CallResultsAreChecked) {
  EXPECT_THAT(Failures("A: mlock(p, 1P) = -1 ENOMEM\n"),
              ElementsAre("t.scn:6: expected mlock = -1 ENOMEM, found 0"));
  EXPECT_THAT(Failures("A: mlock(p+1, 1P) = ok\nA: munlock(p, 1T) = -1 ENOMEM\n"), IsEmpty());
  EXPECT_THAT(
      Failures("A: q = mmap(p, 1P, PROT_READ, MAP_PRIVATE|MAP_ANONYMOUS|MAP_FIXED, -1, 0) = p\n"),
      IsEmpty());
  EXPECT_THAT(Failures("A: write p 1P = 0\nA: read 0x1000 1 = -1 EFAULT\n"), IsEmpty());
  EXPECT_THAT(Failures("A: getrlimit(RLIMIT_MEMLOCK) = 0\nA: brk(0) = ok\n"), IsEmpty());
  EXPECT_THAT(Failures("A: capset(-CAP_IPC_LOCK) = 0\nA: capset(+CAP_IPC_LOCK) = -1 EPERM\n"),
              IsEmpty());
}

TEST(ScenarioRunner, MapsExpectation) {
  EXPECT_THAT(Failures("expect A maps:\n  p p+2P rw-p\n  p+2P p+4P rw-p lo\n  p+4P p+6P rw-p\n"),
              IsEmpty());
  // lo must be listed when present, and absent when not listed.
  auto f = Failures("expect A maps:\n  p p+2P rw-p\n  p+2P p+4P rw-p\n  p+4P p+6P rw-p\n");
  ASSERT_EQ(f.size(), 1u);
  EXPECT_THAT(f[0], HasSubstr("t.scn:6: A maps in [7ffff7ff9000, 7ffff7fff000): expected"));
  EXPECT_THAT(f[0], HasSubstr("found\n    7ffff7ff9000-7ffff7ffb000 rw-p\n    "
                              "7ffff7ffb000-7ffff7ffd000 rw-p lo"));
  EXPECT_THAT(Failures("expect A maps:\n  p p+6P rw-p\n"), testing::SizeIs(1));
}

TEST(ScenarioRunner, FieldExpectations) {
  EXPECT_THAT(Failures("expect A status VmLck = 8 kB\nexpect A status VmLck = 8K\n"
                       "expect A smaps p+2P Locked = 8 kB\nexpect A smaps p Locked = 0\n"
                       "expect A smaps p+2P VmFlags = lo ac rd wr mr mw me\n"
                       "expect meminfo Mlocked = 8 kB\nexpect meminfo Mlocked = +8 kB\n"
                       "expect vmstat nr_mlock = 2\nexpect vmstat unevictable_pgs_mlocked = +2\n"
                       "expect A map_count = 3\nexpect A locked_vm = 2\n"),
              IsEmpty());
  EXPECT_THAT(Failures("expect A status VmLck = 4 kB\n"),
              ElementsAre("t.scn:6: A status VmLck: expected 4 kB, found 8 kB"));
  EXPECT_THAT(Failures("expect A smaps p Locked = 8 kB\n"),
              ElementsAre("t.scn:6: A smaps 0x7ffff7ff9000 Locked: expected 8 kB, found 0 kB"));
  EXPECT_THAT(Failures("expect A smaps p VmFlags = rd wr\n"),
              ElementsAre(HasSubstr("VmFlags: expected rd wr, found ac me mr mw rd wr")));
  EXPECT_THAT(Failures("expect A smaps p-1P Rss = 0\n"),
              ElementsAre(HasSubstr("expected a VMA containing 0x7ffff7ff8000, found none")));
  EXPECT_THAT(Failures("expect vmstat unevictable_pgs_mlocked = +3\n"),
              ElementsAre("t.scn:6: vmstat unevictable_pgs_mlocked: expected +3 since mark, "
                          "found +2 (0 -> 2)"));
  EXPECT_THAT(Failures("mark\nexpect vmstat unevictable_pgs_mlocked = +0\n"), IsEmpty());
  EXPECT_THAT(Failures("expect meminfo Mlocked = 4 kB\n"), testing::SizeIs(1));
  EXPECT_THAT(Failures("expect A map_count = 1\n"),
              ElementsAre("t.scn:6: A map_count: expected 1, found 3"));
}

TEST(ScenarioRunner, PageExpectations) {
  EXPECT_THAT(Failures("expect A page p+2P present mlocked unevictable !active mapcount = 1\n"
                       "expect A page p !present\n"),
              IsEmpty());
  EXPECT_THAT(Failures("expect A page p present\n"),
              ElementsAre("t.scn:6: A page 0x7ffff7ff9000: expected present, found not present"));
  EXPECT_THAT(Failures("expect A page p+2P !mlocked mapcount = 2\n"),
              ElementsAre(HasSubstr("expected !mlocked mapcount = 2 (found 1), found present")));
}

TEST(ScenarioRunner, LruAndForkExpectations) {
  // mlock's populate leaves its two pages unevictable at once (as the host shows); a page
  // faulted later in an ONFAULT VMA waits in the mlock batch until a drain.
  EXPECT_THAT(Failures("expect lru unevictable = +2\n"
                       "A: mlock2(p, 1P, MLOCK_ONFAULT) = 0\n"
                       "A: write p 1P\n"
                       "expect lru unevictable = +2\n"
                       "expect A page p mlocked !unevictable\n"
                       "drain\n"
                       "expect lru unevictable = +3\n"),
              IsEmpty());
  EXPECT_THAT(Failures("drain\nexpect lru unevictable = +3\n"),
              ElementsAre("t.scn:7: lru unevictable: expected +3 pages since mark, found +2 "
                          "pages (0 -> 2)"));
  EXPECT_THAT(Failures("A: B = fork() = ok\n"
                       "expect B page p+2P mlocked mapcount = 2\n"
                       "expect B status VmLck = 0 kB\n"
                       "B: exit(0) = 0\n"
                       "expect A page p+2P mapcount = 1\n"),
              IsEmpty());
  EXPECT_THAT(Failures("A: B = fork() = ok\nexpect B status VmLck = 8 kB\n"),
              ElementsAre("t.scn:7: B status VmLck: expected 8 kB, found 0 kB"));
  EXPECT_THAT(Failures("A: T = clone(CLONE_VM|CLONE_SIGHAND|CLONE_THREAD) = ok\n"
                       "T: munlock(p, 6P) = 0\n"
                       "expect A status VmLck = 0 kB\n"),
              IsEmpty());
}

TEST(ScenarioRunner, SwapExpectations) {
  const std::string swap =
      "file /swap size=1M\n"
      "A: swapon(\"/swap\", 0) = 0\n"
      "A: write p 2P\n"
      "drain\n"
      "A: madvise(p, 2P, MADV_PAGEOUT) = 0\n"
      "A: B = fork() = ok\n";
  EXPECT_THAT(
      Failures(swap + "expect B page p swapped swap_type = 0 swap_offset = 1 swapcount = 2\n"
                      "expect A page p+1P swapped swap_offset = 2 swapcount = 2\n"
                      "B: exit(0) = 0\n"
                      "expect A page p swapped swapcount = 1\n"),
      IsEmpty());
  EXPECT_THAT(Failures(swap + "expect A page p swapcount = 1\nexpect A page p+2P swapcount = 1\n"),
              ElementsAre(HasSubstr("expected swapcount = 1 (found 2), found swapped out"),
                          HasSubstr("expected swapcount = 1 (the page is not swapped out)")));
  // reclaim prints how many pages it freed; with swap the anonymous pages can go.
  auto sc = ParseScenarioText(std::string(kSplit) + swap + "reclaim 8\n", "t.scn", false);
  ASSERT_TRUE(sc.ok()) << sc.status();
  Runner r(*sc);
  absl::StatusOr<StepResult> last;
  while (!r.done()) {
    last = r.RunStep();
    ASSERT_TRUE(last.ok()) << last.status();
  }
  EXPECT_THAT(last->display, ::testing::MatchesRegex("reclaim 8 = [0-9]+ reclaimed"));
}

TEST(ScenarioRunner, SimulatorErrorsCarryTheStepLocation) {
  auto f = Failures("expect A status VmLck = 3\n");
  ASSERT_EQ(f.size(), 1u);
  EXPECT_THAT(f[0], HasSubstr("t.scn:6:1: error: 3 is 3 bytes, not a whole number of kB"));
  // A literal unmodelled advice is refused by the parser; a computed one by the runner.
  auto sc = ParseScenarioText(
      "title: t\ntask A image=empty\nA: setrlimit(RLIMIT_MEMLOCK, 8, 8) = 0\n"
      "A: v = getrlimit(RLIMIT_MEMLOCK)\nA: madvise(0, 4K, v)\n",
      "t.scn", false);
  ASSERT_TRUE(sc.ok()) << sc.status();
  EXPECT_THAT(CheckScenario(*sc).diagnostics,
              ElementsAre(HasSubstr("t.scn:5:1: error: madvise advice 8 is not modelled yet")));
}

class CheckCommand : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("mmsim_check_" + std::to_string(reinterpret_cast<uintptr_t>(this)));
    std::filesystem::create_directories(dir_ / "sub");
    Write("a-pass.scn", std::string(kSplit) + "expect A map_count = 3\n");
    Write("sub/b-fail.scn", std::string(kSplit) + "expect A map_count = 1\n");
    Write("common.scn", "# no title: an include file, not a scenario\nfile /x size=4K\n");
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  void Write(const std::string& name, const std::string& text) {
    std::ofstream(dir_ / name) << text;
  }
  std::filesystem::path dir_;
};

TEST_F(CheckCommand, SummaryLineCountsScenarios) {
  std::ostringstream out, err;
  EXPECT_EQ(CmdCheck({dir_.string()}, false, out, err), 1);
  const std::string s = out.str();
  EXPECT_THAT(s, HasSubstr("ok   " + (dir_ / "a-pass.scn").string() + "\n"));
  EXPECT_THAT(s, HasSubstr("b-fail.scn:6: A map_count: expected 1, found 3\nFAIL "));
  EXPECT_TRUE(s.size() > 20 && s.substr(s.size() - 20) == "\n1 passed, 1 failed\n") << s;
  std::ostringstream out2, err2;
  EXPECT_EQ(CmdCheck({(dir_ / "a-pass.scn").string()}, false, out2, err2), 0);
  EXPECT_THAT(out2.str(), HasSubstr("1 passed, 0 failed\n"));
}

TEST_F(CheckCommand, TapIsKtap) {
  std::ostringstream out, err;
  EXPECT_EQ(CmdCheck({dir_.string()}, true, out, err), 1);
  const std::string a = (dir_ / "a-pass.scn").string(), b = (dir_ / "sub/b-fail.scn").string();
  EXPECT_EQ(out.str(), "KTAP version 1\n1..2\nok 1 " + a + "\n# " + b +
                           ":6: A map_count: expected 1, found 3\nnot ok 2 " + b +
                           "\n# Totals: pass:1 fail:1 xfail:0 xpass:0 skip:0 error:0\n");
}

TEST_F(CheckCommand, ParseErrorsFailTheScenario) {
  Write("c-bad.scn", "title: bad\ntask A\nA: mlokc(0, 0)\n");
  std::ostringstream out, err;
  EXPECT_EQ(CmdCheck({(dir_ / "c-bad.scn").string()}, false, out, err), 1);
  EXPECT_THAT(out.str(), HasSubstr("c-bad.scn:3:4: error: unknown syscall 'mlokc'"));
  EXPECT_THAT(out.str(), HasSubstr("0 passed, 1 failed\n"));
}

TEST_F(CheckCommand, IncludesResolveRelativeToTheFile) {
  Write("sub/inc.scn", "task A image=empty\n");
  Write("sub/main.scn", "title: m\ninclude \"inc.scn\"\nA: mlock(0, 0) = 0\n");
  EXPECT_TRUE(CheckScenarioFile((dir_ / "sub/main.scn").string()).passed);
  Write("sub/loop.scn", "title: l\ninclude \"loop.scn\"\n");
  auto o = CheckScenarioFile((dir_ / "sub/loop.scn").string());
  ASSERT_EQ(o.diagnostics.size(), 1u);
  EXPECT_THAT(o.diagnostics[0], HasSubstr("include cycle"));
}

}  // namespace
}  // namespace mmsim::scenario

namespace mmsim::scenario {
namespace {

TEST(ScenarioRunner, ComparisonExpectations) {
  EXPECT_THAT(Failures("expect A status VmLck >= 8 kB\nexpect A status VmLck <= 8K\n"
                       "expect A status VmLck != 0\nexpect A map_count > 2\n"
                       "expect A map_count < 4\nexpect vmstat unevictable_pgs_mlocked >= +1\n"),
              IsEmpty());
  EXPECT_THAT(Failures("expect A status VmLck > 8 kB\n"),
              ElementsAre("t.scn:6: A status VmLck: expected > 8 kB, found 8 kB"));
  EXPECT_THAT(Failures("expect A map_count != 3\n"),
              ElementsAre("t.scn:6: A map_count: expected != 3, found 3"));
  EXPECT_THAT(Failures("expect vmstat unevictable_pgs_mlocked < +2\n"),
              ElementsAre("t.scn:6: vmstat unevictable_pgs_mlocked: expected < +2 since mark, "
                          "found +2 (0 -> 2)"));
}

}  // namespace
}  // namespace mmsim::scenario
