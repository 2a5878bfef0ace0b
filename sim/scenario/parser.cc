// The scenario parser: one statement a line, `#` comments, indented rows under
// `expect TASK maps:` and indented blocks under `repeat`. Every error names the file, line
// and column, what was found and what was expected, and the closest known name when the
// user misspelt one. Calls are parsed in parser_call.cc, expectations and views in
// parser_expect.cc, expressions in parser_expr.cc.
#include <algorithm>
#include <cstring>
#include <fstream>
#include <functional>
#include <sstream>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "mmsim/types.h"
#include "sim/scenario/names.h"
#include "sim/scenario/parser_impl.h"
#include "sim/scenario/status_macros.h"
#include "sim/scenario/syscall_table.h"

namespace mmsim::scenario::parse {

absl::Status Parser::ParseText(const std::string& text, const std::string& file, int depth) {
  std::vector<std::string> lines = absl::StrSplit(text, '\n');
  for (std::string& raw : lines) {
    if (!raw.empty() && raw.back() == '\r') raw.pop_back();
  }
  return ParseLines(lines, 0, lines.size(), file, depth);
}

namespace {
// A line with nothing to parse (blank or a comment).
bool Empty(absl::string_view raw) {
  absl::string_view s = absl::StripLeadingAsciiWhitespace(raw);
  return s.empty() || s[0] == '#';
}
}  // namespace

absl::Status Parser::ParseLines(const std::vector<std::string>& lines, size_t begin, size_t end,
                                const std::string& file, int depth) {
  const size_t saved_end = block_end_;
  block_end_ = end;
  for (size_t i = begin; i < end; ++i) {
    Line l;
    l.file = file;
    l.number = static_cast<int>(i) + 1;
    const std::string& raw = lines[i];
    absl::string_view stripped = absl::StripLeadingAsciiWhitespace(raw);
    // title: and teaches: take the rest of the line as prose (apostrophes and all).
    for (const char* key : {"title", "teaches"}) {
      if (absl::StartsWith(stripped, key) && stripped.size() > strlen(key) &&
          stripped[strlen(key)] == ':') {
        std::string value(absl::StripAsciiWhitespace(stripped.substr(strlen(key) + 1)));
        if (depth == 0) {
          if (std::string(key) == "title") {
            sc_.title = value;
            title_seen_ = true;
          } else {
            sc_.teaches = value;
          }
        }
        stripped = "";
        break;
      }
    }
    if (stripped.empty()) continue;
    raw_line_ = raw;
    RETURN_IF_ERROR(Lex(raw, &l));
    if (l.at_end()) continue;
    if (l.is_ident("include")) {
      RETURN_IF_ERROR(ParseInclude(l, depth));
      continue;
    }
    if (l.is_ident("repeat")) {
      RETURN_IF_ERROR(ParseRepeat(l, lines, &i, depth));
      continue;
    }
    RETURN_IF_ERROR(ParseLine(l, lines, &i));
  }
  block_end_ = saved_end;
  return absl::OkStatus();
}

// `repeat i N:` and the block indented under it: the block is parsed N times, with i = 0,
// 1, ..., N-1 a constant in its expressions and in names such as a[i].
absl::Status Parser::ParseRepeat(Line& l, const std::vector<std::string>& lines, size_t* index,
                                 int depth) {
  const Token& kw = l.next();
  const Token& vt = l.peek();
  ASSIGN_OR_RETURN(std::string var, ExpectIdent(l, "a loop variable such as i"));
  RETURN_IF_ERROR(CheckNewName(l, vt, "loop variable"));
  if (symbols_.contains(var) || loop_vars_.contains(var) ||
      std::find(tasks_.begin(), tasks_.end(), var) != tasks_.end()) {
    return ErrorAt(l, vt, absl::StrCat("'", var, "' is already a name"),
                   "a new loop variable name");
  }
  if (l.at_end()) return ErrorAt(l, l.peek(), "found end of line", "a count such as 2000");
  const Token& nt = l.peek();
  ASSIGN_OR_RETURN(Expr count_expr, ParseExpr(l, true));
  ASSIGN_OR_RETURN(uint64_t count, ConstantValue(l, nt, count_expr, "a constant count"));
  if (count > kMaxRepeat) {
    return ErrorAt(l, nt, absl::StrCat("repeat count ", count),
                   absl::StrCat("at most ", kMaxRepeat, " iterations"));
  }
  RETURN_IF_ERROR(ExpectPunct(l, ':', "':' after the count (the block follows, indented)"));
  RETURN_IF_ERROR(ExpectEnd(l));
  // The block: the following lines indented more than this one.
  const size_t indent = Indent(lines[*index]);
  const size_t begin = *index + 1;
  size_t end = begin;
  uint64_t body = 0;  // statement lines in the block
  while (end < block_end_) {
    if (!Empty(lines[end])) {
      if (Indent(lines[end]) <= indent) break;
      ++body;
    }
    ++end;
  }
  if (body == 0) {
    return ErrorAt(l, kw, "'repeat' without a block",
                   "statements on the following lines, indented more than `repeat`");
  }
  // Every iteration parses the block again: bound the lines parsed in all.
  unrolled_ += count * body;
  if (unrolled_ > kMaxUnrolledLines) {
    return ErrorAt(l, nt, "`repeat` blocks unrolled to too many lines",
                   absl::StrCat("at most ", kMaxUnrolledLines, " lines in all"));
  }
  const std::string file = l.file;
  for (uint64_t k = 0; k < count; ++k) {
    loop_vars_[var] = k;
    RETURN_IF_ERROR(ParseLines(lines, begin, end, file, depth));
  }
  loop_vars_.erase(var);
  *index = end - 1;
  return absl::OkStatus();
}

absl::Status Parser::ParseLine(Line& l, const std::vector<std::string>& lines, size_t* index) {
  const Token& first = l.peek();
  if (first.kind != Token::kIdent) {
    return ErrorAt(l, first, absl::StrCat("found ", Describe(first)),
                   "a statement (task, file, TASK: call, expect, show, mark, ...)");
  }
  const std::string& w = first.text;
  if (l.is_punct(':', 1) && w != "expect" && w != "show") {
    if (std::find(tasks_.begin(), tasks_.end(), w) != tasks_.end()) {
      if (std::find(exited_.begin(), exited_.end(), w) != exited_.end()) {
        return ErrorAt(l, first, absl::StrCat("task '", w, "' has exited"),
                       "a task that is still alive");
      }
      l.next();
      l.next();
      return ParseTaskStep(l, w);
    }
    if (std::find(Keywords().begin(), Keywords().end(), w) == Keywords().end()) {
      std::string hint = DidYouMean(w, tasks_);
      if (hint.empty() && tasks_.empty()) hint = absl::StrCat("declare it first: `task ", w, "`");
      return ErrorAt(l, first, absl::StrCat("unknown task '", w, "'"),
                     "a task declared by `task NAME`", hint);
    }
  }
  if (w == "machine") return ParseMachine(l);
  if (w == "file") return ParseFile(l);
  if (w == "task") return ParseTask(l);
  if (w == "sysctl") return ParseSysctl(l);
  if (w == "expect") return ParseExpect(l, lines, index);
  if (w == "show") return ParseShow(l);
  if (w == "mark") {
    l.next();
    RETURN_IF_ERROR(ExpectEnd(l));
    sc_.steps.push_back(NewStep(l, Step::kMark));
    return absl::OkStatus();
  }
  if (w == "drain") {
    l.next();
    RETURN_IF_ERROR(ExpectEnd(l));
    sc_.steps.push_back(NewStep(l, Step::kDrain));
    return absl::OkStatus();
  }
  if (w == "reclaim") {
    l.next();
    Step s = NewStep(l, Step::kReclaim);
    if (l.at_end()) {
      return ErrorAt(l, l.peek(), "found end of line", "the number of pages to reclaim");
    }
    const Token& nt = l.peek();
    ASSIGN_OR_RETURN(s.len, ParseExpr(l, true));
    if (s.len.uses_symbol || s.len.kind != Expr::kNumber || s.len.value == 0 ||
        s.len.value > (uint64_t{1} << 32)) {
      return ErrorAt(l, nt, absl::StrCat("'", s.len.text, "'"),
                     "a plain number of pages from 1 to 2^32, such as 32");
    }
    RETURN_IF_ERROR(ExpectEnd(l));
    sc_.steps.push_back(std::move(s));
    return absl::OkStatus();
  }
  if (w == "title" || w == "teaches") {
    return ErrorAt(l, l.peek(1), absl::StrCat("found ", Describe(l.peek(1))), "':' after ", w);
  }
  if (NotModelledSyscall(w) || LookupSyscall(w) || w == "write" || w == "read") {
    return ErrorAt(l, first, absl::StrCat("'", w, "' without a task"), "`TASK: ...`",
                   tasks_.empty() ? "declare a task first: `task A`"
                                  : absl::StrCat("write `", tasks_.front(), ": ", l.text, "`"));
  }
  std::vector<std::string> cands = Keywords();
  cands.insert(cands.end(), tasks_.begin(), tasks_.end());
  return ErrorAt(l, first, absl::StrCat("unknown statement '", w, "'"),
                 "one of title:, teaches:, machine, include, file, task, TASK:, sysctl, expect, "
                 "mark, show",
                 DidYouMean(w, cands));
}

absl::Status Parser::ParseMachine(Line& l) {
  const Token& kw = l.next();
  if (started_) {
    return ErrorAt(l, kw, "'machine' after a task, file or step",
                   "`machine` before everything else");
  }
  static const std::vector<std::string> kKeys = {
      "ram", "max_map_count", "anon_vma_name", "memlock", "nr_cpus", "check_every", "zero_page"};
  while (!l.at_end()) {
    const Token& key = l.peek();
    ASSIGN_OR_RETURN(std::string k, ExpectIdent(l, "a setting such as ram=64M"));
    if (std::find(kKeys.begin(), kKeys.end(), k) == kKeys.end()) {
      return ErrorAt(l, key, absl::StrCat("unknown machine setting '", k, "'"),
                     absl::StrCat("one of ", absl::StrJoin(kKeys, ", ")), DidYouMean(k, kKeys));
    }
    RETURN_IF_ERROR(ExpectPunct(l, '=', absl::StrCat("'=' after ", k)));
    const Token& vt = l.peek();
    if (k == "anon_vma_name" || k == "zero_page") {
      ASSIGN_OR_RETURN(std::string v, ExpectIdent(l, "on or off"));
      if (v != "on" && v != "off") {
        return ErrorAt(l, vt, absl::StrCat("'", v, "'"), "on or off");
      }
      (k == "zero_page" ? sc_.config.zero_page : sc_.config.anon_vma_name) = v == "on";
      continue;
    }
    ASSIGN_OR_RETURN(Expr e, ParseExpr(l, true));
    if (e.uses_symbol || e.kind != Expr::kNumber) {
      if (e.uses_symbol) return ErrorAt(l, vt, "a symbol", "a constant value");
    }
    // Constant expressions: evaluated here (no symbols can occur before tasks exist).
    ASSIGN_OR_RETURN(const uint64_t v, ConstantValue(l, vt, e, "a constant value"));
    if (k == "ram") {
      if (v < (1ull << 20) || v > kMaxRamBytes) {
        return ErrorAt(l, vt, absl::StrCat("ram=", e.text), "a size between 1M and 64G");
      }
      sc_.config.ram_pages = v >> PAGE_SHIFT;
    } else if (k == "max_map_count") {
      if (v < 1 || v > 0x7fffffff) {
        return ErrorAt(l, vt, absl::StrCat("max_map_count=", e.text), "a count from 1 to 2^31-1");
      }
      sc_.config.max_map_count = static_cast<int>(v);
    } else if (k == "memlock") {
      sc_.config.default_memlock = v;
    } else if (k == "nr_cpus") {
      if (v < 1 || v > 64) {
        return ErrorAt(l, vt, absl::StrCat("nr_cpus=", e.text), "a count from 1 to 64");
      }
      sc_.config.nr_cpus = static_cast<int>(v);
    } else if (k == "check_every") {
      if (v < 1 || v > 1000000) {
        return ErrorAt(l, vt, absl::StrCat("check_every=", e.text), "a step count from 1 to 10^6");
      }
      sc_.check_every = static_cast<int>(v);
    }
  }
  return absl::OkStatus();
}

absl::Status Parser::ParseInclude(Line& l, int depth) {
  const Token& kw = l.next();
  const Token& pt = l.peek();
  if (pt.kind != Token::kString) {
    return ErrorAt(l, pt, absl::StrCat("found ", Describe(pt)),
                   "a quoted path: include \"common.scn\"");
  }
  l.next();
  RETURN_IF_ERROR(ExpectEnd(l));
  if (!allow_include_) {
    return ErrorAt(l, kw, "include", "no include here (reading from memory)");
  }
  if (depth + 1 > kMaxIncludeDepth) {
    return ErrorAt(l, kw, "includes nested too deeply", absl::StrCat("at most ", kMaxIncludeDepth));
  }
  std::string path = pt.text;
  if (path.empty() || path[0] != '/') {
    const size_t slash = l.file.rfind('/');
    if (slash != std::string::npos) path = l.file.substr(0, slash + 1) + path;
  }
  if (std::find(include_stack_.begin(), include_stack_.end(), path) != include_stack_.end()) {
    return ErrorAt(l, pt, absl::StrCat("include cycle through \"", path, "\""),
                   "a file that does not include itself");
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return ErrorAt(l, pt, absl::StrCat("cannot read \"", path, "\""),
                   "a readable file (paths are relative to the including file)");
  }
  std::stringstream ss;
  ss << in.rdbuf();
  include_stack_.push_back(path);
  const std::string saved_raw = raw_line_;
  absl::Status s = ParseText(ss.str(), path, depth + 1);
  raw_line_ = saved_raw;
  include_stack_.pop_back();
  return s;
}

absl::Status Parser::ParseFile(Line& l) {
  l.next();
  Step s = NewStep(l, Step::kFile);
  const Token& pt = l.peek();
  ASSIGN_OR_RETURN(s.path, TakeWord(l, "a path such as /data/f"));
  if (s.path.empty() || s.path[0] != '/') {
    return ErrorAt(l, pt, absl::StrCat("path '", s.path, "'"), "an absolute path such as /data/f");
  }
  bool have_size = false;
  while (!l.at_end()) {
    const Token& key = l.peek();
    ASSIGN_OR_RETURN(std::string k, ExpectIdent(l, "size=SIZE or fs=ramfs"));
    if (k != "size" && k != "fs") {
      return ErrorAt(l, key, absl::StrCat("unknown file setting '", k, "'"),
                     "size=SIZE or fs=ramfs", DidYouMean(k, {"size", "fs"}));
    }
    RETURN_IF_ERROR(ExpectPunct(l, '=', absl::StrCat("'=' after ", k)));
    if (k == "fs") {
      // ramfs pages can never be written back: mapping_set_unevictable at inode creation.
      const Token& ft = l.peek();
      ASSIGN_OR_RETURN(std::string fs, ExpectIdent(l, "ramfs or ext4"));
      if (fs != "ramfs" && fs != "ext4") {
        return ErrorAt(l, ft, absl::StrCat("file system '", fs, "'"),
                       "ramfs (unevictable page cache) or ext4 (ordinary)",
                       DidYouMean(fs, {"ramfs", "ext4"}));
      }
      s.unevictable = fs == "ramfs";
      continue;
    }
    const Token& vt = l.peek();
    ASSIGN_OR_RETURN(Expr e, ParseExpr(l, true));
    if (e.uses_symbol || e.kind != Expr::kNumber) {
      return ErrorAt(l, vt, absl::StrCat("size=", e.text), "a plain size such as 16K");
    }
    if (e.value > (1ull << 40)) return ErrorAt(l, vt, absl::StrCat("size=", e.text), "at most 1T");
    s.size = e.value;
    have_size = true;
  }
  if (!have_size) return ErrorAt(l, l.peek(), "end of line", "size=SIZE");
  sc_.steps.push_back(std::move(s));
  return absl::OkStatus();
}

absl::Status Parser::ParseTask(Line& l) {
  l.next();
  Step s = NewStep(l, Step::kTask);
  const Token& nt = l.peek();
  ASSIGN_OR_RETURN(s.task, ExpectIdent(l, "a task name such as A"));
  RETURN_IF_ERROR(CheckNewName(l, nt, "task"));
  if (std::find(tasks_.begin(), tasks_.end(), s.task) != tasks_.end()) {
    return ErrorAt(l, nt, absl::StrCat("task '", s.task, "' declared twice"), "a new task name");
  }
  while (!l.at_end()) {
    const Token& key = l.peek();
    static const std::vector<std::string> kKeys = {"image", "memlock", "caps"};
    ASSIGN_OR_RETURN(std::string k, ExpectIdent(l, "image=, memlock= or caps="));
    if (std::find(kKeys.begin(), kKeys.end(), k) == kKeys.end()) {
      return ErrorAt(l, key, absl::StrCat("unknown task setting '", k, "'"),
                     "image=, memlock= or caps=", DidYouMean(k, kKeys));
    }
    RETURN_IF_ERROR(ExpectPunct(l, '=', absl::StrCat("'=' after ", k)));
    const Token& vt = l.peek();
    if (k == "image") {
      ASSIGN_OR_RETURN(std::string v, ExpectIdent(l, "process or empty"));
      if (v == "process") {
        s.image = Image::kProcess;
      } else if (v == "empty") {
        s.image = Image::kEmpty;
      } else {
        return ErrorAt(l, vt, absl::StrCat("image '", v, "'"), "process or empty",
                       DidYouMean(v, {"process", "empty"}));
      }
    } else if (k == "memlock") {
      ASSIGN_OR_RETURN(Expr e, ParseExpr(l, true));
      if (e.uses_symbol || e.kind != Expr::kNumber) {
        return ErrorAt(l, vt, absl::StrCat("memlock=", e.text), "a plain size such as 64K");
      }
      s.has_memlock = true;
      s.memlock = e.value;
    } else {  // caps
      while (true) {
        const Token& sign = l.peek();
        if (!l.is_punct('-')) {
          return ErrorAt(l, sign, absl::StrCat("found ", Describe(sign)),
                         "-CAP_NAME (tasks start with every capability; caps= only drops)");
        }
        l.next();
        const Token& ct = l.peek();
        ASSIGN_OR_RETURN(std::string cap, ExpectIdent(l, "a capability such as CAP_IPC_LOCK"));
        auto bit = LookupCapability(cap);
        if (!bit) {
          return ErrorAt(l, ct, absl::StrCat("unknown capability '", cap, "'"),
                         "a capability such as CAP_IPC_LOCK", DidYouMean(cap, CapabilityNames()));
        }
        s.caps_drop |= uint64_t{1} << *bit;
        if (!l.is_punct(',')) break;
        l.next();
      }
    }
  }
  tasks_.push_back(s.task);
  sc_.steps.push_back(std::move(s));
  return absl::OkStatus();
}

absl::Status Parser::ParseSysctl(Line& l) {
  l.next();
  Step s = NewStep(l, Step::kSysctl);
  static const std::vector<std::string> kKnobs = {"vm.max_map_count", "vm.swappiness"};
  const Token& nt = l.peek();
  ASSIGN_OR_RETURN(std::string name, ExpectIdent(l, "vm.max_map_count=N"));
  if (std::find(kKnobs.begin(), kKnobs.end(), name) == kKnobs.end()) {
    return ErrorAt(l, nt, absl::StrCat("unknown sysctl '", name, "'"),
                   absl::StrCat("one of ", absl::StrJoin(kKnobs, ", ")), DidYouMean(name, kKnobs));
  }
  RETURN_IF_ERROR(ExpectPunct(l, '=', absl::StrCat("'=' after ", name)));
  const Token& vt = l.peek();
  ASSIGN_OR_RETURN(Expr e, ParseExpr(l, true));
  if (e.uses_symbol || e.kind != Expr::kNumber) {
    return ErrorAt(l, vt, absl::StrCat("'", e.text, "'"), "a plain number");
  }
  const uint64_t max = name == "vm.swappiness" ? 200 : 0x7fffffff;
  if (e.value > max) {
    return ErrorAt(l, vt, absl::StrCat(name, "=", e.text), absl::StrCat("a value from 0 to ", max));
  }
  RETURN_IF_ERROR(ExpectEnd(l));
  s.sysctl = name;
  s.sysctl_value = e.value;
  sc_.steps.push_back(std::move(s));
  return absl::OkStatus();
}

}  // namespace mmsim::scenario::parse

namespace mmsim::scenario {

using parse::Parser;

absl::StatusOr<Scenario> ParseScenarioText(const std::string& text, const std::string& file_name,
                                           bool allow_include) {
  Parser p(allow_include);
  p.scenario().file = file_name;
  RETURN_IF_ERROR(p.ParseText(text, file_name, 0));
  return std::move(p.scenario());
}

absl::StatusOr<Scenario> ParseScenarioFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat(path, ": error: cannot read the file"));
  std::stringstream ss;
  ss << in.rdbuf();
  return ParseScenarioText(ss.str(), path, true);
}

bool LooksLikeScenario(const std::string& text) {
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    if (absl::StartsWith(absl::StripLeadingAsciiWhitespace(line), "title:")) return true;
  }
  return false;
}

}  // namespace mmsim::scenario
