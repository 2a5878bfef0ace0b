// mmsim: run, check, explain and inspect scenarios of the Linux 6.18 memory-locking model.
// CLI11's exceptions stay in this file; the library reports errors as absl::Status.
#include <iostream>
#include <string>
#include <vector>

#include "CLI/CLI.hpp"
#include "mmsim/version.h"
#include "sim/scenario/commands.h"
#include "sim/scenario/diff.h"
#include "sim/scenario/fuzz_diff.h"

int main(int argc, char** argv) {
  CLI::App app{
      "mmsim - a userspace model of Linux 6.18 memory locking (mlock, VMAs, merge/split, "
      "pages).\nScenarios (.scn) are described in docs/scenarios.md.",
      "mmsim"};
  app.require_subcommand(1);
  app.set_version_flag("--version", [] {
    return std::string("mmsim " MMSIM_VERSION ", a model of Linux " MMSIM_KERNEL_VERSION
                       " memory management\nhost server: ") +
           mmsim::scenario::HostServerPath();
  });
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

  auto* host = app.add_subcommand(
      "host", "Run a scenario's steps as real syscalls on this kernel and print its views");
  host->add_option("FILE", file, "scenario file (.scn)")->required();
  host->footer(
      "One real process per task (mmsim-host-server), pinned to CPU 0, at the addresses the\n"
      "simulator chose. Needs root and /proc/kpageflags; otherwise prints `skipped: <why>`.\n"
      "Examples:\n"
      "  sudo mmsim host scenarios/basics/mlock-middle-split.scn");

  std::vector<std::string> diff_paths;
  auto* diff = app.add_subcommand("diff",
                                  "Run scenarios on the simulator and on this kernel, "
                                  "and print every divergence");
  diff->add_option("PATHS", diff_paths, "scenario files or directories (searched for *.scn)")
      ->required();
  diff->footer(
      "Each divergence: `file:line step, view, field, simulator VALUE, kernel VALUE`.\n"
      "The last line is `N scenarios, N divergences`; the exit status is 1 on any.\n"
      "Examples:\n"
      "  mmsim diff scenarios/\n"
      "  mmsim diff scenarios/mlock/onfault.scn");

  mmsim::scenario::FuzzDiffOptions fz;
  bool no_fork = false;
  auto* fuzz = app.add_subcommand(
      "fuzz-diff",
      "Random call sequences on the simulator and on this kernel; divergences are "
      "shrunk to minimal .scn files");
  fuzz->add_option("--seed", fz.seed, "random seed")->capture_default_str();
  fuzz->add_option("--sequences", fz.sequences, "number of sequences")
      ->capture_default_str()
      ->check(CLI::NonNegativeNumber);
  fuzz->add_option("--ops", fz.ops, "calls per sequence")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  fuzz->add_option("--out", fz.out_dir, "directory for minimised scenarios")->capture_default_str();
  fuzz->add_flag("--no-fork", no_fork, "do not generate fork()");
  fuzz->add_option("--max-shrink", fz.max_shrink,
                   "divergent sequences to shrink and write out (the rest are only counted)")
      ->capture_default_str()
      ->check(CLI::NonNegativeNumber);
  fuzz->footer(
      "Examples:\n"
      "  mmsim fuzz-diff --seed 1 --sequences 2000 --ops 50\n"
      "  mmsim fuzz-diff --seed 7 --sequences 10 --ops 200 --out /tmp");

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
  if (*host) return CmdHost(file, std::cout, std::cerr);
  if (*diff) return CmdDiff(diff_paths, std::cout, std::cerr);
  if (*fuzz) {
    fz.fork = !no_fork;
    return CmdFuzzDiff(fz, std::cout, std::cerr);
  }
  return 1;
}
