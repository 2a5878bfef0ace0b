// Runs page-access traces through every reclaim policy on a small machine with swap and a
// process holding mlocked memory, and reports per policy the kernel's counters: faults
// (minor, major = swap-ins of pages reclaim took), pgscan, pgsteal, pages swapped out, the
// locked pages (none may be reclaimed: a run that loses one fails) and the host time.
//   build/bench/policy_bench                                   # scan, zipf, loop; all policies
//   build/bench/policy_bench --trace bench/traces/sort.trace --ram 4M --csv out.csv --plot out.gp
// docs/policies.md describes the options, the workloads and the output.
#include <cstdio>
#include <fstream>
#include <iostream>
#include <string>
#include <vector>

#include "CLI/CLI.hpp"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "mmsim/access_trace.h"
#include "mmsim/reclaim_policy.h"
#include "mmsim/types.h"
#include "nlohmann/json.hpp"

using namespace mmsim;

namespace {

// "64M", "1G", "512K" or a byte count, in pages; 0 on a malformed size.
uint64_t ParsePages(const std::string& s) {
  std::string digits = s;
  uint64_t mult = 1;
  if (!digits.empty()) {
    switch (absl::ascii_toupper(static_cast<unsigned char>(digits.back()))) {
      case 'K':
        mult = uint64_t{1} << 10;
        break;
      case 'M':
        mult = uint64_t{1} << 20;
        break;
      case 'G':
        mult = uint64_t{1} << 30;
        break;
      default:
        break;
    }
    if (mult != 1) digits.pop_back();
  }
  uint64_t v;
  if (!absl::SimpleAtoi(digits, &v)) return 0;
  return v * mult / PAGE_SIZE;
}

struct Row {
  std::string workload;
  std::string policy;
  ReplayResult r;
};

std::string CsvHeader() {
  return "workload,policy,accesses,minor_faults,major_faults,failed_accesses,pgscan,pgsteal,"
         "pswpout,locked_pages,locked_evicted,host_seconds\n";
}

std::string CsvRow(const Row& row) {
  const ReplayResult& r = row.r;
  return absl::StrFormat("%s,%s,%u,%u,%u,%u,%u,%u,%u,%u,%u,%.6f\n", row.workload, row.policy,
                         r.accesses, r.minor_faults, r.major_faults, r.failed_accesses, r.pgscan,
                         r.pgsteal, r.pswpout, r.locked_pages, r.locked_evicted, r.host_seconds);
}

// A gnuplot script with the numbers inline: major faults and pgscan per workload, one bar
// per policy; `gnuplot FILE.gp` writes FILE.png.
std::string GnuplotScript(const std::vector<Row>& rows, const std::vector<std::string>& workloads,
                          const std::vector<std::string>& policies, const std::string& png,
                          const std::string& machine) {
  auto block = [&](const char* name, uint64_t ReplayResult::*field) {
    std::string s =
        absl::StrCat("$", name, " << EOD\nworkload ", absl::StrJoin(policies, " "), "\n");
    for (const std::string& w : workloads) {
      absl::StrAppend(&s, w);
      for (const std::string& p : policies) {
        for (const Row& row : rows) {
          if (row.workload == w && row.policy == p) absl::StrAppend(&s, " ", row.r.*field);
        }
      }
      absl::StrAppend(&s, "\n");
    }
    return absl::StrCat(s, "EOD\n");
  };
  std::string s = "# Written by policy_bench; run `gnuplot ";
  absl::StrAppend(&s, "<this file>` to draw ", png, "\n");
  absl::StrAppend(&s, block("majflt", &ReplayResult::major_faults));
  absl::StrAppend(&s, block("pgscan", &ReplayResult::pgscan));
  absl::StrAppend(&s, "set terminal pngcairo size 1200,500\n", "set output '", png, "'\n",
                  "set style data histograms\nset style histogram clustered gap 1\n",
                  "set style fill solid 0.8 border -1\nset key top left\nset grid ytics\n",
                  "set multiplot layout 1,2 title 'mmsim reclaim policies (", machine, ")'\n",
                  "set title 'major faults (swap-ins)'\n", "plot for [i=2:", policies.size() + 1,
                  "] $majflt using i:xtic(1) title columnheader(i)\n",
                  "set title 'pages scanned (pgscan)'\n", "plot for [i=2:", policies.size() + 1,
                  "] $pgscan using i:xtic(1) title columnheader(i)\n", "unset multiplot\n");
  return s;
}

bool WriteFile(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary);
  out << text;
  if (!out) {
    std::cerr << path << ": cannot write\n";
    return false;
  }
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"Runs page-access traces through mmsim's reclaim policies (docs/policies.md)."};
  std::vector<std::string> trace_files, patterns, policies;
  std::string ram = "64M", swap = "256M", locked = "4M";
  std::string csv_path, json_path, plot_path, write_trace;
  uint64_t accesses = 200000, seed = 1;
  bool check = false, list = false;
  app.add_option("--trace", trace_files, "trace file(s): lines `R|W 0xADDR [PID]`, # comments");
  app.add_option("--gen", patterns,
                 "synthetic workload(s): scan, zipf, loop (default: all three "
                 "when no --trace is given)")
      ->delimiter(',');
  app.add_option("--policy,--policies", policies, "policies to run (default: all registered)")
      ->delimiter(',');
  app.add_option("--ram", ram, "simulated memory (K, M, G suffixes)")->capture_default_str();
  app.add_option("--swap", swap, "swap file size")->capture_default_str();
  app.add_option("--locked", locked, "mlocked memory held by a separate process")
      ->capture_default_str();
  app.add_option("--accesses", accesses, "accesses per synthetic workload")->capture_default_str();
  app.add_option("--seed", seed, "seed of the synthetic workloads")->capture_default_str();
  app.add_option("--csv", csv_path, "write one CSV row per workload and policy");
  app.add_option("--json", json_path, "write the results as JSON");
  app.add_option("--plot", plot_path, "write a gnuplot script (FILE.gp draws FILE.png)");
  app.add_option("--write-trace", write_trace,
                 "write the one --gen workload as a trace file and exit");
  app.add_flag("--check", check, "run the invariant checker after every access (slow)");
  app.add_flag("--list", list, "list the registered policies and exit");
  CLI11_PARSE(app, argc, argv);

  if (list) {
    for (const std::string& p : reclaim_policy_names()) std::cout << p << "\n";
    return 0;
  }
  ReplayConfig rc;
  rc.ram_pages = ParsePages(ram);
  rc.swap_pages = swap == "0" ? 0 : ParsePages(swap);
  rc.locked_pages = locked == "0" ? 0 : ParsePages(locked);
  rc.check_invariants = check;
  if (rc.ram_pages < 256 || (swap != "0" && rc.swap_pages < 2) ||
      (locked != "0" && rc.locked_pages == 0)) {
    std::cerr << "policy_bench: --ram needs at least 1M; --swap and --locked take sizes such as "
                 "256M (or 0)\n";
    return 2;
  }
  if (policies.empty()) policies = reclaim_policy_names();
  for (const std::string& p : policies) {
    if (auto s = create_reclaim_policy(p); !s.ok()) {
      std::cerr << "policy_bench: " << s.status().message() << "\n";
      return 2;
    }
  }
  if (patterns.empty() && trace_files.empty()) patterns = synthetic_pattern_names();

  std::vector<AccessTrace> traces;
  for (const std::string& p : patterns) {
    auto t = generate_access_trace(p, rc.ram_pages, accesses, seed);
    if (!t.ok()) {
      std::cerr << "policy_bench: " << t.status().message() << "\n";
      return 2;
    }
    traces.push_back(std::move(t).value());
  }
  if (!write_trace.empty()) {
    if (traces.size() != 1 || !trace_files.empty()) {
      std::cerr << "policy_bench: --write-trace takes exactly one --gen workload\n";
      return 2;
    }
    const std::string header = absl::StrFormat(
        "mmsim synthetic workload '%s': %u accesses for a %s machine, seed %u\n"
        "written by: policy_bench --gen %s --ram %s --accesses %u --seed %u --write-trace FILE",
        patterns[0], accesses, ram, seed, patterns[0], ram, accesses, seed);
    return WriteFile(write_trace, format_access_trace(traces[0], header)) ? 0 : 1;
  }
  for (const std::string& f : trace_files) {
    auto t = read_access_trace(f);
    if (!t.ok()) {
      std::cerr << t.status().message() << "\n";
      return 1;
    }
    traces.push_back(std::move(t).value());
  }

  const std::string machine = absl::StrFormat(
      "ram=%s swap=%s locked=%s", ram, rc.swap_pages ? swap : "0", rc.locked_pages ? locked : "0");
  std::cout << "mmsim policy_bench: " << machine << ", policies " << absl::StrJoin(policies, ", ")
            << "\n\n";
  const char* kHead = "%-16s %-8s %9s %9s %9s %9s %9s %9s %7s %7s %9s %8s\n";
  std::cout << absl::StrFormat(kHead, "workload", "policy", "accesses", "minflt", "majflt",
                               "pgscan", "pgsteal", "pswpout", "locked", "lk_evct", "host_ms",
                               "Macc/s");
  std::vector<Row> rows;
  std::vector<std::string> workloads;
  bool failed = false;
  for (const AccessTrace& t : traces) {
    std::string workload = t.name;
    if (size_t slash = workload.rfind('/'); slash != std::string::npos)
      workload = workload.substr(slash + 1);
    workloads.push_back(workload);
    for (const std::string& p : policies) {
      rc.policy = p;
      auto r = replay_access_trace(t, rc);
      if (!r.ok()) {
        std::cerr << "policy_bench: " << workload << " / " << p << ": " << r.status().message()
                  << "\n";
        failed = true;
        continue;
      }
      rows.push_back({workload, p, *r});
      const ReplayResult& x = *r;
      std::cout << absl::StrFormat(
          "%-16s %-8s %9u %9u %9u %9u %9u %9u %7u %7u %9.1f %8.2f%s\n", workload, p, x.accesses,
          x.minor_faults, x.major_faults, x.pgscan, x.pgsteal, x.pswpout, x.locked_pages,
          x.locked_evicted, x.host_seconds * 1e3,
          x.host_seconds > 0 ? static_cast<double>(x.accesses) / x.host_seconds / 1e6 : 0.0,
          x.failed_accesses ? absl::StrCat("  (", x.failed_accesses, " accesses out of memory)")
                            : "");
    }
  }

  if (!csv_path.empty()) {
    std::string csv = CsvHeader();
    for (const Row& row : rows) csv += CsvRow(row);
    if (!WriteFile(csv_path, csv)) return 1;
  }
  if (!json_path.empty()) {
    nlohmann::json j;
    j["machine"] = {{"ram_pages", rc.ram_pages},
                    {"swap_pages", rc.swap_pages},
                    {"locked_pages", rc.locked_pages}};
    j["results"] = nlohmann::json::array();
    for (const Row& row : rows) {
      const ReplayResult& r = row.r;
      j["results"].push_back({{"workload", row.workload},
                              {"policy", row.policy},
                              {"accesses", r.accesses},
                              {"minor_faults", r.minor_faults},
                              {"major_faults", r.major_faults},
                              {"failed_accesses", r.failed_accesses},
                              {"pgscan", r.pgscan},
                              {"pgsteal", r.pgsteal},
                              {"pswpout", r.pswpout},
                              {"locked_pages", r.locked_pages},
                              {"locked_evicted", r.locked_evicted},
                              {"host_seconds", r.host_seconds}});
    }
    if (!WriteFile(json_path, j.dump(2) + "\n")) return 1;
  }
  if (!plot_path.empty()) {
    std::string png = plot_path;
    if (absl::EndsWith(png, ".gp")) png.resize(png.size() - 3);
    png += ".png";
    if (!WriteFile(plot_path, GnuplotScript(rows, workloads, policies, png, machine))) return 1;
  }
  return failed ? 1 : 0;
}
