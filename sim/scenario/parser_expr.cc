// The scenario parser's expressions (numbers, constants, symbols, loop variables, indexed
// names; | + - * and unary minus with C precedence) and the helpers every statement uses.
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

absl::Status Parser::ExpectEnd(Line& l, absl::string_view what) {
  if (l.at_end()) return absl::OkStatus();
  return ErrorAt(l, l.peek(), absl::StrCat("unexpected ", Describe(l.peek())), what);
}

absl::Status Parser::ExpectPunct(Line& l, char c, absl::string_view what) {
  if (l.is_punct(c)) {
    l.next();
    return absl::OkStatus();
  }
  return ErrorAt(l, l.peek(), absl::StrCat("found ", Describe(l.peek())), what);
}

absl::StatusOr<std::string> Parser::ExpectIdent(Line& l, absl::string_view what) {
  if (l.peek().kind != Token::kIdent) {
    return ErrorAt(l, l.peek(), absl::StrCat("found ", Describe(l.peek())), what);
  }
  return l.next().text;
}

// The source text up to the next blank (for paths, permissions, `name=value`).
absl::StatusOr<std::string> Parser::TakeWord(Line& l, absl::string_view what) {
  if (l.at_end()) return ErrorAt(l, l.peek(), "found end of line", what);
  const Token& first = l.next();
  if (first.kind == Token::kString) return first.text;
  const size_t begin = first.begin;
  size_t end = first.end;
  while (!l.at_end() && !l.peek().space_before && l.peek().kind != Token::kString) {
    end = l.next().end;
  }
  return raw_line_.substr(begin, end - begin);
}

absl::Status Parser::CheckNewName(Line& l, const Token& t, absl::string_view role) {
  const std::string& name = t.text;
  if (LookupConstant(name) || LookupSyscall(name) || NotModelledSyscall(name) ||
      std::find(Keywords().begin(), Keywords().end(), name) != Keywords().end() ||
      name == "write" || name == "read" || name == "ok" || name == "kB" ||
      name.find('.') != std::string::npos) {
    return ErrorAt(l, t, absl::StrCat("'", name, "' is a reserved name"),
                   absl::StrCat("a new ", role, " name"));
  }
  return absl::OkStatus();
}

// ---- expressions ----

absl::StatusOr<Expr> Parser::ParseExpr(Line& l, bool word) {
  const size_t start_tok = l.pos;
  ASSIGN_OR_RETURN(Expr e, ParseBinary(l, word, 0, 1));
  const size_t b = l.tokens[start_tok].begin;
  const size_t end = l.tokens[l.pos > 0 ? l.pos - 1 : 0].end;
  e.text = end > b ? raw_line_.substr(b, end - b) : "";
  e.loc = l.loc(l.tokens[start_tok]);
  return e;
}

namespace {
Expr Binary(char op, Expr a, Expr b) {
  Expr e;
  e.kind = Expr::kBinary;
  e.op = op;
  e.uses_symbol = a.uses_symbol || b.uses_symbol;
  e.names_only = a.names_only && b.names_only;
  e.loc = a.loc;
  e.lhs = std::make_shared<const Expr>(std::move(a));
  e.rhs = std::make_shared<const Expr>(std::move(b));
  return e;
}
}  // namespace

namespace {
// The precedence of a binary operator token (C's: | below + - below *), 0 if it is none.
int BinaryPrecedence(const Token& t) {
  if (t.kind != Token::kPunct) return 0;
  switch (t.text[0]) {
    case '|':
      return 1;
    case '+':
    case '-':
      return 2;
    case '*':
      return 3;
    default:
      return 0;
  }
}
}  // namespace

absl::StatusOr<Expr> Parser::ParseBinary(Line& l, bool word, int depth, int min_prec) {
  ASSIGN_OR_RETURN(Expr e, ParseUnary(l, word, depth));
  while (true) {
    const int prec = BinaryPrecedence(l.peek());
    // In a word (outside parentheses) a blank before the operator ends the expression.
    if (prec == 0 || prec < min_prec || (word && l.peek().space_before)) break;
    const char op = l.next().text[0];
    ASSIGN_OR_RETURN(Expr r, ParseBinary(l, word, depth, prec + 1));
    e = Binary(op, std::move(e), std::move(r));
  }
  return e;
}

