// The scenario parser: one statement a line, `#` comments, indented rows under
// `expect TASK maps:`. Every error names the file, line and column, what was found and
// what was expected, and the closest known name when the user misspelt one.
#include <algorithm>
#include <cctype>
#include <cstring>
#include <fstream>
#include <functional>
#include <sstream>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "mmsim/control.h"
#include "sim/scenario/names.h"
#include "sim/scenario/scenario.h"
#include "sim/scenario/status_macros.h"
#include "sim/scenario/syscall_table.h"

namespace mmsim::scenario {

namespace {

constexpr int kMaxIncludeDepth = 16;
constexpr int kMaxExprDepth = 64;
// `repeat` bounds: iterations of one loop, and steps a file may unroll to in total.
constexpr uint64_t kMaxRepeat = 100000;
constexpr uint64_t kMaxUnrolledLines = 200000;
// The largest machine a scenario may ask for: the folio table is reserved whole.
constexpr uint64_t kMaxRamBytes = 64ull << 30;

const std::vector<std::string>& Keywords() {
  static const auto* v = new std::vector<std::string>{
      "title",  "teaches", "machine", "include", "file",    "task",  "sysctl",
      "expect", "mark",    "show",    "drain",   "reclaim", "repeat"};
  return *v;
}

const std::vector<std::string>& MmCounters() {
  static const auto* v =
      new std::vector<std::string>{"map_count", "locked_vm", "pinned_vm", "total_vm", "data_vm",
                                   "exec_vm",   "stack_vm",  "min_flt",   "maj_flt"};
  return *v;
}

const std::vector<std::string>& TaskViews() {
  static const auto* v = new std::vector<std::string>{"maps", "smaps", "status", "pages"};
  return *v;
}

struct Token {
  enum Kind { kIdent, kNumber, kString, kPunct, kEnd };
  Kind kind = kEnd;
  std::string text;  // identifier, punctuation, or the string's contents
  uint64_t value = 0;
  int col = 1;       // 1-based
  size_t begin = 0;  // byte offsets into the line
  size_t end = 0;
  bool space_before = false;
};

std::string Describe(const Token& t) {
  switch (t.kind) {
    case Token::kIdent:
      return absl::StrCat("'", t.text, "'");
    case Token::kNumber:
      return absl::StrCat("number '", t.text, "'");
    case Token::kString:
      return absl::StrCat("string \"", t.text, "\"");
    case Token::kPunct:
      return absl::StrCat("'", t.text, "'");
    case Token::kEnd:
      break;
  }
  return "end of line";
}

bool IsIdentStart(char c) { return absl::ascii_isalpha(static_cast<unsigned char>(c)) || c == '_'; }
bool IsIdentChar(char c) {
  return absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.';
}

// One source line being parsed.
struct Line {
  std::string file;
  int number = 0;
  std::string text;  // without the comment and trailing blanks
  std::vector<Token> tokens;
  size_t pos = 0;

