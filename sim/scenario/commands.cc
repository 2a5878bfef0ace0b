#include "sim/scenario/commands.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "mmsim/trace.h"
#include "nlohmann/json.hpp"
#include "sim/scenario/explain.h"
#include "sim/scenario/runner.h"

namespace mmsim::scenario {

namespace {

std::string Where(const Step& s) { return absl::StrCat(s.loc.file, ":", s.loc.line); }

std::string Indent(const std::string& text, const std::string& prefix) {
  std::string out;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    if (line.empty()) continue;
    absl::StrAppend(&out, prefix, line, "\n");
  }
  return out;
}

bool ReadFile(const std::string& path, std::string* text) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return false;
  std::stringstream ss;
  ss << in.rdbuf();
  *text = ss.str();
  return true;
}

const char* KindName(Step::Kind k) {
  switch (k) {
    case Step::kFile:
      return "file";
    case Step::kTask:
      return "task";
    case Step::kCall:
      return "call";
    case Step::kAccess:
      return "access";
    case Step::kSysctl:
      return "sysctl";
    case Step::kMark:
      return "mark";
    case Step::kExpect:
      return "expect";
    case Step::kShow:
      return "show";
    case Step::kDrain:
      return "drain";
    case Step::kReclaim:
      return "reclaim";
  }
  return "?";
}

}  // namespace

ScenarioOutcome CheckScenario(const Scenario& sc) {
  ScenarioOutcome o;
  o.name = sc.file;
  Runner runner(sc);
  while (!runner.done()) {
    const Step& s = runner.next_step();
    auto r = runner.RunStep();
    if (!r.ok()) {
      o.diagnostics.push_back(std::string(r.status().message()));
      return o;
    }
    for (const std::string& f : r->failures)
      o.diagnostics.push_back(absl::StrCat(Where(s), ": ", f));
  }
  o.passed = o.diagnostics.empty();
  return o;
}

ScenarioOutcome CheckScenarioFile(const std::string& path) {
  auto sc = ParseScenarioFile(path);
  if (!sc.ok()) {
    ScenarioOutcome o;
    o.name = path;
    o.diagnostics.push_back(std::string(sc.status().message()));
    return o;
  }
  ScenarioOutcome o = CheckScenario(*sc);
  o.name = path;
  return o;
}

std::vector<std::string> CollectScenarioFiles(const std::vector<std::string>& paths,
                                              std::vector<std::string>* errors) {
  namespace fs = std::filesystem;
  std::vector<std::string> out;
  for (const std::string& p : paths) {
    std::error_code ec;
    if (fs::is_directory(p, ec)) {
      std::vector<std::string> found;
      for (auto it = fs::recursive_directory_iterator(p, ec);
           !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
        if (!it->is_regular_file(ec) || it->path().extension() != ".scn") continue;
        std::string text;
        if (ReadFile(it->path().string(), &text) && LooksLikeScenario(text)) {
          found.push_back(it->path().string());
        }
      }
      if (ec) errors->push_back(absl::StrCat(p, ": error: ", ec.message()));
      std::sort(found.begin(), found.end());
      out.insert(out.end(), found.begin(), found.end());
    } else if (fs::exists(p, ec)) {
      out.push_back(p);
    } else {
      errors->push_back(absl::StrCat(p, ": error: no such file or directory"));
    }
  }
  return out;
}

