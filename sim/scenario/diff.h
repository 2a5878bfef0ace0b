// Runs a scenario on the simulator and on the host kernel in lockstep and compares them:
// `mmsim host FILE` (the kernel's results and views), `mmsim diff FILE|DIR...` (every
// divergence) and the engine under `mmsim fuzz-diff` (sim/scenario/fuzz_diff.h).
// docs/scenarios.md, "On the real kernel", describes the commands; docs/fidelity.md, "Host
// oracle allowances", lists what is normalised or not compared and why.
#ifndef MMSIM_SCENARIO_DIFF_H_
#define MMSIM_SCENARIO_DIFF_H_

#include <ostream>
#include <string>
#include <vector>

#include "sim/scenario/host.h"
#include "sim/scenario/scenario.h"

namespace mmsim::scenario {

// One difference between the simulator and the kernel (or an expectation the kernel fails).
struct Divergence {
  std::string where;  // file:line
  std::string step;   // the step as the simulator ran it
  std::string view;   // result, maps, smaps, status, page, vmstat, meminfo, mm, swaps
  std::string field;
  std::string sim;
  std::string kernel;
  // "file:line step, view, field, simulator VALUE, kernel VALUE"
  std::string ToString() const;
};

struct DiffOptions {
  // After every call and access, compare the acting task's window: VMAs with VmFlags,
  // VmLck, and per page present / mlocked / unevictable (fuzz-diff).
  bool compare_every_call = false;
  // Print each step as the kernel ran it, and the kernel's views (`mmsim host`).
  std::ostream* host_log = nullptr;
};

struct DiffOutcome {
  std::string file;
  bool skipped = false;
  std::string skip_reason;  // "file:line: <why>"
  std::string error;        // the scenario itself failed (parse error, simulator error)
  std::vector<Divergence> divergences;
  std::vector<std::string> notes;  // expectations and views not compared, and why
  int steps_run = 0;
};

// A scenario whose machine keeps the default zero_page=on is run with zero_page=off on a
// kernel without the zero page (HostSupport::zero_page), so that both sides fault alike.
DiffOutcome DiffScenario(const Scenario& sc, const HostSupport& host, const DiffOptions& opt);
// A header line for diff output on such a kernel; empty where the zero page exists.
std::string ZeroPageNote(const HostSupport& hs);

int CmdHost(const std::string& file, std::ostream& out, std::ostream& err);
int CmdDiff(const std::vector<std::string>& paths, std::ostream& out, std::ostream& err);

}  // namespace mmsim::scenario

#endif  // MMSIM_SCENARIO_DIFF_H_
