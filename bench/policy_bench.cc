// Runs page-access traces through every reclaim policy on a small machine with swap and a
// process holding mlocked memory, and reports per policy the cache's miss ratio and the
// kernel's counters: faults (minor, major = swap-ins of pages reclaim took), refaults,
// pgscan, pgsteal, pages swapped out, the locked pages (none may be reclaimed: a run that
// loses one fails) and the host time. Traces stream: mmsim text, libCacheSim oracleGeneral,
// txt and csv, valgrind lackey logs, any of them zstd-compressed.
//   build/bench/policy_bench                                   # scan, zipf, loop; all policies
//   build/bench/policy_bench --trace bench/traces/sort.trace --ram 4M --csv out.csv --plot out.gp
//   build/bench/policy_bench --trace t.oracleGeneral.bin --cache-size 10000 --policy lru,linux
//   build/bench/policy_bench --trace t.oracleGeneral.bin --cache-sizes 1%,5%,10% --curve mrc
//   build/bench/policy_bench ... --shard 0/4 --jsonl part0.jsonl; policy_bench merge part*.jsonl
// docs/policies.md describes the options, the workloads and the output.
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <tuple>
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
#include "policy_bench_report.h"

using namespace mmsim;
using namespace mmsim_bench;

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

// A cache size: a page count, bytes with a K, M or G suffix, or (percent != nullptr) a
// percentage of the trace's distinct pages; 0 when malformed.
uint64_t ParseCacheSize(const std::string& s, double* percent = nullptr) {
  uint64_t pages;
  if (absl::SimpleAtoi(s, &pages)) return pages;
  if (percent && absl::EndsWith(s, "%")) {
    double v;
    if (!absl::SimpleAtod(s.substr(0, s.size() - 1), &v) || v <= 0 || v > 1000) return 0;
    *percent = v;
    return 1;
  }
  return ParsePages(s);
}

// A trace to replay: a file, or a synthetic workload generated once and kept in memory.
struct Workload {
  std::string name;
  std::string path;  // a file, opened anew for each run
  std::shared_ptr<AccessTrace> generated;
};

// One run of a sweep (workload x policy x cache size), in the order --shard splits.
struct Job {
  size_t workload;
  std::string policy;
  uint64_t cache_pages;  // 0: the machine of --ram
};

// "\r[#####     ] 12/40" on stderr, when it is a terminal.
class Progress {
 public:
  explicit Progress(size_t total) : total_(total), on_(isatty(2) && total > 1) {}
  void step() {
    if (!on_) return;
    const size_t done = ++done_;
    const size_t w = 30, filled = done * w / total_;
    std::fprintf(stderr, "\r[%s%s] %zu/%zu runs", std::string(filled, '#').c_str(),
                 std::string(w - filled, ' ').c_str(), done, total_);
    if (done == total_) std::fprintf(stderr, "\n");
  }

 private:
  size_t total_;
  bool on_;
  std::atomic<size_t> done_{0};
};

// Writes the outputs every run shares: table, intervals, CSV, JSON, JSON lines, plots.
struct Outputs {
  std::string csv, json, jsonl, plot, curve, machine;
};