int CmdRun(const std::string& file, bool json, std::ostream& out, std::ostream& err) {
  auto sc = ParseScenarioFile(file);
  if (!sc.ok()) {
    err << sc.status().message() << "\n";
    return 1;
  }
  Runner runner(*sc);
  int failures = 0;
  while (!runner.done()) {
    const Step& s = runner.next_step();
    auto r = runner.RunStep();
    if (!r.ok()) {
      if (json) {
        nlohmann::json j = {{"file", s.loc.file},
                            {"line", s.loc.line},
                            {"kind", "error"},
                            {"error", std::string(r.status().message())}};
        out << j.dump() << "\n";
      }
      err << r.status().message() << "\n";
      return 1;
    }
    failures += static_cast<int>(r->failures.size());
    if (json) {
      nlohmann::json j = {
          {"file", s.loc.file}, {"line", s.loc.line}, {"kind", KindName(s.kind)}, {"text", s.text}};
      if (!s.task.empty()) j["task"] = s.task;
      if (r->is_call) {
        j["call"] = std::string(
            absl::StripAsciiWhitespace(s.text.substr(std::min(s.text.size(), s.task.size() + 1))));
        j["display"] = r->display;
        j["result"] = r->result;
        j["errno"] =
            r->errno_name.empty() ? nlohmann::json(nullptr) : nlohmann::json(r->errno_name);
      }
      if (s.kind == Step::kShow) j["view"] = r->view;
      if (s.kind == Step::kExpect || !r->failures.empty()) {
        j["ok"] = r->failures.empty();
        if (!r->failures.empty()) j["failures"] = r->failures;
      }
      out << j.dump() << "\n";
      continue;
    }
    if (s.kind == Step::kExpect && r->failures.empty()) continue;  // quiet when they hold
    out << Where(s) << "  " << r->display << "\n";
    for (const std::string& f : r->failures) out << Indent(absl::StrCat("FAILED: ", f), "    ");
    if (!r->view.empty()) out << r->view;
  }
  if (failures && !json)
    err << failures << " expectation" << (failures == 1 ? "" : "s") << " failed\n";
  return failures ? 1 : 0;
}

int CmdCheck(const std::vector<std::string>& paths, bool tap, std::ostream& out,
             std::ostream& err) {
  std::vector<std::string> errors;
  const std::vector<std::string> files = CollectScenarioFiles(paths, &errors);
  for (const std::string& e : errors) err << e << "\n";
  int passed = 0, failed = 0;
  if (tap) {
    out << "KTAP version 1\n1.." << files.size() << "\n";
  }
  int n = 0;
  for (const std::string& f : files) {
    ++n;
    ScenarioOutcome o = CheckScenarioFile(f);
    (o.passed ? passed : failed)++;
    if (tap) {
      for (const std::string& d : o.diagnostics) out << Indent(d, "# ");
      out << (o.passed ? "ok " : "not ok ") << n << " " << f << "\n";
    } else {
      for (const std::string& d : o.diagnostics) out << d << "\n";
      out << (o.passed ? "ok   " : "FAIL ") << f << "\n";
    }
  }
  if (tap) {
    out << "# Totals: pass:" << passed << " fail:" << failed
        << " xfail:0 xpass:0 skip:0 error:" << errors.size() << "\n";
  } else {
    out << passed << " passed, " << failed << " failed\n";
  }
  return (failed || !errors.empty() || files.empty()) ? 1 : 0;
}

