// policy_bench's outputs (bench/policy_bench_report.h).
#include "policy_bench_report.h"

#include <algorithm>
#include <fstream>
#include <iostream>
#include <map>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"

namespace mmsim_bench {

using mmsim::ReplayResult;

std::string TableHeader() {
  return absl::StrFormat("%-24s %-8s %8s %9s %7s %7s %9s %9s %9s %9s %9s %9s %9s %7s %7s %9s %8s\n",
                         "workload", "policy", "cache", "accesses", "miss", "hit", "minflt",
                         "majflt", "refault", "resident", "pgscan", "pgsteal", "pswpout", "locked",
                         "lk_evct", "host_ms", "Macc/s");
}

std::string TableRow(const Row& row) {
  const ReplayResult& x = row.r;
  return absl::StrFormat(
      "%-24s %-8s %8s %9u %7.4f %7.4f %9u %9u %9u %9u %9u %9u %9u %7u %7u %9.1f %8.2f\n",
      row.workload, row.policy, row.cache_pages ? absl::StrCat(row.cache_pages) : "-", x.accesses,
      x.miss_ratio(), x.requests ? 1 - x.miss_ratio() : 0.0, x.minor_faults, x.major_faults,
      x.refaults, x.resident_pages, x.pgscan, x.pgsteal, x.pswpout, x.locked_pages,
      x.locked_evicted, x.host_seconds * 1e3,
      x.host_seconds > 0 ? static_cast<double>(x.accesses) / x.host_seconds / 1e6 : 0.0);
}

std::string CsvHeader() {
  return "workload,policy,accesses,minor_faults,major_faults,failed_accesses,pgscan,pgsteal,"
         "pswpout,locked_pages,locked_evicted,host_seconds,requests,misses,miss_ratio,"
         "page_accesses,page_misses,refaults,resident_pages,cache_pages,ram_pages\n";
}

std::string CsvRow(const Row& row) {
  const ReplayResult& r = row.r;
  return absl::StrFormat("%s,%s,%u,%u,%u,%u,%u,%u,%u,%u,%u,%.6f,%u,%u,%.6f,%u,%u,%u,%u,%u,%u\n",
                         row.workload, row.policy, r.accesses, r.minor_faults, r.major_faults,
                         r.failed_accesses, r.pgscan, r.pgsteal, r.pswpout, r.locked_pages,
                         r.locked_evicted, r.host_seconds, r.requests, r.misses, r.miss_ratio(),
                         r.page_accesses, r.page_misses, r.refaults, r.resident_pages,
                         row.cache_pages, row.ram_pages);
}

namespace {

// The counters a Row carries, by their JSON names.
struct Field {
  const char* name;
  uint64_t ReplayResult::*field;
};
constexpr Field kFields[] = {
    {"accesses", &ReplayResult::accesses},
    {"minor_faults", &ReplayResult::minor_faults},
    {"major_faults", &ReplayResult::major_faults},
    {"failed_accesses", &ReplayResult::failed_accesses},
    {"pgscan", &ReplayResult::pgscan},
    {"pgsteal", &ReplayResult::pgsteal},
    {"pswpout", &ReplayResult::pswpout},
    {"locked_pages", &ReplayResult::locked_pages},
    {"locked_evicted", &ReplayResult::locked_evicted},
    {"requests", &ReplayResult::requests},
    {"misses", &ReplayResult::misses},
    {"page_accesses", &ReplayResult::page_accesses},
    {"page_misses", &ReplayResult::page_misses},
    {"refaults", &ReplayResult::refaults},
    {"resident_pages", &ReplayResult::resident_pages},
    {"swap_pages", &ReplayResult::swap_pages},
};

}  // namespace

nlohmann::json JsonResult(const Row& row) {
  nlohmann::json j = {{"workload", row.workload},
                      {"policy", row.policy},
                      {"cache_pages", row.cache_pages},
                      {"ram_pages", row.ram_pages}};
  for (const Field& f : kFields) j[f.name] = row.r.*f.field;
  j["host_seconds"] = row.r.host_seconds;
  j["miss_ratio"] = row.r.miss_ratio();
  j["interval_miss_ratios"] = row.r.interval_miss_ratios;
  return j;
}

absl::StatusOr<Row> RowFromJson(const nlohmann::json& j) {
  Row row;
  auto need = [&](const char* name) -> const nlohmann::json* {
    auto it = j.find(name);
    return it == j.end() ? nullptr : &*it;
  };
  for (const char* name : {"workload", "policy", "cache_pages", "ram_pages", "host_seconds"}) {
    if (!need(name)) return absl::InvalidArgumentError(absl::StrCat("no \"", name, "\""));
  }
  try {
    row.workload = j["workload"].get<std::string>();
    row.policy = j["policy"].get<std::string>();
    row.cache_pages = j["cache_pages"].get<uint64_t>();
    row.ram_pages = j["ram_pages"].get<uint64_t>();
    row.r.host_seconds = j["host_seconds"].get<double>();
    for (const Field& f : kFields) {
      const nlohmann::json* v = need(f.name);
      if (!v) return absl::InvalidArgumentError(absl::StrCat("no \"", f.name, "\""));
      row.r.*f.field = v->get<uint64_t>();
    }
    if (const nlohmann::json* v = need("interval_miss_ratios"))
      row.r.interval_miss_ratios = v->get<std::vector<double>>();
  } catch (const nlohmann::json::exception& e) {
    return absl::InvalidArgumentError(e.what());
  }
  return row;
}

std::string GnuplotBars(const std::vector<Row>& rows, const std::vector<std::string>& workloads,
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

std::string GnuplotCurves(const std::vector<Row>& rows, const std::string& base) {
  // One data block per workload and policy, points in cache-size order.
  std::map<std::pair<std::string, std::string>, std::vector<const Row*>> lines;
  for (const Row& row : rows) lines[{row.workload, row.policy}].push_back(&row);
  const bool one_workload =
      lines.empty() || lines.begin()->first.first == lines.rbegin()->first.first;
  std::string s = absl::StrCat("# Written by policy_bench; `gnuplot <this file>` draws ", base,
                               ".png and ", base, ".svg: miss ratio against cache size\n");
  std::vector<std::string> plots;
  int i = 0;
  for (auto& [key, points] : lines) {
    std::sort(points.begin(), points.end(),
              [](const Row* a, const Row* b) { return a->cache_pages < b->cache_pages; });
    absl::StrAppend(&s, "$line", i, " << EOD\n");
    for (const Row* p : points)
      absl::StrAppendFormat(&s, "%u %.6f\n", p->cache_pages, p->r.miss_ratio());
    absl::StrAppend(&s, "EOD\n");
    // gnuplot cycles through 8 colours: the lines after them are dashed.
    plots.push_back(absl::StrCat("$line", i, " using 1:2 with linespoints lw 2 dt ", 1 + i / 8,
                                 " title '",
                                 one_workload ? key.second : key.first + " " + key.second, "'"));
    ++i;
  }
  const std::string title =
      one_workload && !lines.empty() ? lines.begin()->first.first : std::string("traces");
  const std::string setup =
      absl::StrCat("set title 'miss ratio against cache size: ", title, "'\n",
                   "set xlabel 'cache size (pages of evictable memory)'\nset ylabel 'miss ratio'\n",
                   "set yrange [0:*]\nset grid\nset key outside right\n");
  const std::string plot = absl::StrCat("plot ", absl::StrJoin(plots, ", \\\n     "), "\n");
  absl::StrAppend(&s, setup, "set terminal pngcairo size 900,600\nset output '", base, ".png'\n",
                  plot, "set terminal svg size 900,600 dynamic\nset output '", base, ".svg'\n",
                  plot);
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

}  // namespace mmsim_bench
