// `mmsim fuzz-diff`: random sequences of memory-locking calls in a small address window, run
// on the simulator and on the host kernel (through the same engine as `mmsim diff`), compared
// after every call. A divergence is shrunk to a minimal sequence and written as a .scn file.
#ifndef MMSIM_SCENARIO_FUZZ_DIFF_H_
#define MMSIM_SCENARIO_FUZZ_DIFF_H_

#include <cstdint>
#include <ostream>
#include <string>
#include <vector>

namespace mmsim::scenario {

struct FuzzDiffOptions {
  uint64_t seed = 1;
  int sequences = 100;
  int ops = 50;
  std::string out_dir = ".";
  bool fork = true;    // generate fork() (the child runs later ops too)
  int max_shrink = 5;  // divergent sequences shrunk and written out; the rest are counted
};

// One generated call or access, as a scenario line ("A: mlock(0x7f0000000000+2P, 3P)").
struct FuzzOp {
  std::string line;
  // What the generator assumed about the task afterwards (see fuzz_diff.cc: the rules that
  // keep the server's own mappings out of the comparison).
  enum Kind { kOther, kSetrlimit, kCapDrop, kMlockallCurrent, kMunlockall, kFork, kExit };
  Kind kind = kOther;
  uint64_t limit = 0;  // kSetrlimit
  std::string task = "A";
};

// The scenario text of a sequence (with show steps after the last op when `shows`).
std::string FuzzScenarioText(const std::vector<FuzzOp>& ops, const std::string& title, bool shows);
// The sequence number `index` of the run seeded with `seed`.
std::vector<FuzzOp> GenerateFuzzOps(uint64_t seed, int index, int ops, bool fork);
// Whether the generator's rules hold for a (possibly shrunk) sequence.
bool FuzzOpsValid(const std::vector<FuzzOp>& ops);

int CmdFuzzDiff(const FuzzDiffOptions& o, std::ostream& out, std::ostream& err);

}  // namespace mmsim::scenario

#endif  // MMSIM_SCENARIO_FUZZ_DIFF_H_
