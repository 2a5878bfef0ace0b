// The scenario parser's `expect` (maps rows, /proc fields, pages, counters, comparisons)
// and `show`.
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

absl::StatusOr<std::string> Parser::ExpectTaskName(Line& l) {
  const Token& t = l.peek();
  if (t.kind != Token::kIdent) {
    return ErrorAt(l, t, absl::StrCat("found ", Describe(t)), "a task name");
  }
  if (std::find(tasks_.begin(), tasks_.end(), t.text) == tasks_.end()) {
    return ErrorAt(l, t, absl::StrCat("unknown task '", t.text, "'"),
                   "a task declared by `task NAME` (or vmstat, meminfo)",
                   DidYouMean(t.text, tasks_));
  }
  if (std::find(exited_.begin(), exited_.end(), t.text) != exited_.end()) {
    return ErrorAt(l, t, absl::StrCat("task '", t.text, "' has exited"),
                   "a task that is still alive (an exited task has no mm to look at)");
  }
  l.next();
  return t.text;
}

absl::StatusOr<ExpectedValue> Parser::ParseExpectedValue(Line& l, bool allow_delta, bool kb_field,
                                                         const std::string& field) {
  ExpectedValue v;
  const Token& eq = l.peek();
  auto then_eq = [&] { return l.is_punct('=', 1) && !l.peek(1).space_before; };
  if (l.is_punct('=')) {
    v.cmp = Cmp::kEq;
  } else if (l.is_punct('!') && then_eq()) {
    v.cmp = Cmp::kNe;
  } else if (l.is_punct('<')) {
    v.cmp = then_eq() ? Cmp::kLe : Cmp::kLt;
  } else if (l.is_punct('>')) {
    v.cmp = then_eq() ? Cmp::kGe : Cmp::kGt;
  } else {
    return ErrorAt(l, eq, absl::StrCat("found ", Describe(eq)),
                   absl::StrCat("'=' (or != < <= > >=) after ", field));
  }
  l.next();
  if (v.cmp == Cmp::kNe || v.cmp == Cmp::kLe || v.cmp == Cmp::kGe) l.next();
  const Token& first = l.peek();
  if (first.kind == Token::kEnd) return ErrorAt(l, first, "found end of line", "a value");
  if (allow_delta && (l.is_punct('+') || l.is_punct('-'))) {
    v.delta = true;
    v.negative = l.next().text == "-";
  } else if (l.is_punct('+')) {
    return ErrorAt(l, first, "a delta '+N'", "a plain value",
                   "deltas since `mark` are for vmstat and meminfo");
  }
  ASSIGN_OR_RETURN(v.value, ParseExpr(l, true));
  if (l.is_ident("kB")) {
    if (!kb_field) {
      return ErrorAt(l, l.peek(), "'kB'", "end of line", absl::StrCat(field, " is not in kB"));
    }
    l.next();
    v.kb = true;
  } else if (kb_field) {
    v.kb = true;
    v.bytes_to_kb = true;
  }
  const size_t end = l.tokens[l.pos > 0 ? l.pos - 1 : 0].end;
  v.text = raw_line_.substr(first.begin, end - first.begin);
  RETURN_IF_ERROR(ExpectEnd(l));
  return v;
}

