// Runs page-access traces through every reclaim policy on a small machine with swap and a
// process holding mlocked memory, and reports per policy the cache's miss ratio and the
// kernel's counters: faults (minor, major = swap-ins of pages reclaim took), refaults,
// pgscan, pgsteal, pages swapped out, the locked pages (none may be reclaimed: a run that
// loses one fails) and the host time. Traces stream: mmsim text, libCacheSim oracleGeneral,
// txt and csv, valgrind lackey logs, any of them zstd-compressed.
//   build/bench/policy_bench                                   # scan, zipf, loop; all policies
//   build/bench/policy_bench --trace bench/traces/sort.trace --ram 4M --csv out.csv --plot out.gp
//   build/bench/policy_bench --trace t.oracleGeneral.bin --cache-size 10000 --policy lru,linux
// docs/policies.md describes the options, the workloads and the output.
#include <cstdio>
#include <fstream>
#include <iostream>
#include <memory>
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
         "pswpout,locked_pages,locked_evicted,host_seconds,requests,misses,miss_ratio,"
         "page_accesses,page_misses,refaults,resident_pages\n";
}

std::string CsvRow(const Row& row) {
  const ReplayResult& r = row.r;
  return absl::StrFormat("%s,%s,%u,%u,%u,%u,%u,%u,%u,%u,%u,%.6f,%u,%u,%.6f,%u,%u,%u,%u\n",
                         row.workload, row.policy, r.accesses, r.minor_faults, r.major_faults,
                         r.failed_accesses, r.pgscan, r.pgsteal, r.pswpout, r.locked_pages,
                         r.locked_evicted, r.host_seconds, r.requests, r.misses, r.miss_ratio(),
                         r.page_accesses, r.page_misses, r.refaults, r.resident_pages);
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

nlohmann::json JsonResult(const Row& row) {
  const ReplayResult& r = row.r;
  return {{"workload", row.workload},
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
          {"host_seconds", r.host_seconds},
          {"requests", r.requests},
          {"misses", r.misses},
          {"miss_ratio", r.miss_ratio()},
          {"page_accesses", r.page_accesses},
          {"page_misses", r.page_misses},
          {"refaults", r.refaults},
          {"resident_pages", r.resident_pages},
          {"swap_pages", r.swap_pages},
          {"interval_miss_ratios", r.interval_miss_ratios}};
}

// A trace to replay: a file, or a synthetic workload generated once and kept in memory.
struct Workload {
  std::string name;
  std::string path;  // a file, opened anew for each run
  std::shared_ptr<AccessTrace> generated;
};

// --cache-size: a page count, or bytes with a K, M or G suffix; 0 when malformed.
uint64_t ParseCacheSize(const std::string& s) {
  uint64_t pages;
  if (absl::SimpleAtoi(s, &pages)) return pages;
  return ParsePages(s);
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"Runs page-access traces through mmsim's reclaim policies (docs/policies.md)."};
  std::vector<std::string> trace_files, patterns, policies;
  std::string ram = "64M", swap = "256M", locked = "4M", cache_size, format = "auto",
              id_map = "dense";
  std::string trace_type_params;
  std::string csv_path, json_path, plot_path, write_trace;
  uint64_t accesses = 200000, seed = 1, warmup = 0, limit = 0, interval = 0;
  bool check = false, list = false, reads_allocate = false, ignore_obj_size = false;
  TraceOptions topt;
  app.add_option("--trace", trace_files,
                 "trace file(s): mmsim text, oracleGeneral, txt, csv or lackey, optionally .zst");
  app.add_option("--format", format, "trace format: auto, mmsim, oracleGeneral, txt, csv, lackey")
      ->capture_default_str();
  app.add_option("-t,--trace-type-params", trace_type_params,
                 "libCacheSim's csv/txt options: \"obj-id-col=2,obj-size-col=3,has-header=true,"
                 "delimiter=;,time-col=1,op-type-col=4,obj-id-is-num=0\"");
  app.add_option("--obj-id-col", topt.obj_id_col, "csv: column of the object id (from 1)");
  app.add_option("--obj-size-col", topt.obj_size_col, "csv: column of the object size in bytes");
  app.add_option("--time-col", topt.time_col, "csv: column of the time stamp (not used)");
  app.add_option("--op-type-col", topt.op_type_col, "csv: column of the operation (write/set)");
  app.add_option("--has-header", topt.has_header, "csv: the first line names the columns");
  std::string delimiter;
  app.add_option("--delimiter", delimiter, "csv: the column separator (one character, or \\t)");
  app.add_option("--obj-id-is-num", topt.obj_id_is_num, "txt/csv: ids are numbers (else hashed)");
  app.add_option("--id-map", id_map, "object ids to pages: dense (packed) or hash")
      ->capture_default_str();
  app.add_flag("--ignore-obj-size", ignore_obj_size, "every object is one page");
  app.add_option("--gen", patterns,
                 "synthetic workload(s): scan, zipf, loop (default: all three "
                 "when no --trace is given)")
      ->delimiter(',');
  app.add_option("--policy,--policies", policies, "policies to run (default: all registered)")
      ->delimiter(',');
  app.add_option("--cache-size", cache_size,
                 "a cache study: evictable memory in pages (or bytes: K, M, G); sets --ram from "
                 "the kernel's watermarks, no locked memory, swap that grows as needed");
  auto* ram_opt =
      app.add_option("--ram", ram, "simulated memory (K, M, G suffixes)")->capture_default_str();
  auto* swap_opt = app.add_option("--swap", swap, "swap file size")->capture_default_str();
  auto* locked_opt = app.add_option("--locked", locked, "mlocked memory held by a separate process")
                         ->capture_default_str();
  app.add_flag("--reads-allocate", reads_allocate,
               "a read of a never-written page allocates one (a machine without the zero page)");
  app.add_option("--warmup", warmup, "requests replayed before misses are counted");
  app.add_option("--limit", limit, "replay at most this many requests of each trace");
  app.add_option("--interval", interval, "print the miss ratio of every N counted requests");
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
  auto usage_error = [](absl::string_view what) {
    std::cerr << "policy_bench: " << what << "\n";
    return 2;
  };
  if (auto f = parse_trace_format(format); f.ok()) {
    topt.format = *f;
  } else {
    return usage_error(f.status().message());
  }
  if (!delimiter.empty()) absl::StrAppend(&trace_type_params, ",delimiter=", delimiter);
  if (absl::Status s = parse_trace_type_params(trace_type_params, &topt); !s.ok())
    return usage_error(s.message());
  ReplayConfig rc;
  if (id_map == "dense") {
    rc.id_map = ReplayConfig::IdMap::kDense;
  } else if (id_map == "hash") {
    rc.id_map = ReplayConfig::IdMap::kHash;
  } else {
    return usage_error(absl::StrCat("--id-map ", id_map, ": expected dense or hash"));
  }
  rc.ignore_obj_size = ignore_obj_size;
  rc.reads_allocate = reads_allocate;
  rc.warmup = warmup;
  rc.limit = limit;
  rc.interval = interval;
  rc.check_invariants = check;
  rc.swap_pages = swap == "0" ? 0 : ParsePages(swap);
  rc.locked_pages = locked == "0" ? 0 : ParsePages(locked);
  if ((swap != "0" && rc.swap_pages < 2) || (locked != "0" && rc.locked_pages == 0))
    return usage_error("--swap and --locked take sizes such as 256M (or 0)");
  std::string machine;
  if (!cache_size.empty()) {
    // A cache study: the evictable memory is what is asked for; nothing else takes memory
    // unless asked (--locked), and swap grows with what the trace needs (unless --swap).
    const uint64_t cache_pages = ParseCacheSize(cache_size);
    if (cache_pages == 0) return usage_error("--cache-size takes pages (10000) or bytes (40M)");
    if (ram_opt->count()) return usage_error("--cache-size sets --ram: give one of them");
    if (!locked_opt->count()) rc.locked_pages = 0;
    const CacheMachine cm = cache_machine_for(cache_pages + rc.locked_pages);
    rc.ram_pages = cm.ram_pages;
    if (!swap_opt->count()) {
      rc.grow_swap = true;
      rc.swap_pages = std::max<uint64_t>(2 * cm.ram_pages, 16384);
    }
    std::cout << absl::StrFormat(
        "cache of %u pages: ram %u pages (%s), watermarks min %u low %u high %u: kswapd frees "
        "up to high, so %u to %u evictable pages are resident between its passes%s\n",
        cache_pages, cm.ram_pages, absl::StrCat(cm.ram_pages * 4, "K"), cm.wmark_min, cm.wmark_low,
        cm.wmark_high, cache_pages, cache_pages + cm.wmark_high - cm.wmark_low,
        rc.locked_pages ? absl::StrCat(" (beside ", rc.locked_pages, " locked)") : "");
    machine = absl::StrFormat("cache=%u pages ram=%u pages swap=%s locked=%u pages", cache_pages,
                              rc.ram_pages, rc.grow_swap ? "grows" : swap, rc.locked_pages);
  } else {
    rc.ram_pages = ParsePages(ram);
    if (rc.ram_pages < 256) return usage_error("--ram needs at least 1M");
    machine = absl::StrFormat("ram=%s swap=%s locked=%s", ram, rc.swap_pages ? swap : "0",
                              rc.locked_pages ? locked : "0");
  }
  if (policies.empty()) policies = reclaim_policy_names();
  for (const std::string& p : policies) {
    if (auto s = create_reclaim_policy(p); !s.ok()) return usage_error(s.status().message());
  }
  if (patterns.empty() && trace_files.empty()) patterns = synthetic_pattern_names();

  std::vector<Workload> workloads;
  for (const std::string& p : patterns) {
    auto t = generate_access_trace(p, rc.ram_pages, accesses, seed);
    if (!t.ok()) return usage_error(t.status().message());
    workloads.push_back({p, "", std::make_shared<AccessTrace>(std::move(t).value())});
  }
  if (!write_trace.empty()) {
    if (workloads.size() != 1 || !trace_files.empty())
      return usage_error("--write-trace takes exactly one --gen workload");
    const std::string header = absl::StrFormat(
        "mmsim synthetic workload '%s': %u accesses for a %s machine, seed %u\n"
        "written by: policy_bench --gen %s --ram %s --accesses %u --seed %u --write-trace FILE",
        patterns[0], accesses, ram, seed, patterns[0], ram, accesses, seed);
    return WriteFile(write_trace, format_access_trace(*workloads[0].generated, header)) ? 0 : 1;
  }
  for (const std::string& f : trace_files) {
    std::string name = f;
    if (size_t slash = name.rfind('/'); slash != std::string::npos) name = name.substr(slash + 1);
    workloads.push_back({name, f, nullptr});
  }

  std::cout << "mmsim policy_bench: " << machine << ", policies " << absl::StrJoin(policies, ", ")
            << "\n\n";
  const char* kHead = "%-16s %-8s %9s %7s %7s %9s %9s %9s %9s %9s %9s %9s %7s %7s %9s %8s\n";
  std::cout << absl::StrFormat(kHead, "workload", "policy", "accesses", "miss", "hit", "minflt",
                               "majflt", "refault", "resident", "pgscan", "pgsteal", "pswpout",
                               "locked", "lk_evct", "host_ms", "Macc/s");
  std::vector<Row> rows;
  std::vector<std::string> workload_names;
  bool failed = false;
  for (const Workload& w : workloads) {
    workload_names.push_back(w.name);
    const TraceOpener open = [&w, &topt]() -> absl::StatusOr<std::unique_ptr<TraceReader>> {
      if (w.generated) return access_trace_reader(*w.generated);
      return open_trace(w.path, topt);
    };
    for (const std::string& p : policies) {
      rc.policy = p;
      auto r = replay_trace(open, rc);
      if (!r.ok()) {
        std::cerr << "policy_bench: " << w.name << " / " << p << ": " << r.status().message()
                  << "\n";
        failed = true;
        continue;
      }
      rows.push_back({w.name, p, *r});
      const ReplayResult& x = *r;
      std::cout << absl::StrFormat(
          "%-16s %-8s %9u %7.4f %7.4f %9u %9u %9u %9u %9u %9u %9u %7u %7u %9.1f %8.2f\n", w.name, p,
          x.accesses, x.miss_ratio(), x.requests ? 1 - x.miss_ratio() : 0.0, x.minor_faults,
          x.major_faults, x.refaults, x.resident_pages, x.pgscan, x.pgsteal, x.pswpout,
          x.locked_pages, x.locked_evicted, x.host_seconds * 1e3,
          x.host_seconds > 0 ? static_cast<double>(x.accesses) / x.host_seconds / 1e6 : 0.0);
    }
  }
  if (interval) {
    std::cout << absl::StrFormat("\nmiss ratio of every %u requests (after a warm-up of %u)\n",
                                 interval, warmup);
    for (const Row& row : rows) {
      std::cout << absl::StrFormat("%-16s %-8s", row.workload, row.policy);
      for (double v : row.r.interval_miss_ratios) std::cout << absl::StrFormat(" %.4f", v);
      std::cout << "\n";
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
    for (const Row& row : rows) j["results"].push_back(JsonResult(row));
    if (!WriteFile(json_path, j.dump(2) + "\n")) return 1;
  }
  if (!plot_path.empty()) {
    std::string png = plot_path;
    if (absl::EndsWith(png, ".gp")) png.resize(png.size() - 3);
    png += ".png";
    if (!WriteFile(plot_path, GnuplotScript(rows, workload_names, policies, png, machine)))
      return 1;
  }
  return failed ? 1 : 0;
}