int Report(const std::vector<Row>& rows, const Outputs& o, uint64_t interval) {
  std::cout << TableHeader();
  std::vector<std::string> workloads, policies;
  for (const Row& row : rows) {
    std::cout << TableRow(row);
    if (std::find(workloads.begin(), workloads.end(), row.workload) == workloads.end())
      workloads.push_back(row.workload);
    if (std::find(policies.begin(), policies.end(), row.policy) == policies.end())
      policies.push_back(row.policy);
  }
  if (interval) {
    std::cout << absl::StrFormat("\nmiss ratio of every %u requests\n", interval);
    for (const Row& row : rows) {
      std::cout << absl::StrFormat("%-16s %-8s %8u", row.workload, row.policy, row.cache_pages);
      for (double v : row.r.interval_miss_ratios) std::cout << absl::StrFormat(" %.4f", v);
      std::cout << "\n";
    }
  }
  if (!o.csv.empty()) {
    std::string csv = CsvHeader();
    for (const Row& row : rows) csv += CsvRow(row);
    if (!WriteFile(o.csv, csv)) return 1;
  }
  if (!o.json.empty()) {
    nlohmann::json j;
    j["machine"] = o.machine;
    j["results"] = nlohmann::json::array();
    for (const Row& row : rows) j["results"].push_back(JsonResult(row));
    if (!WriteFile(o.json, j.dump(2) + "\n")) return 1;
  }
  if (!o.jsonl.empty()) {
    std::string lines;
    for (const Row& row : rows) absl::StrAppend(&lines, JsonResult(row).dump(), "\n");
    if (!WriteFile(o.jsonl, lines)) return 1;
  }
  if (!o.plot.empty()) {
    std::string png = o.plot;
    if (absl::EndsWith(png, ".gp")) png.resize(png.size() - 3);
    png += ".png";
    if (!WriteFile(o.plot, GnuplotBars(rows, workloads, policies, png, o.machine))) return 1;
  }
  if (!o.curve.empty()) {
    std::string csv = "workload,policy,cache_pages,miss_ratio\n";
    for (const Row& row : rows) {
      absl::StrAppendFormat(&csv, "%s,%s,%u,%.6f\n", row.workload, row.policy, row.cache_pages,
                            row.r.miss_ratio());
    }
    if (!WriteFile(o.curve + ".csv", csv) ||
        !WriteFile(o.curve + ".gp", GnuplotCurves(rows, o.curve)))
      return 1;
    std::cout << absl::StrFormat(
        "\nmiss-ratio curves: %s.csv; `gnuplot %s.gp` draws %s.png and "
        "%s.svg\n",
        o.curve, o.curve, o.curve, o.curve);
  }
  return 0;
}