absl::Status Parser::ParseExpect(Line& l, const std::vector<std::string>& lines, size_t* index) {
  l.next();
  Step s = NewStep(l, Step::kExpect);
  Expectation& x = s.expectation;
  const Token& what = l.peek();
  if (l.is_ident("vmstat") || l.is_ident("meminfo")) {
    const bool vmstat = what.text == "vmstat";
    l.next();
    x.kind = vmstat ? Expectation::kVmstat : Expectation::kMeminfo;
    const Token& ft = l.peek();
    ASSIGN_OR_RETURN(x.field, ExpectIdent(l, vmstat ? "a vmstat counter" : "a meminfo field"));
    if (l.is_punct(':') && !vmstat) l.next();
    bool kb = false;
    if (vmstat) {
      if (std::find(VmstatNames().begin(), VmstatNames().end(), x.field) == VmstatNames().end()) {
        return ErrorAt(l, ft, absl::StrCat("unknown vmstat counter '", x.field, "'"),
                       "a counter of /proc/vmstat", DidYouMean(x.field, VmstatNames()));
      }
    } else {
      const FieldInfo* f = FindField(MeminfoFields(), x.field);
      if (!f) {
        std::vector<std::string> names;
        for (const FieldInfo& fi : MeminfoFields()) names.push_back(fi.name);
        return ErrorAt(l, ft, absl::StrCat("unknown meminfo field '", x.field, "'"),
                       "a field of /proc/meminfo", DidYouMean(x.field, names));
      }
      kb = f->kb;
    }
    ASSIGN_OR_RETURN(x.expected, ParseExpectedValue(l, true, kb, x.field));
    sc_.steps.push_back(std::move(s));
    return absl::OkStatus();
  }
  if (l.is_ident("lru")) {
    l.next();
    x.kind = Expectation::kLru;
    const Token& ft = l.peek();
    ASSIGN_OR_RETURN(x.field, ExpectIdent(l, "an LRU list such as unevictable"));
    if (std::find(LruListNames().begin(), LruListNames().end(), x.field) == LruListNames().end()) {
      return ErrorAt(l, ft, absl::StrCat("unknown LRU list '", x.field, "'"),
                     absl::StrCat("one of ", absl::StrJoin(LruListNames(), ", ")),
                     DidYouMean(x.field, LruListNames()));
    }
    ASSIGN_OR_RETURN(x.expected, ParseExpectedValue(l, true, false, x.field));
    sc_.steps.push_back(std::move(s));
    return absl::OkStatus();
  }
  ASSIGN_OR_RETURN(x.task, ExpectTaskName(l));
  s.task = x.task;
  const Token& vt = l.peek();
  std::vector<std::string> kinds = {"maps", "status", "smaps", "page"};
  kinds.insert(kinds.end(), MmCounters().begin(), MmCounters().end());
  ASSIGN_OR_RETURN(std::string kind, ExpectIdent(l, "maps:, status, smaps, page or map_count"));
  if (kind == "maps") {
    x.kind = Expectation::kMaps;
    RETURN_IF_ERROR(ExpectPunct(l, ':', "':' after maps (the rows follow, indented)"));
    RETURN_IF_ERROR(ExpectEnd(l));
    // Indented rows: START END PERMS [mnemonics...]
    const size_t indent = Indent(lines[*index]);
    while (*index + 1 < block_end_) {
      const std::string& raw = lines[*index + 1];
      if (raw.empty() || Indent(raw) <= indent) break;
      Line row;
      row.file = l.file;
      row.number = static_cast<int>(*index) + 2;
      std::string r = raw;
      if (!r.empty() && r.back() == '\r') r.pop_back();
      raw_line_ = r;
      RETURN_IF_ERROR(Lex(r, &row));
      ++*index;
      if (row.at_end()) {
        if (absl::StripAsciiWhitespace(r).empty()) break;  // a blank line ends the rows
        continue;                                          // an indented comment
      }
      MapsRow mr;
      mr.loc = row.loc(row.peek());
      ASSIGN_OR_RETURN(mr.start, ParseExpr(row, true));
      if (row.at_end())
        return ErrorAt(row, row.peek(), "found end of line", "END PERMS after START");
      ASSIGN_OR_RETURN(mr.end, ParseExpr(row, true));
      const Token& pt = row.peek();
      ASSIGN_OR_RETURN(mr.perms, TakeWord(row, "permissions such as rw-p"));
      const bool perms_ok = mr.perms.size() == 4 && (mr.perms[0] == 'r' || mr.perms[0] == '-') &&
                            (mr.perms[1] == 'w' || mr.perms[1] == '-') &&
                            (mr.perms[2] == 'x' || mr.perms[2] == '-') &&
                            (mr.perms[3] == 'p' || mr.perms[3] == 's');
      if (!perms_ok) {
        return ErrorAt(row, pt, absl::StrCat("permissions '", mr.perms, "'"),
                       "four characters as in /proc/PID/maps, such as rw-p or r--s");
      }
      while (!row.at_end()) {
        const Token& mt = row.peek();
        ASSIGN_OR_RETURN(std::string m, ExpectIdent(row, "a VmFlags mnemonic such as lo"));
        if (std::find(VmFlagMnemonics().begin(), VmFlagMnemonics().end(), m) ==
            VmFlagMnemonics().end()) {
          return ErrorAt(row, mt, absl::StrCat("unknown VmFlags mnemonic '", m, "'"),
                         "a two-letter mnemonic of /proc/PID/smaps VmFlags",
                         DidYouMean(m, VmFlagMnemonics()));
        }
        mr.mnemonics.push_back(m);
      }
      x.rows.push_back(std::move(mr));
    }
    if (x.rows.empty()) {
      return ErrorAt(l, l.peek(), "no rows after 'maps:'",
                     "indented rows `START END PERMS [mnemonics]` on the following lines");
    }
    sc_.steps.push_back(std::move(s));
    return absl::OkStatus();
  }
  if (kind == "status") {
    x.kind = Expectation::kStatus;
    const Token& ft = l.peek();
    ASSIGN_OR_RETURN(x.field, ExpectIdent(l, "a status field such as VmLck"));
    if (l.is_punct(':')) l.next();
    const FieldInfo* f = FindField(StatusFields(), x.field);
    if (!f) {
      std::vector<std::string> names;
      for (const FieldInfo& fi : StatusFields()) names.push_back(fi.name);
      return ErrorAt(l, ft, absl::StrCat("unknown status field '", x.field, "'"),
                     "a field of /proc/PID/status the model prints (VmLck, VmRSS, ...)",
                     DidYouMean(x.field, names));
    }
    ASSIGN_OR_RETURN(x.expected, ParseExpectedValue(l, false, f->kb, x.field));
    sc_.steps.push_back(std::move(s));
    return absl::OkStatus();
  }
  if (kind == "smaps") {
    x.kind = Expectation::kSmaps;
    if (l.at_end()) return ErrorAt(l, l.peek(), "found end of line", "an address inside the VMA");
    ASSIGN_OR_RETURN(x.addr, ParseExpr(l, true));
    const Token& ft = l.peek();
    ASSIGN_OR_RETURN(x.field, ExpectIdent(l, "an smaps field such as Locked"));
    if (l.is_punct(':')) l.next();
    const FieldInfo* f = FindField(SmapsFields(), x.field);
    if (!f) {
      std::vector<std::string> names;
      for (const FieldInfo& fi : SmapsFields()) names.push_back(fi.name);
      return ErrorAt(l, ft, absl::StrCat("unknown smaps field '", x.field, "'"),
                     "a field of /proc/PID/smaps (Rss, Locked, VmFlags, ...)",
                     DidYouMean(x.field, names));
    }
    if (x.field == "VmFlags") {
      RETURN_IF_ERROR(ExpectPunct(l, '=', "'=' after VmFlags"));
      while (!l.at_end()) {
        const Token& mt = l.peek();
        ASSIGN_OR_RETURN(std::string m, ExpectIdent(l, "a VmFlags mnemonic"));
        if (std::find(VmFlagMnemonics().begin(), VmFlagMnemonics().end(), m) ==
            VmFlagMnemonics().end()) {
          return ErrorAt(l, mt, absl::StrCat("unknown VmFlags mnemonic '", m, "'"),
                         "a two-letter mnemonic such as rd wr lo",
                         DidYouMean(m, VmFlagMnemonics()));
        }
        x.expected.words.push_back(m);
      }
      x.expected.text = absl::StrJoin(x.expected.words, " ");
    } else {
      ASSIGN_OR_RETURN(x.expected, ParseExpectedValue(l, false, f->kb, x.field));
    }
    sc_.steps.push_back(std::move(s));
    return absl::OkStatus();
  }
  if (kind == "page") {
    x.kind = Expectation::kPage;
    if (l.at_end()) return ErrorAt(l, l.peek(), "found end of line", "a page address");
    ASSIGN_OR_RETURN(x.addr, ParseExpr(l, true));
    std::vector<std::string> names = KpageflagNames();
    names.push_back("present");
    names.push_back("swapped");
    static const std::vector<std::string> kNumeric = {"mapcount", "swapcount", "swap_type",
                                                      "swap_offset"};
    names.insert(names.end(), kNumeric.begin(), kNumeric.end());
    while (!l.at_end()) {
      PageCond c;
      if (l.is_punct('!')) {
        l.next();
        c.negate = true;
      }
      const Token& ct = l.peek();
      ASSIGN_OR_RETURN(c.name, ExpectIdent(l, "a page flag such as mlocked, or mapcount = N"));
      if (std::find(names.begin(), names.end(), c.name) == names.end()) {
        return ErrorAt(l, ct, absl::StrCat("unknown page property '", c.name, "'"),
                       "a kpageflags name (mlocked, unevictable, lru, active, ...), present, "
                       "swapped, mapcount = N, swapcount = N, swap_type = N or swap_offset = N",
                       DidYouMean(c.name, names));
      }
      if (std::find(kNumeric.begin(), kNumeric.end(), c.name) != kNumeric.end()) {
        if (c.negate) {
          return ErrorAt(l, ct, absl::StrCat("'!", c.name, "'"), absl::StrCat(c.name, " = N"));
        }
        RETURN_IF_ERROR(ExpectPunct(l, '=', absl::StrCat("'=' after ", c.name)));
        ASSIGN_OR_RETURN(c.value, ParseExpr(l, true));
      }
      x.conds.push_back(std::move(c));
    }
    if (x.conds.empty()) {
      return ErrorAt(l, l.peek(), "found end of line", "page properties such as mlocked !active");
    }
    sc_.steps.push_back(std::move(s));
    return absl::OkStatus();
  }
  if (std::find(MmCounters().begin(), MmCounters().end(), kind) != MmCounters().end()) {
    x.kind = Expectation::kMm;
    x.field = kind;
    ASSIGN_OR_RETURN(x.expected, ParseExpectedValue(l, false, false, x.field));
    sc_.steps.push_back(std::move(s));
    return absl::OkStatus();
  }
  return ErrorAt(l, vt, absl::StrCat("unknown expectation '", kind, "'"),
                 "maps:, status, smaps, page, map_count, locked_vm, ...", DidYouMean(kind, kinds));
}

