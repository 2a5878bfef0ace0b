// mmsim: run, check, explain and inspect scenarios of the Linux 6.18 memory-locking model.
// CLI11's exceptions stay in this file; the library reports errors as absl::Status.
#include <iostream>
#include <string>
#include <vector>

#include "CLI/CLI.hpp"
#include "sim/scenario/commands.h"

int main(int argc, char** argv) {
  CLI::App app{
      "mmsim - a userspace model of Linux 6.18 memory locking (mlock, VMAs, merge/split, "
      "pages).\nScenarios (.scn) are described in docs/scenarios.md.",
      "mmsim"};
  app.require_subcommand(1);
  app.footer(
      "Examples:\n"
      "  mmsim run scenarios/basics/mlock-middle-split.scn\n"
      "  mmsim explain scenarios/basics/mlock-middle-split.scn\n"
      "  mmsim check scenarios/\n"
      "  mmsim show scenarios/basics/mlock-middle-split.scn maps A");

  std::string file;
  bool json = false;
  auto* run = app.add_subcommand("run", "Run a scenario and print each step with its result");
  run->add_option("FILE", file, "scenario file (.scn)")->required();
  run->add_flag("--json", json, "one JSON object per line per step");
  run->footer(
      "Prints `file:line  A: mlock(0x7ffff7ff5000, 8192) = 0` for every step (failed\n"
      "expectations are flagged; the exit status is 1 if any failed).\n"
      "Examples:\n"
      "  mmsim run scenarios/basics/mlock-middle-split.scn\n"
      "  mmsim run --json scenarios/basics/mlock-middle-split.scn | jq .result");

  std::vector<std::string> paths;
  bool tap = false;
  auto* check = app.add_subcommand("check", "Run scenarios as tests");
  check->add_option("PATHS", paths, "scenario files or directories (searched for *.scn)")
      ->required();
  check->add_flag("--tap", tap, "print KTAP, as kernel selftests do");
  check->footer(
      "In directories, a .scn file is a scenario if it has a `title:` line (others are\n"
      "include files). The last line is `N passed, N failed`; the exit status is 1 on any\n"
      "failure or error.\n"
      "Examples:\n"
      "  mmsim check scenarios/\n"
      "  mmsim check --tap scenarios/basics");

  auto* explain = app.add_subcommand(
      "explain", "Explain each step: kernel call path, decisions, VMA layout before and after");
  explain->add_option("FILE", file, "scenario file (.scn)")->required();
  explain->footer(
      "Examples:\n"
      "  mmsim explain scenarios/basics/mlock-middle-split.scn | less -R");

  std::string view;
  std::vector<std::string> extra;
  auto* show = app.add_subcommand("show", "Run a scenario to its end, then print a view");
  show->add_option("FILE", file, "scenario file (.scn)")->required();
  show->add_option("VIEW", view, "maps, smaps, status, pages, meminfo or vmstat")
      ->required()
      ->check(CLI::IsMember({"maps", "smaps", "status", "pages", "meminfo", "vmstat"}));
  show->add_option("ARGS", extra,
                   "[TASK] for per-task views (default: the first task); pages also takes "
                   "ADDR LEN (scenario expressions, e.g. p 24K)");
  show->footer(
      "Views use the kernel's text formats; `pages` lists address, state, mapcount and\n"
      "kpageflags names, one line a page (without ADDR LEN: every present page).\n"
      "Examples:\n"
      "  mmsim show scenarios/basics/mlock-middle-split.scn maps A\n"
      "  mmsim show scenarios/basics/mlock-middle-split.scn pages A p 24K\n"
      "  mmsim show scenarios/basics/mlock-middle-split.scn meminfo");

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  using namespace mmsim::scenario;
  if (*run) return CmdRun(file, json, std::cout, std::cerr);
  if (*check) return CmdCheck(paths, tap, std::cout, std::cerr);
  if (*explain) return CmdExplain(file, std::cout, std::cerr);
  if (*show) return CmdShow(file, view, extra, std::cout, std::cerr);
  return 1;
}