// `policy_bench merge FILE...`: the JSON lines of sharded runs, as one report.
int Merge(const std::vector<std::string>& files, const Outputs& o) {
  std::vector<Row> rows;
  for (const std::string& f : files) {
    std::ifstream in(f);
    if (!in) {
      std::cerr << "policy_bench merge: " << f << ": cannot open\n";
      return 1;
    }
    std::string line;
    for (size_t n = 1; std::getline(in, line); ++n) {
      if (line.empty()) continue;
      absl::StatusOr<Row> row = absl::InvalidArgumentError("not JSON");
      try {
        row = RowFromJson(nlohmann::json::parse(line));
      } catch (const nlohmann::json::exception& e) {
        row = absl::InvalidArgumentError(e.what());
      }
      if (!row.ok()) {
        std::cerr << "policy_bench merge: " << f << ":" << n << ": " << row.status().message()
                  << "\n";
        return 1;
      }
      rows.push_back(std::move(row).value());
    }
  }
  std::stable_sort(rows.begin(), rows.end(), [](const Row& a, const Row& b) {
    return std::tie(a.workload, a.policy, a.cache_pages) <
           std::tie(b.workload, b.policy, b.cache_pages);
  });
  return Report(rows, o, 0);
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"Runs page-access traces through mmsim's reclaim policies (docs/policies.md)."};
  std::vector<std::string> trace_files, patterns, policies, cache_sizes, merge_files;
  std::string ram = "64M", swap = "256M", locked = "4M", cache_size, format = "auto",
              id_map = "dense", trace_type_params, delimiter, shard, write_trace;
  Outputs out;
  uint64_t accesses = 200000, seed = 1, warmup = 0, limit = 0, interval = 0;
  unsigned jobs = std::max(1u, std::thread::hardware_concurrency());
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
  auto* cache_opt = app.add_option(
      "--cache-size", cache_size,
      "a cache study: evictable memory in pages (or bytes: K, M, G); sets --ram from the "
      "kernel's watermarks, no locked memory, swap that grows as needed");
  auto* sizes_opt =
      app.add_option("--cache-sizes", cache_sizes,
                     "miss-ratio curves: cache sizes (pages, bytes, or N% of the trace's "
                     "distinct pages), each a cache study")
          ->delimiter(',');
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
  app.add_option("--jobs", jobs, "runs at once (default: the host's cores)");
  app.add_option("--shard", shard, "I/N: only the runs whose number is I modulo N");
  app.add_option("--csv", out.csv, "write one CSV row per run");
  app.add_option("--json", out.json, "write the results as JSON");
  app.add_option("--jsonl", out.jsonl, "write one JSON line per run (policy_bench merge)");
  app.add_option("--plot", out.plot, "write a gnuplot script (FILE.gp draws FILE.png)");
  app.add_option("--curve", out.curve,
                 "write miss-ratio curves: BASE.csv, BASE.gp (draws BASE.png, BASE.svg)");
  app.add_option("--write-trace", write_trace,
                 "write the one --gen workload as a trace file and exit");
  app.add_flag("--check", check, "run the invariant checker after every access (slow)");
  app.add_flag("--list", list, "list the registered policies and exit");
  CLI::App* merge = app.add_subcommand("merge", "join the --jsonl files of sharded runs");
  merge->add_option("files", merge_files, "JSON-lines files")->required();
  merge->add_option("--csv", out.csv, "write one CSV row per run");
  merge->add_option("--json", out.json, "write the results as JSON");
  merge->add_option("--jsonl", out.jsonl, "write the merged JSON lines");
  merge->add_option("--curve", out.curve, "write miss-ratio curves (BASE.csv, BASE.gp)");
  CLI11_PARSE(app, argc, argv);

  if (list) {
    for (const std::string& p : reclaim_policy_names()) std::cout << p << "\n";
    return 0;
  }
  if (merge->parsed()) return Merge(merge_files, out);
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
  size_t shard_i = 0, shard_n = 1;
  if (!shard.empty()) {
    std::vector<std::string> parts = absl::StrSplit(shard, '/');
    if (parts.size() != 2 || !absl::SimpleAtoi(parts[0], &shard_i) ||
        !absl::SimpleAtoi(parts[1], &shard_n) || shard_n == 0 || shard_i >= shard_n)
      return usage_error("--shard takes I/N with 0 <= I < N, such as 0/4");
  }
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
  const bool cache_study = cache_opt->count() || sizes_opt->count();
  if (cache_opt->count() && sizes_opt->count())
    return usage_error("--cache-size and --cache-sizes: give one of them");
  if (cache_study) {
    // A cache study: the evictable memory is what is asked for; nothing else takes memory
    // unless asked (--locked), and swap grows with what the trace needs (unless --swap).
    if (ram_opt->count()) return usage_error("--cache-size sets --ram: give one of them");
    if (!locked_opt->count()) rc.locked_pages = 0;
    rc.grow_swap = !swap_opt->count();
    out.machine = absl::StrFormat("cache study, swap %s, locked %u pages",
                                  rc.grow_swap ? "grows" : swap, rc.locked_pages);
  } else {
    rc.ram_pages = ParsePages(ram);
    if (rc.ram_pages < 256) return usage_error("--ram needs at least 1M");
    out.machine = absl::StrFormat("ram=%s swap=%s locked=%s", ram, rc.swap_pages ? swap : "0",
                                  rc.locked_pages ? locked : "0");
  }
  if (policies.empty()) policies = reclaim_policy_names();
  for (const std::string& p : policies) {
    if (auto s = create_reclaim_policy(p); !s.ok()) return usage_error(s.status().message());
  }
  if (patterns.empty() && trace_files.empty()) patterns = synthetic_pattern_names();

  const uint64_t gen_pages =
      cache_study ? std::max<uint64_t>(ParseCacheSize(cache_size), 256) : rc.ram_pages;
  std::vector<Workload> workloads;
  for (const std::string& p : patterns) {
    auto t = generate_access_trace(p, gen_pages, accesses, seed);
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
  auto opener = [&](const Workload& w) -> TraceOpener {
    return [&w, &topt]() -> absl::StatusOr<std::unique_ptr<TraceReader>> {
      if (w.generated) return access_trace_reader(*w.generated);
      return open_trace(w.path, topt);
    };
  };

  // The sweep, in a fixed order: workload, policy, cache size.
  std::vector<Job> all;
  for (size_t w = 0; w < workloads.size(); ++w) {
    std::vector<uint64_t> sizes;
    if (cache_opt->count()) {
      const uint64_t pages = ParseCacheSize(cache_size);
      if (pages == 0) return usage_error("--cache-size takes pages (10000) or bytes (40M)");
      sizes.push_back(pages);
    }
    for (const std::string& s : cache_sizes) {
      double percent = 0;
      uint64_t pages = ParseCacheSize(s, &percent);
      if (pages == 0) return usage_error(absl::StrCat("--cache-sizes: cannot read \"", s, "\""));
      if (percent > 0) {
        absl::StatusOr<uint64_t> distinct = trace_distinct_pages(opener(workloads[w]), rc);
        if (!distinct.ok()) {
          std::cerr << distinct.status().message() << "\n";
          return 1;
        }
        pages = std::max<uint64_t>(1, static_cast<uint64_t>(*distinct * percent / 100));
      }
      sizes.push_back(pages);
    }
    if (sizes.empty()) sizes.push_back(0);
    for (const std::string& p : policies)
      for (uint64_t pages : sizes) all.push_back({w, p, pages});
  }
  std::vector<Job> mine;
  for (size_t k = 0; k < all.size(); ++k)
    if (k % shard_n == shard_i) mine.push_back(all[k]);
  if (cache_opt->count()) {
    const uint64_t pages = all.empty() ? 0 : all[0].cache_pages;
    const CacheMachine cm = cache_machine_for(pages + rc.locked_pages);
    std::cout << absl::StrFormat(
        "cache of %u pages: ram %u pages (%uK), watermarks min %u low %u high %u: kswapd frees "
        "up to high, so %u to %u evictable pages are resident between its passes\n",
        pages, cm.ram_pages, cm.ram_pages * 4, cm.wmark_min, cm.wmark_low, cm.wmark_high, pages,
        pages + cm.wmark_high - cm.wmark_low);
  }
  std::cout << "mmsim policy_bench: " << out.machine << ", policies "
            << absl::StrJoin(policies, ", ")
            << (shard.empty() ? ""
                              : absl::StrFormat(", shard %u/%u: %u of %u runs", shard_i, shard_n,
                                                mine.size(), all.size()))
            << "\n\n";

  // Runs in parallel: every run has its own Machine.
  std::vector<std::optional<Row>> rows(mine.size());
  std::vector<std::string> errors(mine.size());
  std::atomic<size_t> next{0};
  Progress progress(mine.size());
  auto worker = [&]() {
    for (size_t k; (k = next++) < mine.size();) {
      const Job& job = mine[k];
      ReplayConfig c = rc;
      c.policy = job.policy;
      if (job.cache_pages) {
        c.ram_pages = cache_machine_for(job.cache_pages + c.locked_pages).ram_pages;
        if (c.grow_swap) c.swap_pages = std::max<uint64_t>(2 * c.ram_pages, 16384);
      }
      auto r = replay_trace(opener(workloads[job.workload]), c);
      if (r.ok()) {
        rows[k] = Row{workloads[job.workload].name, job.policy, job.cache_pages, c.ram_pages, *r};
      } else {
        errors[k] = absl::StrCat("policy_bench: ", workloads[job.workload].name, " / ", job.policy,
                                 ": ", r.status().message());
      }
      progress.step();
    }
  };
  std::vector<std::thread> threads;
  for (unsigned i = 1; i < std::min<size_t>(jobs, mine.size()); ++i) threads.emplace_back(worker);
  worker();
  for (std::thread& t : threads) t.join();

  std::vector<Row> done;
  bool failed = false;
  for (size_t k = 0; k < mine.size(); ++k) {
    if (rows[k]) done.push_back(*rows[k]);
    if (!errors[k].empty()) {
      std::cerr << errors[k] << "\n";
      failed = true;
    }
  }
  if (Report(done, out, interval)) return 1;
  return failed ? 1 : 0;
}