  const Token& peek(size_t ahead = 0) const {
    return tokens[std::min(pos + ahead, tokens.size() - 1)];
  }
  const Token& next() {
    const Token& t = tokens[pos];
    if (pos + 1 < tokens.size()) ++pos;
    return t;
  }
  bool at_end() const { return peek().kind == Token::kEnd; }
  bool is_punct(char c, size_t ahead = 0) const {
    const Token& t = peek(ahead);
    return t.kind == Token::kPunct && t.text[0] == c;
  }
  bool is_ident(absl::string_view s, size_t ahead = 0) const {
    const Token& t = peek(ahead);
    return t.kind == Token::kIdent && t.text == s;
  }
  SourceLoc loc(const Token& t) const { return SourceLoc{file, number, t.col}; }
};

absl::Status ErrorAt(const std::string& file, int line, int col, absl::string_view found,
                     absl::string_view expected, absl::string_view hint = "") {
  std::string msg = absl::StrCat(file, ":", line, ":", col, ": error: ", found);
  if (!expected.empty()) absl::StrAppend(&msg, ", expected ", expected);
  if (!hint.empty()) absl::StrAppend(&msg, "; ", hint);
  return absl::InvalidArgumentError(msg);
}

absl::Status ErrorAt(const Line& l, const Token& t, absl::string_view found,
                     absl::string_view expected, absl::string_view hint = "") {
  return ErrorAt(l.file, l.number, t.col, found, expected, hint);
}

// Splits `raw` (one physical line) into tokens; comments are dropped. Fills l.text too.
absl::Status Lex(const std::string& raw, Line* l) {
  size_t i = 0;
  const size_t n = raw.size();
  bool space = true;
  l->tokens.clear();
  size_t last_end = 0;
  while (i < n) {
    const char c = raw[i];
    if (c == ' ' || c == '\t' || c == '\r') {
      space = true;
      ++i;
      continue;
    }
    if (c == '#') break;
    Token t;
    t.col = static_cast<int>(i) + 1;
    t.begin = i;
    t.space_before = space;
    space = false;
    if (IsIdentStart(c)) {
      size_t j = i;
      while (j < n && IsIdentChar(raw[j])) ++j;
      t.kind = Token::kIdent;
      t.text = raw.substr(i, j - i);
      i = j;
    } else if (absl::ascii_isdigit(static_cast<unsigned char>(c))) {
      size_t j = i;
      uint64_t v = 0;
      bool overflow = false;
      auto mul_add = [&](uint64_t base, uint64_t d) {
        if (v > (~uint64_t{0} - d) / base) overflow = true;
        v = v * base + d;
      };
      if (c == '0' && i + 1 < n && (raw[i + 1] == 'x' || raw[i + 1] == 'X')) {
        j = i + 2;
        if (j >= n || !absl::ascii_isxdigit(static_cast<unsigned char>(raw[j]))) {
          return ErrorAt(l->file, l->number, t.col, "'0x' without hex digits",
                         "a hexadecimal number such as 0x7f000");
        }
        while (j < n && absl::ascii_isxdigit(static_cast<unsigned char>(raw[j]))) {
          const char d = absl::ascii_tolower(static_cast<unsigned char>(raw[j]));
          mul_add(16, d <= '9' ? d - '0' : d - 'a' + 10);
          ++j;
        }
      } else {
        while (j < n && absl::ascii_isdigit(static_cast<unsigned char>(raw[j]))) {
          mul_add(10, raw[j] - '0');
          ++j;
        }
      }
      // K M G T suffixes multiply by powers of 1024; P counts pages of 4096 bytes.
      if (j < n && (j + 1 >= n || !IsIdentChar(raw[j + 1]))) {
        int shift = -1;
        switch (raw[j]) {
          case 'K':
            shift = 10;
            break;
          case 'M':
            shift = 20;
            break;
          case 'G':
            shift = 30;
            break;
          case 'T':
            shift = 40;
            break;
          case 'P':
            shift = 12;
            break;
          default:
            break;
        }
        if (shift >= 0) {
          if (v > (~uint64_t{0} >> shift)) overflow = true;
          v <<= shift;
          ++j;
        }
      }
      t.kind = Token::kNumber;
      t.text = raw.substr(i, j - i);
      t.value = v;
      if (overflow) {
        return ErrorAt(l->file, l->number, t.col, absl::StrCat("number '", t.text, "'"),
                       "a value below 2^64");
      }
      i = j;
    } else if (c == '"') {
      size_t j = i + 1;
      std::string s;
      bool closed = false;
      while (j < n) {
        if (raw[j] == '\\' && j + 1 < n) {
          s += raw[j + 1];
          j += 2;
          continue;
        }
        if (raw[j] == '"') {
          closed = true;
          ++j;
          break;
        }
        s += raw[j++];
      }
      if (!closed) {
        return ErrorAt(l->file, l->number, t.col, "unterminated string", "a closing '\"'");
      }
      t.kind = Token::kString;
      t.text = std::move(s);
      i = j;
    } else if (absl::string_view("()[],=+-*|:!/<>").find(c) != absl::string_view::npos) {
      t.kind = Token::kPunct;
      t.text = std::string(1, c);
      ++i;
    } else {
      std::string shown = absl::ascii_isprint(static_cast<unsigned char>(c))
                              ? absl::StrCat("'", std::string(1, c), "'")
                              : absl::StrFormat("byte 0x%02x", static_cast<unsigned char>(c));
      return ErrorAt(l->file, l->number, t.col, absl::StrCat("unexpected character ", shown),
                     "a name, a number, a string or one of ( ) [ ] , = + - * | : ! < >");
    }
    t.end = i;
    last_end = i;
    l->tokens.push_back(std::move(t));
  }
  Token end;
  end.kind = Token::kEnd;
  end.col = static_cast<int>(last_end) + 1;
  end.begin = end.end = last_end;
  end.space_before = true;
  l->tokens.push_back(end);
  l->text = raw.substr(0, last_end);
  // The statement text for printing: leading blanks dropped.
  const size_t first = l->text.find_first_not_of(" \t");
  l->text = first == std::string::npos ? "" : l->text.substr(first);
  l->pos = 0;
  return absl::OkStatus();
}

class Parser {
 public:
  explicit Parser(bool allow_include) : allow_include_(allow_include) {}