absl::StatusOr<Expr> Parser::ParseUnary(Line& l, bool word, int depth) {
  if (depth > kMaxExprDepth) {
    return ErrorAt(l, l.peek(), "expression nested too deeply",
                   absl::StrCat("at most ", kMaxExprDepth, " levels"));
  }
  const Token& t = l.peek();
  Expr e;
  e.loc = l.loc(t);
  if (t.kind == Token::kPunct && t.text == "-") {
    l.next();
    ASSIGN_OR_RETURN(Expr inner, ParseUnary(l, word, depth + 1));
    e.kind = Expr::kNegate;
    e.uses_symbol = inner.uses_symbol;
    e.lhs = std::make_shared<const Expr>(std::move(inner));
    return e;
  }
  if (t.kind == Token::kPunct && t.text == "(") {
    l.next();
    // Inside parentheses blanks do not end the expression.
    ASSIGN_OR_RETURN(Expr inner, ParseBinary(l, false, depth + 1, 1));
    RETURN_IF_ERROR(ExpectPunct(l, ')', "')'"));
    return inner;
  }
  if (t.kind == Token::kNumber) {
    l.next();
    e.kind = Expr::kNumber;
    e.value = t.value;
    if (l.peek().kind == Token::kIdent && !l.peek().space_before) {
      const Token& junk = l.peek();
      return ErrorAt(l, junk,
                     absl::StrCat("unexpected '", junk.text, "' after number '", t.text, "'"),
                     "an operator or a blank",
                     "size suffixes are K, M, G, T (powers of 1024) and P (pages of 4096)");
    }
    return e;
  }
  if (t.kind == Token::kIdent) {
    if (l.is_punct('[', 1) && !l.peek(1).space_before) {
      ASSIGN_OR_RETURN(std::string name, ParseName(l));
      if (!symbols_.contains(name)) {
        return ErrorAt(l, t, absl::StrCat("unknown name '", name, "'"),
                       "a symbol bound by `x = call(...)`", DidYouMean(name, symbol_list_));
      }
      e.kind = Expr::kSymbol;
      e.name = name;
      e.uses_symbol = true;
      return e;
    }
    l.next();
    if (auto c = LookupConstant(t.text)) {
      e.kind = Expr::kNumber;
      e.value = *c;
      e.names_only = true;
      return e;
    }
    if (auto it = loop_vars_.find(t.text); it != loop_vars_.end()) {
      e.kind = Expr::kNumber;
      e.value = it->second;
      return e;
    }
    if (symbols_.contains(t.text)) {
      e.kind = Expr::kSymbol;
      e.name = t.text;
      e.uses_symbol = true;
      return e;
    }
    if (NotModelledSyscall(t.text) || LookupSyscall(t.text)) {
      return ErrorAt(l, t, absl::StrCat("call '", t.text, "' inside an expression"),
                     "a number, a constant or a symbol",
                     "calls are statements: `TASK: x = call(...)`");
    }
    std::vector<std::string> cands = symbol_list_;
    cands.insert(cands.end(), ConstantNames().begin(), ConstantNames().end());
    return ErrorAt(l, t, absl::StrCat("unknown name '", t.text, "'"),
                   "a number, a constant or a symbol bound by `x = call(...)`",
                   DidYouMean(t.text, cands));
  }
  return ErrorAt(l, t, absl::StrCat("found ", Describe(t)),
                 "an expression (a number, a constant or a symbol)");
}

// ---- statements ----

absl::StatusOr<uint64_t> Parser::ConstantValue(Line& l, const Token& at, const Expr& e,
                                               absl::string_view what) {
  if (e.uses_symbol) {
    return ErrorAt(l, at, absl::StrCat("'", e.text, "' uses a symbol"), what,
                   "symbols have values only when the scenario runs");
  }
  std::function<uint64_t(const Expr&)> eval = [&](const Expr& x) -> uint64_t {
    switch (x.kind) {
      case Expr::kNumber:
        return x.value;
      case Expr::kSymbol:
        return 0;
      case Expr::kNegate:
        return uint64_t{0} - eval(*x.lhs);
      case Expr::kBinary:
        return Expr::apply(x.op, eval(*x.lhs), eval(*x.rhs));
    }
    return 0;
  };
  return eval(e);
}

// A name, indexed or not: `a`, `a[i]`, `a[i+1][2]` -> "a", "a[3]", "a[4][2]". Indices are
// constant expressions (numbers and loop variables).
absl::StatusOr<std::string> Parser::ParseName(Line& l) {
  ASSIGN_OR_RETURN(std::string name, ExpectIdent(l, "a name"));
  while (l.is_punct('[') && !l.peek().space_before) {
    l.next();
    const Token& it = l.peek();
    ASSIGN_OR_RETURN(Expr e, ParseBinary(l, false, 0, 1));
    e.text = raw_line_.substr(it.begin, l.tokens[l.pos > 0 ? l.pos - 1 : 0].end - it.begin);
    ASSIGN_OR_RETURN(uint64_t v,
                     ConstantValue(l, it, e, "a constant index (a number or a loop variable)"));
    RETURN_IF_ERROR(ExpectPunct(l, ']', "']' to close the index"));
    absl::StrAppend(&name, "[", v, "]");
  }
  return name;
}

}  // namespace mmsim::scenario::parse
