// The scenario parser: statements, expressions, and the errors a person gets for mistakes
// (file:line:col, what was found, what was expected, did-you-mean).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "sim/scenario/commands.h"
#include "sim/scenario/names.h"
#include "sim/scenario/runner.h"
#include "sim/scenario/scenario.h"

namespace mmsim::scenario {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

std::string ParseError(const std::string& text) {
  auto sc = ParseScenarioText(text, "t.scn", false);
  if (sc.ok()) return "(parsed)";
  return std::string(sc.status().message());
}

constexpr const char* kHeader =
    "title: t\n"
    "task A image=empty\n"
    "A: p = mmap(NULL, 6P, PROT_READ|PROT_WRITE, MAP_PRIVATE|MAP_ANONYMOUS, -1, 0)\n";

TEST(ScenarioParser, ParsesTheExampleStatements) {
  const std::string text = std::string("machine ram=64M max_map_count=100 anon_vma_name=off\n") +
                           "file /data/f size=16K\n" + kHeader +
                           "A: write p 24K\n"
                           "A: mlock(p+8K, 8K) = 0\n"
                           "A: mlock(p, 1M) = -1 ENOMEM\n"
                           "A: fd = open(\"/data/f\", O_RDWR)\n"
                           "A: setrlimit(RLIMIT_MEMLOCK, 16K, 16K) = 0\n"
                           "A: capset(-CAP_IPC_LOCK) = 0\n"
                           "A: prctl(PR_SET_VMA, PR_SET_VMA_ANON_NAME, p, 4K, \"x\") = -1 EINVAL\n"
                           "sysctl vm.max_map_count=100\n"
                           "expect A maps:\n"
                           "  p      p+8K   rw-p\n"
                           "  p+8K   p+16K  rw-p  lo\n"
                           "expect A status VmLck = 8 kB\n"
                           "expect A smaps p Locked = 8 kB\n"
                           "expect A smaps p VmFlags = rd wr mr mw me ac\n"
                           "expect A page p+8K mlocked !active mapcount = 1\n"
                           "expect A map_count = 5\n"
                           "mark\n"
                           "expect vmstat unevictable_pgs_mlocked = +2\n"
                           "expect meminfo Mlocked = 8 kB\n"
                           "show A pages p 24K\n"
                           "show meminfo\n";
  auto sc = ParseScenarioText(text, "t.scn", false);
  ASSERT_TRUE(sc.ok()) << sc.status();
  EXPECT_EQ(sc->title, "t");
  EXPECT_EQ(sc->config.ram_pages, 64u * 256);
  EXPECT_EQ(sc->config.max_map_count, 100);
  ASSERT_EQ(sc->steps.size(), 22u);
  const Step& mlock = sc->steps[4];
  EXPECT_EQ(mlock.call, "mlock");
  EXPECT_EQ(mlock.loc.line, 7);
  EXPECT_EQ(mlock.expect_result.kind, ExpectedResult::kValue);
  EXPECT_EQ(sc->steps[5].expect_result.kind, ExpectedResult::kError);
  EXPECT_EQ(sc->steps[5].expect_result.err, ENOMEM);
  EXPECT_EQ(sc->steps[11].expectation.rows.size(), 2u);
  EXPECT_EQ(sc->steps[11].expectation.rows[1].mnemonics, std::vector<std::string>{"lo"});
}

TEST(ScenarioParser, ExpressionsEvaluate) {
  auto sc = ParseScenarioText(std::string(kHeader) +
                                  "A: munmap(0x1000 + 2*3P - 1K, (1+1)*4K|1)\n"
                                  "A: munmap(-1, RLIM_INFINITY - 1)\n",
                              "t.scn", false);
  ASSERT_TRUE(sc.ok()) << sc.status();
  Runner r(*sc);
  const Step& s = sc->steps[2];
  EXPECT_EQ(*r.Eval(s.args[0].expr), 0x1000u + 2 * 3 * 4096 - 1024);
  EXPECT_EQ(*r.Eval(s.args[1].expr), 8193u);
  EXPECT_EQ(*r.Eval(sc->steps[3].args[0].expr), ~uint64_t{0});
  EXPECT_EQ(*r.Eval(sc->steps[3].args[1].expr), ~uint64_t{0} - 1);
  // Symbols have values only once their step has run.
  auto sym = ParseScenarioText(std::string(kHeader) + "A: munlock(p+1G-1G, 8K)\n", "t.scn", false);
  ASSERT_TRUE(sym.ok()) << sym.status();
  Runner r2(*sym);
  const Expr& addr = sym->steps[2].args[0].expr;
  EXPECT_TRUE(addr.uses_symbol);
  EXPECT_FALSE(r2.Eval(addr).ok());
  ASSERT_TRUE(r2.RunStep().ok());
  ASSERT_TRUE(r2.RunStep().ok());
  ASSERT_TRUE(r2.Eval(addr).ok());
  EXPECT_EQ(*r2.Eval(addr), 0x7ffff7ff9000u);
}

TEST(ScenarioParser, ErrorsNameLineColumnAndExpectation) {
  EXPECT_EQ(ParseError(std::string(kHeader) + "A: mlokc(p, 8K)\n"),
            "t.scn:4:4: error: unknown syscall 'mlokc', expected a syscall such as mmap, mlock, "
            "munlock; did you mean 'mlock'?");
  EXPECT_THAT(ParseError(std::string(kHeader) + "A: mlock(pp, 8K)\n"),
              StartsWith("t.scn:4:10: error: unknown name 'pp', expected"));
  EXPECT_THAT(ParseError(std::string(kHeader) + "A: mlock(pp, 8K)\n"),
              HasSubstr("did you mean 'p'?"));
  EXPECT_THAT(ParseError(std::string(kHeader) + "B: mlock(p, 8K)\n"),
              StartsWith("t.scn:4:1: error: unknown task 'B'"));
  EXPECT_THAT(
      ParseError(std::string(kHeader) + "A: mmap(NULL, 4K, PROT_RAED, MAP_PRIVATE, -1, 0)\n"),
      HasSubstr("did you mean 'PROT_READ'?"));
  EXPECT_THAT(ParseError(std::string(kHeader) + "A: mlock(p, 8K) = -1 ENOMEN\n"),
              HasSubstr("did you mean 'ENOMEM'?"));
  EXPECT_THAT(ParseError(std::string(kHeader) + "expect A status VmLk = 0 kB\n"),
              HasSubstr("did you mean 'VmLck'?"));
  EXPECT_THAT(ParseError(std::string(kHeader) + "expect A smaps p Lockd = 0 kB\n"),
              HasSubstr("did you mean 'Locked'?"));
  EXPECT_THAT(ParseError(std::string(kHeader) + "expect vmstat nr_mlok = 0\n"),
              HasSubstr("did you mean 'nr_mlock'?"));
  EXPECT_THAT(ParseError(std::string(kHeader) + "expect A page p mlockd\n"),
              HasSubstr("did you mean 'mlocked'?"));
  EXPECT_THAT(ParseError(std::string(kHeader) + "show A map\n"), HasSubstr("did you mean 'maps'?"));
  EXPECT_THAT(ParseError(std::string(kHeader) + "expekt A map_count = 1\n"),
              HasSubstr("did you mean 'expect'?"));
  EXPECT_THAT(
      ParseError(std::string(kHeader) + "A: mlock(p, 8K, 1)\n"),
      StartsWith("t.scn:4:18: error: found 3 arguments to mlock, expected 2: mlock(addr, len)"));
  EXPECT_THAT(ParseError(std::string(kHeader) + "A: mlock(p, 8k)\n"),
              HasSubstr("size suffixes are K, M, G, T"));
  EXPECT_THAT(ParseError(std::string(kHeader) + "A: mlock(p, \"x\")\n"),
              StartsWith("t.scn:4:13: error: found string \"x\", expected an integer expression"));
  EXPECT_THAT(ParseError(std::string(kHeader) + "expect A maps:\n  p p+8K rwxq\n"),
              StartsWith("t.scn:5:10: error: permissions 'rwxq'"));
  EXPECT_THAT(ParseError(std::string(kHeader) + "expect A maps:\nmark\n"),
              HasSubstr("no rows after 'maps:'"));
  EXPECT_THAT(ParseError(std::string(kHeader) + "machine ram=64M\n"),
              HasSubstr("expected `machine` before everything else"));
  EXPECT_THAT(ParseError("A: mlock(p, 8K)\n"), HasSubstr("declare it first: `task A`"));
  EXPECT_THAT(ParseError(std::string(kHeader) + "A: mlock(p, 8K\n"),
              HasSubstr("expected ')' to close the call"));
  EXPECT_THAT(ParseError(std::string(kHeader) + "A: x = \"s\n"), HasSubstr("unterminated string"));
  EXPECT_THAT(ParseError(std::string(kHeader) + "A: mlock(p, 99999999999999999999)\n"),
              HasSubstr("expected a value below 2^64"));
  EXPECT_THAT(ParseError(std::string(kHeader) + "A: mlock(p, 8K) @\n"),
              HasSubstr("unexpected character '@'"));
  EXPECT_THAT(ParseError(std::string(kHeader) + "expect A status VmLck = 8\n"), "(parsed)");
  EXPECT_THAT(ParseError(std::string(kHeader) + "expect A map_count = 1 kB\n"),
              HasSubstr("map_count is not in kB"));
  EXPECT_THAT(ParseError(std::string(kHeader) + "include \"x.scn\"\n"), HasSubstr("include"));
  EXPECT_THAT(ParseError(std::string(kHeader) + "A: mlock(" + std::string(200, '(') + "p" +
                         std::string(200, ')') + ", 8K)\n"),
              HasSubstr("nested too deeply"));
}

TEST(ScenarioParser, RejectsWhatTheModelDoesNotHave) {
  EXPECT_THAT(ParseError(std::string(kHeader) + "A: vfork()\n"),
              StartsWith("t.scn:4:4: error: 'vfork' is not modelled yet"));
  EXPECT_THAT(ParseError(std::string(kHeader) + "A: mremap(p, 4K, 8K, 0)\n"),
              HasSubstr("'mremap' is not modelled yet"));
  EXPECT_THAT(ParseError(std::string(kHeader) + "A: exec()\n"),
              HasSubstr("unknown syscall 'exec', expected a syscall such as mmap, mlock, munlock; "
                        "did you mean 'execve'?"));
  EXPECT_THAT(ParseError(std::string(kHeader) + "A: madvise(p, 4K, MADV_FREE)\n"),
              StartsWith("t.scn:4:19: error: madvise advice 'MADV_FREE' is not modelled yet"));
  EXPECT_EQ(ParseError(std::string(kHeader) + "A: madvise(p, 4K, MADV_DONTNEED)\n"), "(parsed)");
  EXPECT_THAT(ParseError(std::string(kHeader) + "A: prctl(1, 2, p, 4K, \"x\")\n"),
              HasSubstr("expected PR_SET_VMA"));
}

TEST(ScenarioParser, ProcessLifeCycleAndSwapStatements) {
  auto sc = ParseScenarioText(std::string("file /swap size=1M\n") + kHeader +
                                  "A: B = fork() = ok\n"
                                  "A: T = clone(CLONE_VM|CLONE_SIGHAND|CLONE_THREAD)\n"
                                  "T: mlock(p, 4K) = 0\n"
                                  "B: execve(\"/bin/x\", NULL, NULL) = 0\n"
                                  "A: swapon(\"/swap\", SWAP_FLAG_PREFER|5) = 0\n"
                                  "drain\n"
                                  "reclaim 32\n"
                                  "expect lru unevictable = +1\n"
                                  "expect B page p swapped swapcount = 2 swap_offset = 1\n"
                                  "show swaps\n"
                                  "B: exit(0) = 0\n"
                                  "A: swapoff(\"/swap\") = 0\n",
                              "t.scn", false);
  ASSERT_TRUE(sc.ok()) << sc.status();
  std::vector<Step::Kind> kinds;
  for (const Step& s : sc->steps) kinds.push_back(s.kind);
  EXPECT_THAT(kinds, ::testing::ElementsAre(Step::kFile, Step::kTask, Step::kCall, Step::kCall,
                                            Step::kCall, Step::kCall, Step::kCall, Step::kCall,
                                            Step::kDrain, Step::kReclaim, Step::kExpect,
                                            Step::kExpect, Step::kShow, Step::kCall, Step::kCall));
  EXPECT_EQ(sc->steps[3].call, "fork");
  EXPECT_EQ(sc->steps[3].symbol, "B");
  EXPECT_EQ(sc->steps[9].len.value, 32u);
  EXPECT_EQ(sc->steps[10].expectation.kind, Expectation::kLru);
  EXPECT_TRUE(sc->steps[10].expectation.expected.delta);
  EXPECT_EQ(sc->steps[11].expectation.conds[1].name, "swapcount");
}

TEST(ScenarioParser, ProcessLifeCycleErrors) {
  EXPECT_THAT(ParseError(std::string(kHeader) + "A: fork()\n"),
              StartsWith("t.scn:4:4: error: fork() without a name for the new task, expected `A: "
                         "B = fork(...)`"));
  EXPECT_THAT(ParseError(std::string(kHeader) + "A: p = fork()\n"),
              StartsWith("t.scn:4:4: error: 'p' is already a symbol, expected a new task name"));
  EXPECT_THAT(ParseError(std::string(kHeader) + "A: A = fork()\n"),
              StartsWith("t.scn:4:4: error: task 'A' already exists"));
  EXPECT_THAT(ParseError(std::string(kHeader) + "A: B = fork()\nA: B = mlock(p, 4K)\n"),
              StartsWith("t.scn:5:4: error: 'B' is a task, expected a symbol name"));
  EXPECT_THAT(ParseError(std::string(kHeader) + "A: exit(0)\nA: mlock(p, 4K)\n"),
              StartsWith("t.scn:5:1: error: task 'A' has exited, expected a task that is still "
                         "alive"));
  EXPECT_THAT(ParseError(std::string(kHeader) + "A: exit(0)\nexpect A status VmLck = 0\n"),
              StartsWith("t.scn:5:8: error: task 'A' has exited"));
  EXPECT_THAT(ParseError(std::string(kHeader) + "A: swapon(p, 0)\n"),
              StartsWith("t.scn:4:11: error: found 'p', expected a quoted path"));
  EXPECT_THAT(ParseError(std::string(kHeader) + "reclaim\n"),
              StartsWith("t.scn:4:8: error: found end of line, expected the number of pages"));
  EXPECT_THAT(ParseError(std::string(kHeader) + "reclaim p\n"),
              StartsWith("t.scn:4:9: error: 'p', expected a plain number of pages"));
  EXPECT_THAT(ParseError(std::string(kHeader) + "expect lru unevictible = 1\n"),
              HasSubstr("unknown LRU list 'unevictible', expected one of inactive_anon, "
                        "active_anon, inactive_file, active_file, unevictable; did you mean "
                        "'unevictable'?"));
  EXPECT_THAT(ParseError(std::string(kHeader) + "expect A page p !swapcount = 1\n"),
              HasSubstr("'!swapcount', expected swapcount = N"));
  EXPECT_THAT(ParseError("file /f size=4K fs=tmpfs\n"),
              StartsWith("t.scn:1:20: error: file system 'tmpfs', expected ramfs (unevictable "
                         "page cache) or ext4 (ordinary)"));
  EXPECT_THAT(ParseError("machine check_every=0\n"),
              StartsWith("t.scn:1:21: error: check_every=0, expected a step count"));
  EXPECT_THAT(ParseError(std::string(kHeader) + "expect A min_flt = 2 kB\n"),
              HasSubstr("'kB', expected end of line; min_flt is not in kB"));
}

TEST(ScenarioParser, DidYouMeanNeedsACloseName) {
  EXPECT_EQ(DidYouMean("mlokc", {"mlock", "munlock"}), "did you mean 'mlock'?");
  EXPECT_EQ(DidYouMean("zzzzzz", {"mlock", "munlock"}), "");
  EXPECT_EQ(EditDistance("kitten", "sitting"), 3u);
}

TEST(ScenarioParser, ScenarioFilesHaveATitle) {
  EXPECT_TRUE(LooksLikeScenario("# x\ntitle: y\n"));
  EXPECT_FALSE(LooksLikeScenario("task A\n"));
}

}  // namespace
}  // namespace mmsim::scenario