  absl::Status ParseText(const std::string& text, const std::string& file, int depth);
  Scenario& scenario() { return sc_; }

 private:
  absl::Status ParseLines(const std::vector<std::string>& lines, size_t begin, size_t end,
                          const std::string& file, int depth);
  absl::Status ParseLine(Line& l, const std::vector<std::string>& lines, size_t* index);
  absl::Status ParseRepeat(Line& l, const std::vector<std::string>& lines, size_t* index,
                           int depth);
  absl::StatusOr<std::string> ParseName(Line& l);
  absl::StatusOr<uint64_t> ConstantValue(Line& l, const Token& at, const Expr& e,
                                         absl::string_view what);
  absl::Status ParseMachine(Line& l);
  absl::Status ParseInclude(Line& l, int depth);
  absl::Status ParseFile(Line& l);
  absl::Status ParseTask(Line& l);
  absl::Status ParseTaskStep(Line& l, const std::string& task);
  absl::Status ParseCall(Line& l, Step* s);
  absl::Status ParseSysctl(Line& l);
  absl::Status ParseExpect(Line& l, const std::vector<std::string>& lines, size_t* index);
  absl::Status ParseShow(Line& l);

  absl::StatusOr<Expr> ParseExpr(Line& l, bool word);
  absl::StatusOr<Expr> ParseOr(Line& l, bool word, int depth);
  absl::StatusOr<Expr> ParseAdd(Line& l, bool word, int depth);
  absl::StatusOr<Expr> ParseMul(Line& l, bool word, int depth);
  absl::StatusOr<Expr> ParseUnary(Line& l, bool word, int depth);
  absl::StatusOr<ExpectedValue> ParseExpectedValue(Line& l, bool allow_delta, bool kb_field,
                                                   const std::string& field);
  absl::StatusOr<std::string> ExpectTaskName(Line& l);
  absl::StatusOr<std::string> TakeWord(Line& l, absl::string_view what);
  absl::Status ExpectEnd(Line& l, absl::string_view what = "end of line");
  absl::Status ExpectPunct(Line& l, char c, absl::string_view what);
  absl::StatusOr<std::string> ExpectIdent(Line& l, absl::string_view what);
  absl::Status CheckNewName(Line& l, const Token& t, absl::string_view role);
  Step NewStep(const Line& l, Step::Kind kind) {
    Step s;
    s.kind = kind;
    s.loc = SourceLoc{l.file, l.number, 1};
    const size_t first = l.tokens.empty() ? 0 : l.tokens[0].col;
    s.loc.col = static_cast<int>(first);
    s.text = l.text;
    started_ = true;
    return s;
  }

