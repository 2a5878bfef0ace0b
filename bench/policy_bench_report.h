// What policy_bench writes: one Row per run (workload, policy, cache size, the replay's
// counters) as a table line, CSV, JSON (one object per line for sweeps split across
// machines, read back by `policy_bench merge`) and gnuplot scripts.
#ifndef MMSIM_BENCH_POLICY_BENCH_REPORT_H_
#define MMSIM_BENCH_POLICY_BENCH_REPORT_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "mmsim/access_trace.h"
#include "nlohmann/json.hpp"

namespace mmsim_bench {

struct Row {
  std::string workload;
  std::string policy;
  uint64_t cache_pages = 0;  // 0 unless a cache study
  uint64_t ram_pages = 0;
  mmsim::ReplayResult r;
};

std::string TableHeader();
std::string TableRow(const Row& row);
std::string CsvHeader();
std::string CsvRow(const Row& row);
nlohmann::json JsonResult(const Row& row);
// A Row from JsonResult's object; InvalidArgument naming the missing field.
absl::StatusOr<Row> RowFromJson(const nlohmann::json& j);

// Bars: major faults and pgscan per workload, one bar per policy; draws `png`.
std::string GnuplotBars(const std::vector<Row>& rows, const std::vector<std::string>& workloads,
                        const std::vector<std::string>& policies, const std::string& png,
                        const std::string& machine);
// Miss-ratio curves: miss ratio against cache size, one line per workload and policy;
// draws base.png and base.svg.
std::string GnuplotCurves(const std::vector<Row>& rows, const std::string& base);

bool WriteFile(const std::string& path, const std::string& text);

}  // namespace mmsim_bench

#endif  // MMSIM_BENCH_POLICY_BENCH_REPORT_H_
