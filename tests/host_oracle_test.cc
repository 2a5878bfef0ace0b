// The host oracle (sim/scenario/host.h, diff.h, fuzz_diff.h) against the real kernel this
// runs on. Tests that need the host (root, /proc/kpageflags, the server binary) skip
// themselves with the reason when it is not available.
#include <unistd.h>

#include <sstream>
#include <string>

#include "absl/strings/match.h"
#include "gtest/gtest.h"
#include "sim/scenario/diff.h"
#include "sim/scenario/fuzz_diff.h"
#include "sim/scenario/host.h"
#include "sim/scenario/scenario.h"

namespace mmsim::scenario {
namespace {

#define REQUIRE_HOST()                                                            \
  do {                                                                            \
    const HostSupport hs_ = ProbeHost();                                          \
    if (!hs_.ok) GTEST_SKIP() << hs_.reason;                                      \
    if (!hs_.exact) GTEST_SKIP() << "kernel " << hs_.release << " is not 6.18.x"; \
  } while (0)

DiffOutcome DiffText(const std::string& text) {
  auto sc = ParseScenarioText(text, "t.scn", false);
  EXPECT_TRUE(sc.ok()) << sc.status();
  if (!sc.ok()) return {};
  return DiffScenario(*sc, ProbeHost(), DiffOptions{});
}

constexpr const char* kSplit = R"(title: split
task A image=empty
A: p = mmap(NULL, 6P, PROT_READ|PROT_WRITE, MAP_PRIVATE|MAP_ANONYMOUS, -1, 0)
A: write p 6P
A: mlock(p+2P, 2P) = 0
expect A maps:
  p      p+2P   rw-p
  p+2P   p+4P   rw-p  lo
  p+4P   p+6P   rw-p
expect A status VmLck = 8 kB
expect A smaps p+2P Locked = 8 kB
expect A page p+2P present mlocked mapcount = 1
expect A map_count = 3
A: munlock(p, 6P) = 0
expect A maps:
  p      p+6P   rw-p
show A smaps
show A status
show A pages p 6P
)";

TEST(HostOracle, SmallScenarioHasNoDivergence) {
  REQUIRE_HOST();
  DiffOutcome o = DiffText(kSplit);
  EXPECT_TRUE(o.error.empty()) << o.error;
  EXPECT_FALSE(o.skipped) << o.skip_reason;
  for (const Divergence& d : o.divergences) ADD_FAILURE() << d.ToString();
}

TEST(HostOracle, WrongExpectationIsADivergenceWithItsField) {
  REQUIRE_HOST();
  DiffOutcome o = DiffText(R"(title: wrong
task A image=empty
A: p = mmap(NULL, 4P, PROT_READ|PROT_WRITE, MAP_PRIVATE|MAP_ANONYMOUS, -1, 0)
A: mlock(p, 2P) = 0
expect A status VmLck = 12 kB
)");
  ASSERT_EQ(o.divergences.size(), 1u);
  const Divergence& d = o.divergences[0];
  EXPECT_EQ(d.where, "t.scn:5");
  EXPECT_EQ(d.view, "status");
  EXPECT_EQ(d.field, "VmLck");
  EXPECT_EQ(d.sim, "8 kB");
  EXPECT_TRUE(absl::StartsWith(d.kernel, "8 kB")) << d.kernel;
  EXPECT_TRUE(absl::StrContains(d.kernel, "12 kB")) << d.kernel;
}

TEST(HostOracle, WrongResultIsADivergence) {
  REQUIRE_HOST();
  // mlock over a hole: ENOMEM on both; the expectation `= 0` fails on both, and the results
  // agree, so the runner's failure is not a divergence; a munmap of an unaligned address is
  // EINVAL on both.
  DiffOutcome o = DiffText(R"(title: results
task A image=empty
A: p = mmap(NULL, 2P, PROT_READ|PROT_WRITE, MAP_PRIVATE|MAP_ANONYMOUS, -1, 0)
A: munmap(p+1, 1P) = -1 EINVAL
A: mlock(p, 4P) = -1 ENOMEM
)");
  EXPECT_TRUE(o.divergences.empty()) << o.divergences.front().ToString();
}

TEST(HostOracle, BrkIsRefusedWithAReason) {
  REQUIRE_HOST();
  DiffOutcome o = DiffText(R"(title: brk
task A image=process
A: b = brk(0)
)");
  EXPECT_TRUE(o.skipped);
  EXPECT_TRUE(absl::StrContains(o.skip_reason, "brk is not comparable on the host"))
      << o.skip_reason;
}

TEST(HostOracle, ForkOnTheHost) {
  REQUIRE_HOST();
  DiffOutcome o = DiffText(R"(title: fork
task A image=empty
A: p = mmap(NULL, 4P, PROT_READ|PROT_WRITE, MAP_PRIVATE|MAP_ANONYMOUS, -1, 0)
A: mlock(p, 4P) = 0
A: B = fork() = ok
expect B maps:
  p  p+4P  rw-p
expect B page p present mlocked mapcount = 2
B: write p 1P
expect B page p present !mlocked mapcount = 1
B: exit(0) = 0
expect A page p present mlocked mapcount = 1
)");
  EXPECT_TRUE(o.error.empty()) << o.error;
  EXPECT_FALSE(o.skipped) << o.skip_reason;
  for (const Divergence& d : o.divergences) ADD_FAILURE() << d.ToString();
}

TEST(HostOracle, SkipPathPrintsAReasonAndExitsZero) {
  // Without root the command says why; as root, a missing server binary does the same.
  std::ostringstream out, err;
  const char* old = getenv("MMSIM_HOST_SERVER");
  const std::string saved = old ? old : "";
  setenv("MMSIM_HOST_SERVER", "/nonexistent/mmsim-host-server", 1);
  const int rc = CmdDiff({std::string(MMSIM_SOURCE_DIR) + "/scenarios/basics"}, out, err);
  if (old) {
    setenv("MMSIM_HOST_SERVER", saved.c_str(), 1);
  } else {
    unsetenv("MMSIM_HOST_SERVER");
  }
  EXPECT_EQ(rc, 0) << err.str();
  EXPECT_TRUE(absl::StartsWith(out.str(), "skipped: ")) << out.str();
  EXPECT_TRUE(absl::StrContains(out.str(), " scenarios, 0 divergences\n")) << out.str();
}

TEST(HostOracle, MissingFileIsAnError) {
  std::ostringstream out, err;
  EXPECT_EQ(CmdDiff({"/nonexistent.scn"}, out, err), 1);
  EXPECT_TRUE(absl::StrContains(err.str(), "no such file")) << err.str();
}

TEST(FuzzDiff, GeneratedSequencesParseAndKeepTheRules) {
  for (int i = 0; i < 50; ++i) {
    auto ops = GenerateFuzzOps(7, i, 60, true);
    ASSERT_EQ(ops.size(), 60u);
    EXPECT_TRUE(FuzzOpsValid(ops));
    auto sc = ParseScenarioText(FuzzScenarioText(ops, "f", true), "f.scn", false);
    EXPECT_TRUE(sc.ok()) << sc.status();
  }
  // Deterministic for a seed.
  EXPECT_EQ(GenerateFuzzOps(3, 1, 20, true)[5].line, GenerateFuzzOps(3, 1, 20, true)[5].line);
}

TEST(FuzzDiff, ShortRunOnTheHost) {
  REQUIRE_HOST();
  std::ostringstream out, err;
  FuzzDiffOptions o;
  o.seed = 11;
  o.sequences = 5;
  o.ops = 20;
  o.max_shrink = 0;
  o.out_dir = "/tmp";
  CmdFuzzDiff(o, out, err);
  EXPECT_TRUE(absl::StrContains(out.str(), "5 sequences x 20 ops, seed 11:")) << out.str();
  EXPECT_TRUE(absl::StrContains(out.str(), " 0 errors")) << out.str();
}

}  // namespace
}  // namespace mmsim::scenario