  bool allow_include_;
  Scenario sc_;
  bool started_ = false;  // a file, task or step has been seen: `machine` is no longer allowed
  bool title_seen_ = false;
  std::vector<std::string> include_stack_;
  absl::flat_hash_set<std::string> symbols_;
  std::vector<std::string> symbol_list_;
  std::vector<std::string> tasks_;
  std::vector<std::string> exited_;  // tasks that called exit(): no later step may name them
  std::string raw_line_;             // the physical line being parsed (token offsets index into it)
  size_t block_end_ = 0;             // the end of the lines being parsed (a `repeat` block's)
  // The loop variables of the enclosing `repeat`s and their values in this iteration.
  absl::flat_hash_map<std::string, uint64_t> loop_vars_;
  uint64_t unrolled_ = 0;  // lines parsed inside `repeat` blocks so far
};

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
  ASSIGN_OR_RETURN(Expr e, ParseOr(l, word, 0));
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

absl::StatusOr<Expr> Parser::ParseOr(Line& l, bool word, int depth) {
  ASSIGN_OR_RETURN(Expr e, ParseAdd(l, word, depth));
  while (l.is_punct('|') && !(word && l.peek().space_before)) {
    l.next();
    ASSIGN_OR_RETURN(Expr r, ParseAdd(l, word, depth));
    e = Binary('|', std::move(e), std::move(r));
  }
  return e;
}

absl::StatusOr<Expr> Parser::ParseAdd(Line& l, bool word, int depth) {
  ASSIGN_OR_RETURN(Expr e, ParseMul(l, word, depth));
  while ((l.is_punct('+') || l.is_punct('-')) && !(word && l.peek().space_before)) {
    const char op = l.next().text[0];
    ASSIGN_OR_RETURN(Expr r, ParseMul(l, word, depth));
    e = Binary(op, std::move(e), std::move(r));
  }
  return e;
}

absl::StatusOr<Expr> Parser::ParseMul(Line& l, bool word, int depth) {
  ASSIGN_OR_RETURN(Expr e, ParseUnary(l, word, depth));
  while (l.is_punct('*') && !(word && l.peek().space_before)) {
    l.next();
    ASSIGN_OR_RETURN(Expr r, ParseUnary(l, word, depth));
    e = Binary('*', std::move(e), std::move(r));
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
    ASSIGN_OR_RETURN(Expr inner, ParseOr(l, false, depth + 1));
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

absl::Status Parser::ParseText(const std::string& text, const std::string& file, int depth) {
  std::vector<std::string> lines = absl::StrSplit(text, '\n');
  for (std::string& raw : lines) {
    if (!raw.empty() && raw.back() == '\r') raw.pop_back();
  }
  return ParseLines(lines, 0, lines.size(), file, depth);
}

namespace {
// The blanks a line starts with.
size_t Indent(absl::string_view raw) {
  size_t n = 0;
  while (n < raw.size() && (raw[n] == ' ' || raw[n] == '\t')) ++n;
  return n;
}
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

// A name, indexed or not: `a`, `a[i]`, `a[i+1][2]` -> "a", "a[3]", "a[4][2]". Indices are
// constant expressions (numbers and loop variables).
absl::StatusOr<std::string> Parser::ParseName(Line& l) {
  ASSIGN_OR_RETURN(std::string name, ExpectIdent(l, "a name"));
  while (l.is_punct('[') && !l.peek().space_before) {
    l.next();
    const Token& it = l.peek();
    ASSIGN_OR_RETURN(Expr e, ParseOr(l, false, 0));
    e.text = raw_line_.substr(it.begin, l.tokens[l.pos > 0 ? l.pos - 1 : 0].end - it.begin);
    ASSIGN_OR_RETURN(uint64_t v,
                     ConstantValue(l, it, e, "a constant index (a number or a loop variable)"));
    RETURN_IF_ERROR(ExpectPunct(l, ']', "']' to close the index"));
    absl::StrAppend(&name, "[", v, "]");
  }
  return name;
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
    // Constant expressions: evaluate here (no symbols can occur before tasks exist).
    std::function<uint64_t(const Expr&)> eval = [&](const Expr& x) -> uint64_t {
      switch (x.kind) {
        case Expr::kNumber:
          return x.value;
        case Expr::kSymbol:
          return 0;
        case Expr::kNegate:
          return uint64_t{0} - eval(*x.lhs);
        case Expr::kBinary: {
          return Expr::apply(x.op, eval(*x.lhs), eval(*x.rhs));
        }
      }
      return 0;
    };
    const uint64_t v = eval(e);
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

}  // namespace

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
