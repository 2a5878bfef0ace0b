// The `mmsim` subcommands as functions that write to streams and return the exit status,
// so that tests can run them without a process.
#ifndef MMSIM_SCENARIO_COMMANDS_H_
#define MMSIM_SCENARIO_COMMANDS_H_

#include <ostream>
#include <string>
#include <vector>

#include "sim/scenario/scenario.h"

namespace mmsim::scenario {

// The outcome of one scenario run as a test.
struct ScenarioOutcome {
  std::string name;  // the path
  bool passed = false;
  // Failed expectations ("file:line: what: expected X, found Y") and errors.
  std::vector<std::string> diagnostics;
};

// Runs a parsed scenario to its end (or its first error) and collects failures.
ScenarioOutcome CheckScenario(const Scenario& sc);
ScenarioOutcome CheckScenarioFile(const std::string& path);
// The .scn files under `paths` (directories recursively, sorted), files named directly
// included; in directories only files with a `title:` line count as scenarios.
std::vector<std::string> CollectScenarioFiles(const std::vector<std::string>& paths,
                                              std::vector<std::string>* errors);

int CmdRun(const std::string& file, bool json, std::ostream& out, std::ostream& err);
int CmdCheck(const std::vector<std::string>& paths, bool tap, std::ostream& out, std::ostream& err);
int CmdExplain(const std::string& file, std::ostream& out, std::ostream& err);
// VIEW is maps, smaps, status, pages (TASK optional: the first task), meminfo or vmstat.
// `extra` is ADDR LEN for pages, in scenario expression syntax.
int CmdShow(const std::string& file, const std::string& view, const std::vector<std::string>& extra,
            std::ostream& out, std::ostream& err);

}  // namespace mmsim::scenario

#endif  // MMSIM_SCENARIO_COMMANDS_H_
