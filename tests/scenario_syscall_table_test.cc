// The syscall table (sim/scenario/syscall_table.cc): its rows are consistent with what the
// parser, runner and oracle do with them, and a row is all a call needs to be written, run,
// printed and compared.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstring>
#include <set>

#include "sim/scenario/commands.h"
#include "sim/scenario/runner.h"
#include "sim/scenario/scenario.h"
#include "sim/scenario/syscall_table.h"

namespace mmsim::scenario {
namespace {

using ::testing::HasSubstr;

TEST(SyscallTable, RowsAreConsistent) {
  std::set<std::string> names;
  int weights = 0;
  for (const SyscallRow& row : SyscallTable()) {
    SCOPED_TRACE(row.name);
    EXPECT_TRUE(names.insert(row.name).second) << "listed twice";
    EXPECT_EQ(LookupSyscall(row.name), &row);
    EXPECT_EQ(NotModelledSyscall(row.name), nullptr);
    EXPECT_NE(row.model, nullptr);
    EXPECT_LE(row.min_args, row.max_args);
    // One kind letter an argument, the last repeating: never more letters than arguments.
    EXPECT_LE(static_cast<int>(strlen(row.arg_kinds)), std::max(row.max_args, 0));
    for (const char* k = row.arg_kinds; *k; ++k) EXPECT_THAT("epnc", HasSubstr(std::string(1, *k)));
    EXPECT_TRUE(absl::string_view(row.usage).find(row.name) != absl::string_view::npos);
    // A call the host cannot run says why (refuse) or is skipped as unsupported.
    if (row.host.op == host_protocol::kSyscall) {
      EXPECT_GT(row.host.nr, 0);
    }
    EXPECT_GE(row.fuzz_weight, 0);
    weights += row.fuzz_weight;
  }
  EXPECT_LT(weights, 100) << "fuzz-diff keeps room for reads and writes";
  EXPECT_EQ(LookupSyscall("mremap"), nullptr);
  EXPECT_NE(NotModelledSyscall("mremap"), nullptr);
}

TEST(SyscallTable, ArgumentKindsDriveTheParser) {
  auto err = [](const std::string& call) {
    auto sc = ParseScenarioText("title: t\ntask A image=empty\nA: " + call + "\n", "t.scn", false);
    return sc.ok() ? std::string("(parsed)") : std::string(sc.status().message());
  };
  // p: a quoted path.
  EXPECT_EQ(err("open(3, O_RDWR)"),
            "t.scn:3:9: error: found number '3', expected a quoted path; the call is "
            "open(\"path\", flags)");
  // e: no strings.
  EXPECT_THAT(err("mincore(\"x\", 1P)"), HasSubstr("expected an integer expression"));
  // n: a string or NULL, checked by the row's check.
  EXPECT_EQ(err("prctl(PR_SET_VMA, PR_SET_VMA_ANON_NAME, 0, 1P, NULL)"), "(parsed)");
  EXPECT_THAT(err("prctl(PR_SET_VMA, PR_SET_VMA_ANON_NAME, 0, 1P, 5)"),
              HasSubstr("t.scn:3:51: error: found '5', expected a quoted name or NULL"));
  // c: capabilities, repeated up to max_args.
  EXPECT_EQ(err("capset(-CAP_IPC_LOCK, +CAP_IPC_LOCK, -CAP_SYS_ADMIN)"), "(parsed)");
  // Counts come from min_args/max_args, with the usage text.
  EXPECT_EQ(err("mincore(0)"),
            "t.scn:3:13: error: found 1 argument to mincore, expected 2: "
            "mincore(addr, len)");
  // Only a call with something to compare takes an output string.
  EXPECT_THAT(err("mlock(0, 0) = 0 \"1\""),
              HasSubstr("mlock writes nothing a scenario can compare"));
}

TEST(SyscallTable, AResultFormatAndOutputComeFromTheRow) {
  auto sc = ParseScenarioText(
      "title: t\ntask A image=empty\n"
      "A: p = mmap(NULL, 3P, PROT_READ|PROT_WRITE, MAP_PRIVATE|MAP_ANONYMOUS, -1, 0)\n"
      "A: write p+1P 1P\n"
      "A: mincore(p, 3P) = 0 \"010\"\n"
      "A: mincore(p, 3P) = 0 \"111\"\n",
      "t.scn", false);
  ASSERT_TRUE(sc.ok()) << sc.status();
  Runner r(*sc);
  ASSERT_TRUE(r.RunStep().ok());
  auto mmap = r.RunStep();
  ASSERT_TRUE(mmap.ok());
  EXPECT_THAT(mmap->display, HasSubstr(") = 0x7ffff7ffc000"));  // kAddress: hex
  EXPECT_TRUE(mmap->new_mapping);
  ASSERT_TRUE(r.RunStep().ok());
  auto mc = r.RunStep();
  ASSERT_TRUE(mc.ok());
  EXPECT_EQ(mc->display, "A: mincore(0x7ffff7ffc000, 12288) = 0 \"010\"");
  EXPECT_TRUE(mc->failures.empty());
  EXPECT_EQ(mc->range_start, 0x7ffff7ffc000u);
  EXPECT_EQ(mc->range_end, 0x7ffff7fff000u);
  auto wrong = r.RunStep();
  ASSERT_TRUE(wrong.ok());
  EXPECT_THAT(wrong->failures,
              ::testing::ElementsAre("expected mincore to write \"111\", found \"010\""));
}

}  // namespace
}  // namespace mmsim::scenario