absl::Status Parser::ParseShow(Line& l) {
  l.next();
  Step s = NewStep(l, Step::kShow);
  if (l.is_ident("meminfo") || l.is_ident("vmstat") || l.is_ident("swaps")) {
    s.view = l.next().text;
    RETURN_IF_ERROR(ExpectEnd(l));
    sc_.steps.push_back(std::move(s));
    return absl::OkStatus();
  }
  const Token& tt = l.peek();
  if (tt.kind == Token::kIdent &&
      std::find(tasks_.begin(), tasks_.end(), tt.text) == tasks_.end()) {
    std::vector<std::string> cands = tasks_;
    cands.push_back("meminfo");
    cands.push_back("vmstat");
    cands.push_back("swaps");
    return ErrorAt(l, tt, absl::StrCat("unknown task or view '", tt.text, "'"),
                   "TASK VIEW, meminfo, vmstat or swaps", DidYouMean(tt.text, cands));
  }
  ASSIGN_OR_RETURN(s.task, ExpectTaskName(l));
  const Token& vt = l.peek();
  ASSIGN_OR_RETURN(s.view, ExpectIdent(l, "a view: maps, smaps, status or pages ADDR LEN"));
  if (std::find(TaskViews().begin(), TaskViews().end(), s.view) == TaskViews().end()) {
    return ErrorAt(l, vt, absl::StrCat("unknown view '", s.view, "'"),
                   "maps, smaps, status or pages ADDR LEN", DidYouMean(s.view, TaskViews()));
  }
  if (s.view == "pages" && !l.at_end()) {
    ASSIGN_OR_RETURN(s.addr, ParseExpr(l, true));
    if (l.at_end()) return ErrorAt(l, l.peek(), "found end of line", "a length after the address");
    ASSIGN_OR_RETURN(s.len, ParseExpr(l, true));
    s.write = true;  // a range was given
  }
  RETURN_IF_ERROR(ExpectEnd(l));
  sc_.steps.push_back(std::move(s));
  return absl::OkStatus();
}

}  // namespace mmsim::scenario::parse
