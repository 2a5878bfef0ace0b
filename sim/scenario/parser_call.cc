// The scenario parser's calls: `TASK: [x =] call(args) [= RESULT]` and user accesses, read
// from the syscall table (syscall_table.h).
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

absl::Status Parser::ParseTaskStep(Line& l, const std::string& task) {
  const Token& first = l.peek();
  if (first.kind != Token::kIdent) {
    return ErrorAt(l, first, absl::StrCat("found ", Describe(first)),
                   "a call such as mlock(p, 8K), or read/write ADDR LEN");
  }
  if ((first.text == "write" || first.text == "read") && !l.is_punct('(', 1)) {
    l.next();
    Step s = NewStep(l, Step::kAccess);
    s.task = task;
    s.write = first.text == "write";
    if (l.at_end()) return ErrorAt(l, l.peek(), "found end of line", "an address");
    ASSIGN_OR_RETURN(s.addr, ParseExpr(l, true));
    if (l.at_end()) return ErrorAt(l, l.peek(), "found end of line", "a length after the address");
    ASSIGN_OR_RETURN(s.len, ParseExpr(l, true));
    if (l.is_punct('=')) {
      l.next();
      const Token& et = l.peek();
      if (et.kind == Token::kIdent && et.text == "ok") {
        l.next();
        s.expect_result.kind = ExpectedResult::kOk;
      } else if (l.is_punct('-') && l.peek(1).kind == Token::kNumber && l.peek(1).value == 1) {
        l.next();
        l.next();
        s.expect_result.kind = ExpectedResult::kError;
        if (!l.at_end()) {
          const Token& en = l.peek();
          ASSIGN_OR_RETURN(std::string name, ExpectIdent(l, "an errno name such as EFAULT"));
          auto err = LookupErrno(name);
          if (!err) {
            return ErrorAt(l, en, absl::StrCat("unknown errno '", name, "'"),
                           "an errno name such as EFAULT", DidYouMean(name, ErrnoNames()));
          }
          s.expect_result.err = *err;
        }
      } else {
        ASSIGN_OR_RETURN(s.expect_result.value, ParseExpr(l, false));
        s.expect_result.kind = ExpectedResult::kValue;
      }
    }
    RETURN_IF_ERROR(ExpectEnd(l));
    sc_.steps.push_back(std::move(s));
    return absl::OkStatus();
  }
  Step s = NewStep(l, Step::kCall);
  s.task = task;
  bool indexed = false;
  if (l.is_punct('=', 1) || (l.is_punct('[', 1) && !l.peek(1).space_before)) {
    const Token& st = l.peek();
    indexed = l.is_punct('[', 1);
    ASSIGN_OR_RETURN(std::string name, ParseName(l));
    if (!symbols_.contains(name)) {
      if (LookupConstant(st.text)) {
        return ErrorAt(l, st, absl::StrCat("'", st.text, "' is a constant"),
                       "a symbol name to bind the result to");
      }
      if (loop_vars_.contains(st.text)) {
        return ErrorAt(l, st, absl::StrCat("'", st.text, "' is a loop variable"),
                       "a symbol name to bind the result to");
      }
      RETURN_IF_ERROR(CheckNewName(l, st, "symbol"));
    }
    s.symbol = name;
    RETURN_IF_ERROR(ExpectPunct(l, '=', absl::StrCat("'=' after ", name)));
  }
  const size_t call_pos = l.pos;
  RETURN_IF_ERROR(ParseCall(l, &s));
  if (s.row->names_task) {
    // `A: B = fork()`: the name on the left is the child task's.
    const Token& call_tok = l.tokens[call_pos];
    if (indexed) {
      return ErrorAt(l, l.tokens[2], absl::StrCat("task name '", s.symbol, "'"),
                     "a plain name (indices are for symbols)");
    }
    if (s.symbol.empty()) {
      return ErrorAt(l, call_tok, absl::StrCat(s.call, "() without a name for the new task"),
                     absl::StrCat("`", task, ": B = ", s.call, "(...)`, B naming the child"));
    }
    const Token& name_tok = l.tokens[2];
    if (symbols_.contains(s.symbol)) {
      return ErrorAt(l, name_tok, absl::StrCat("'", s.symbol, "' is already a symbol"),
                     "a new task name");
    }
    if (std::find(tasks_.begin(), tasks_.end(), s.symbol) != tasks_.end()) {
      return ErrorAt(l, name_tok, absl::StrCat("task '", s.symbol, "' already exists"),
                     "a new task name");
    }
    tasks_.push_back(s.symbol);
  } else if (!s.symbol.empty() && !symbols_.contains(s.symbol)) {
    if (std::find(tasks_.begin(), tasks_.end(), s.symbol) != tasks_.end()) {
      return ErrorAt(l, l.tokens[2], absl::StrCat("'", s.symbol, "' is a task"),
                     "a symbol name to bind the result to");
    }
    symbols_.insert(s.symbol);
    symbol_list_.push_back(s.symbol);
  }
  if (s.row->ends_task) exited_.push_back(task);
  sc_.steps.push_back(std::move(s));
  return absl::OkStatus();
}