int CmdExplain(const std::string& file, std::ostream& out, std::ostream& err) {
  auto sc = ParseScenarioFile(file);
  if (!sc.ok()) {
    err << sc.status().message() << "\n";
    return 1;
  }
  if (!sc->title.empty()) out << sc->title << "\n";
  if (!sc->teaches.empty()) out << "teaches: " << sc->teaches << "\n";
  out << "\n";
  Runner runner(*sc);
  int failures = 0;
  while (!runner.done()) {
    const Step& s = runner.next_step();
    const bool traced = s.kind == Step::kCall || s.kind == Step::kAccess ||
                        s.kind == Step::kDrain || s.kind == Step::kReclaim;
    Task* t = runner.FindTask(s.task);
    const MmSnap before = SnapshotMm(t, runner.machine());
    Trace trace;
    if (traced) runner.machine().trace = &trace;
    auto r = runner.RunStep();
    runner.machine().trace = nullptr;
    if (!r.ok()) {
      err << r.status().message() << "\n";
      return 1;
    }
    failures += static_cast<int>(r->failures.size());
    if (!traced) {
      out << Where(s) << "  " << s.text;
      if (s.kind == Step::kExpect) out << (r->failures.empty() ? "   [holds]" : "   [FAILED]");
      out << "\n";
      for (const std::string& f : r->failures) out << Indent(f, "    ");
      if (!r->view.empty()) out << Indent(r->view, "    ");
      continue;
    }
    out << Where(s) << "  " << s.text << "\n";
    out << "  result: " << r->display << "\n";
    for (const std::string& f : r->failures) out << Indent(absl::StrCat("FAILED: ", f), "  ");
    const std::string path = CompactCallPath(trace);
    out << "  path:   " << (path.empty() ? "(no kernel function of the model was entered)" : path)
        << "\n";
    if (!trace.events().empty()) out << "  trace:\n" << RenderTrace(trace);
    t = runner.FindTask(s.task);
    const MmSnap after = SnapshotMm(t, runner.machine());
    auto [lo, hi] = ChooseWindow(before, after, r->has_range, r->range_start, r->range_end,
                                 runner.MappedRanges(s.task));
    out << RenderLayout(before, after, lo, hi, r->has_range, r->range_start, r->range_end);
    out << RenderCounters(before, after) << "\n";
  }
  return failures ? 1 : 0;
}

int CmdShow(const std::string& file, const std::string& view, const std::vector<std::string>& extra,
            std::ostream& out, std::ostream& err) {
  std::string text;
  if (!ReadFile(file, &text)) {
    err << file << ": error: cannot read the file\n";
    return 1;
  }
  auto plain = ParseScenarioFile(file);
  if (!plain.ok()) {
    err << plain.status().message() << "\n";
    return 1;
  }
  // The view becomes a `show` statement after the scenario's last line, so that task names
  // and symbols resolve (and errors read) exactly as in a scenario.
  std::string line;
  if (view == "meminfo" || view == "vmstat") {
    if (!extra.empty()) {
      err << "mmsim show: error: found '" << extra.front() << "', expected nothing after " << view
          << "\n";
      return 1;
    }
    line = absl::StrCat("show ", view);
  } else {
    std::vector<std::string> rest = extra;
    std::string task;
    if (!rest.empty() && !absl::ascii_isdigit(static_cast<unsigned char>(rest.front()[0]))) {
      // TASK, unless it is the first word of ADDR (a symbol): tasks are declared names.
      bool is_task = false;
      for (const Step& s : plain->steps) {
        if (s.kind == Step::kTask && s.task == rest.front()) is_task = true;
      }
      if (is_task) {
        task = rest.front();
        rest.erase(rest.begin());
      }
    }
    if (task.empty()) {
      for (const Step& s : plain->steps) {
        if (s.kind == Step::kTask) {
          task = s.task;
          break;
        }
      }
    }
    if (task.empty()) {
      err << file << ": error: the scenario has no task, expected one for the " << view
          << " view\n";
      return 1;
    }
    line =
        absl::StrCat("show ", task, " ", view, rest.empty() ? "" : " ", absl::StrJoin(rest, " "));
  }
  if (!text.empty() && text.back() != '\n') text += '\n';
  const int view_line = static_cast<int>(std::count(text.begin(), text.end(), '\n')) + 1;
  text += line;
  auto sc = ParseScenarioText(text, file, true);
  if (!sc.ok()) {
    std::string msg(sc.status().message());
    const std::string at = absl::StrCat(file, ":", view_line, ":");
    if (absl::StartsWith(msg, at))
      msg = absl::StrCat("mmsim show: ", line, ": col ", msg.substr(at.size()));
    err << msg << "\n";
    return 1;
  }
  Runner runner(*sc);
  std::string shown;
  while (!runner.done()) {
    auto r = runner.RunStep();
    if (!r.ok()) {
      err << r.status().message() << "\n";
      return 1;
    }
    if (runner.done()) shown = r->view;
  }
  out << shown;
  return 0;
}

}  // namespace mmsim::scenario