namespace mmsim::scenario {
namespace {

TEST(ScenarioParser, ComparisonsInExpectations) {
  auto sc = ParseScenarioText(std::string(kHeader) +
                                  "expect A status VmRSS >= 0\n"
                                  "expect A status VmSize <= 1M\n"
                                  "expect A map_count != 0\n"
                                  "expect A map_count < 2\n"
                                  "expect A map_count > 0\n"
                                  "expect vmstat nr_mlock >= +0\n",
                              "t.scn", false);
  ASSERT_TRUE(sc.ok()) << sc.status();
  ASSERT_EQ(sc->steps.size(), 8u);
  EXPECT_EQ(sc->steps[2].expectation.expected.cmp, Cmp::kGe);
  EXPECT_EQ(sc->steps[3].expectation.expected.cmp, Cmp::kLe);
  EXPECT_TRUE(sc->steps[3].expectation.expected.bytes_to_kb);
  EXPECT_EQ(sc->steps[4].expectation.expected.cmp, Cmp::kNe);
  EXPECT_EQ(sc->steps[5].expectation.expected.cmp, Cmp::kLt);
  EXPECT_EQ(sc->steps[6].expectation.expected.cmp, Cmp::kGt);
  EXPECT_EQ(sc->steps[7].expectation.expected.cmp, Cmp::kGe);
  EXPECT_TRUE(sc->steps[7].expectation.expected.delta);
  EXPECT_EQ(ParseError(std::string(kHeader) + "expect A map_count 1\n"),
            "t.scn:4:20: error: found number '1', expected '=' (or != < <= > >=) after "
            "map_count");
}

TEST(ScenarioParser, RepeatUnrollsItsBlock) {
  auto sc = ParseScenarioText(
      "title: t\n"
      "task A image=empty\n"
      "repeat i 3:\n"
      "  A: a[i] = mmap(NULL, (i+1)*1P, PROT_READ, MAP_PRIVATE|MAP_ANONYMOUS, -1, 0)\n"
      "  # a comment inside the block\n"
      "  repeat j 2:\n"
      "    A: write a[i]+j*0 1P\n"
      "A: munmap(a[2], 3P) = 0\n"
      "expect A map_count = 1\n",  // the three mappings merged; 3 of their 6 pages left
      "t.scn", false);
  ASSERT_TRUE(sc.ok()) << sc.status();
  // task, 3 x (mmap + 2 writes), munmap, expect
  ASSERT_EQ(sc->steps.size(), 12u);
  EXPECT_EQ(sc->steps[1].symbol, "a[0]");
  EXPECT_EQ(sc->steps[1].loc.line, 4);
  EXPECT_EQ(sc->steps[4].symbol, "a[1]");
  EXPECT_EQ(sc->steps[7].symbol, "a[2]");
  EXPECT_EQ(sc->steps[8].addr.name, "");  // `a[i]+j*0` is a sum
  EXPECT_EQ(sc->steps[10].args[0].expr.name, "a[2]");
  const ScenarioOutcome out = CheckScenario(*sc);
  EXPECT_TRUE(out.passed) << testing::PrintToString(out.diagnostics);
}

TEST(ScenarioParser, RepeatErrors) {
  EXPECT_EQ(ParseError(std::string(kHeader) + "repeat i 3:\nmark\n"),
            "t.scn:4:1: error: 'repeat' without a block, expected statements on the following "
            "lines, indented more than `repeat`");
  EXPECT_EQ(ParseError(std::string(kHeader) + "repeat i 100001:\n  mark\n"),
            "t.scn:4:10: error: repeat count 100001, expected at most 100000 iterations");
  EXPECT_THAT(ParseError(std::string(kHeader) + "repeat i p:\n  mark\n"),
              HasSubstr("t.scn:4:10: error: 'p' uses a symbol, expected a constant count"));
  EXPECT_THAT(ParseError(std::string(kHeader) + "repeat PROT_READ 2:\n  mark\n"),
              HasSubstr("reserved name"));
  // Errors inside the block name the block's line and column.
  EXPECT_THAT(ParseError(std::string(kHeader) + "repeat i 2:\n  A: mlokc(p, i)\n"),
              StartsWith("t.scn:5:6: error: unknown syscall 'mlokc'"));
  EXPECT_THAT(ParseError(std::string(kHeader) + "repeat i 2:\n  A: mlock(a[i], 1P)\n"),
              StartsWith("t.scn:5:12: error: unknown name 'a[0]'"));
  EXPECT_THAT(ParseError(std::string(kHeader) + "repeat i 2:\n  A: mlock(p, 1P)\nA: mlock(i, 1)\n"),
              HasSubstr("t.scn:6:10: error: unknown name 'i'"));
  EXPECT_THAT(ParseError(std::string(kHeader) + "repeat i 100000:\n  mark\n  mark\n  mark\n"),
              HasSubstr("unrolled to too many lines"));
}

}  // namespace
}  // namespace mmsim::scenario