absl::Status Parser::ParseCall(Line& l, Step* s) {
  const Token& nt = l.peek();
  if (nt.kind != Token::kIdent) {
    return ErrorAt(l, nt, absl::StrCat("found ", Describe(nt)), "a syscall name such as mmap");
  }
  l.next();
  if (const char* nm = NotModelledSyscall(nt.text)) {
    return ErrorAt(l, nt, absl::StrCat("'", nm, "' is not modelled yet"),
                   absl::StrCat("one of ", absl::StrJoin(SyscallNames(), ", ")));
  }
  const SyscallRow* info = LookupSyscall(nt.text);
  if (!info) {
    return ErrorAt(l, nt, absl::StrCat("unknown syscall '", nt.text, "'"),
                   "a syscall such as mmap, mlock, munlock", DidYouMean(nt.text, SyscallNames()));
  }
  s->call = info->name;
  s->row = info;
  RETURN_IF_ERROR(ExpectPunct(l, '(', absl::StrCat("'(' after ", info->name)));
  while (!l.is_punct(')')) {
    if (l.at_end()) return ErrorAt(l, l.peek(), "found end of line", "')' to close the call");
    if (!s->args.empty()) RETURN_IF_ERROR(ExpectPunct(l, ',', "',' or ')'"));
    const char kind = ArgKindAt(*info, s->args.size());
    const Token& at = l.peek();
    Arg a;
    if (kind == 'c') {
      if (!l.is_punct('+') && !l.is_punct('-')) {
        return ErrorAt(l, at, absl::StrCat("found ", Describe(at)),
                       "+CAP_NAME (raise) or -CAP_NAME (drop)");
      }
      a.kind = Arg::kCap;
      a.cap_sign = l.next().text == "+" ? 1 : -1;
      const Token& ct = l.peek();
      ASSIGN_OR_RETURN(std::string cap, ExpectIdent(l, "a capability such as CAP_IPC_LOCK"));
      auto bit = LookupCapability(cap);
      if (!bit) {
        return ErrorAt(l, ct, absl::StrCat("unknown capability '", cap, "'"),
                       "a capability such as CAP_IPC_LOCK", DidYouMean(cap, CapabilityNames()));
      }
      a.cap = *bit;
      a.text = absl::StrCat(a.cap_sign > 0 ? "+" : "-", cap);
    } else if (at.kind == Token::kString) {
      if (kind != 'p' && kind != 'n') {
        return ErrorAt(l, at, absl::StrCat("found ", Describe(at)), "an integer expression",
                       absl::StrCat("the call is ", info->usage));
      }
      l.next();
      a.kind = Arg::kString;
      a.str = at.text;
      a.text = absl::StrCat("\"", absl::CEscape(at.text), "\"");
    } else if (kind == 'p') {
      return ErrorAt(l, at, absl::StrCat("found ", Describe(at)), "a quoted path",
                     absl::StrCat("the call is ", info->usage));
    } else if (kind == 'n' && at.kind == Token::kIdent && at.text == "NULL") {
      l.next();
      a.kind = Arg::kNull;
      a.text = "NULL";
    } else {
      ASSIGN_OR_RETURN(a.expr, ParseExpr(l, false));
      a.text = a.expr.text;
    }
    s->args.push_back(std::move(a));
  }
  const Token& close = l.next();
  const int n = static_cast<int>(s->args.size());
  if (n < info->min_args || n > info->max_args) {
    return ErrorAt(
        l, close, absl::StrCat("found ", n, " argument", n == 1 ? "" : "s", " to ", info->name),
        absl::StrCat(info->min_args == info->max_args ? absl::StrCat(info->min_args)
                                                      : absl::StrCat(info->min_args, " or more"),
                     ": ", info->usage));
  }
  if (info->check) {
    if (std::optional<ArgProblem> p = info->check(s->args)) {
      const Arg& a = s->args[p->arg];
      const int col = a.kind == Arg::kExpr ? a.expr.loc.col : close.col;
      return ErrorAt(l.file, l.number, col, p->found, p->expected);
    }
  }
  // The expected result.
  if (l.is_punct('=')) {
    l.next();
    const Token& et = l.peek();
    const size_t begin = et.begin;
    if (et.kind == Token::kIdent && et.text == "ok") {
      l.next();
      s->expect_result.kind = ExpectedResult::kOk;
    } else if (l.is_punct('-') && l.peek(1).kind == Token::kNumber && l.peek(1).value == 1 &&
               (l.peek(2).kind == Token::kEnd || l.peek(2).kind == Token::kIdent)) {
      l.next();
      l.next();
      s->expect_result.kind = ExpectedResult::kError;
      if (!l.at_end()) {
        const Token& en = l.peek();
        ASSIGN_OR_RETURN(std::string name, ExpectIdent(l, "an errno name such as ENOMEM"));
        auto err = LookupErrno(name);
        if (!err) {
          return ErrorAt(l, en, absl::StrCat("unknown errno '", name, "'"),
                         "an errno name such as ENOMEM", DidYouMean(name, ErrnoNames()));
        }
        s->expect_result.err = *err;
      }
    } else if (et.kind == Token::kEnd) {
      return ErrorAt(l, et, "found end of line", "an expected result: 0, -1 ENOMEM, ok or a value");
    } else {
      ASSIGN_OR_RETURN(s->expect_result.value, ParseExpr(l, false));
      s->expect_result.kind = ExpectedResult::kValue;
    }
    const size_t end = l.tokens[l.pos > 0 ? l.pos - 1 : 0].end;
    s->expect_result.text = end > begin ? raw_line_.substr(begin, end - begin) : "";
    // `= 0 "11010"`: what the call writes (mincore's vector, a character a page).
    if (l.peek().kind == Token::kString) {
      const Token& ot = l.next();
      if (!s->row->host.out_arg_writes()) {
        return ErrorAt(l, ot, absl::StrCat("found ", Describe(ot)), "end of line",
                       absl::StrCat(s->call, " writes nothing a scenario can compare"));
      }
      s->expect_result.has_output = true;
      s->expect_result.output = ot.text;
    }
  }
  return ExpectEnd(l, "end of line (or `= RESULT`)");
}

}  // namespace mmsim::scenario::parse
