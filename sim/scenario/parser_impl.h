// What the parts of the scenario parser share (sim/scenario/parser*.cc, lexer.cc): the
// tokens of a line, the error format and the Parser class. Not for other front-end files:
// they use scenario.h.
#ifndef MMSIM_SCENARIO_PARSER_IMPL_H_
#define MMSIM_SCENARIO_PARSER_IMPL_H_

#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "sim/scenario/scenario.h"

namespace mmsim::scenario::parse {

inline constexpr int kMaxIncludeDepth = 16;
inline constexpr int kMaxExprDepth = 64;
// `repeat` bounds: iterations of one loop, and steps a file may unroll to in total.
inline constexpr uint64_t kMaxRepeat = 100000;
inline constexpr uint64_t kMaxUnrolledLines = 200000;
// The largest machine a scenario may ask for: the folio table is reserved whole.
inline constexpr uint64_t kMaxRamBytes = 64ull << 30;

inline const std::vector<std::string>& Keywords() {
  static const auto* v = new std::vector<std::string>{
      "title",  "teaches", "machine", "include", "file",    "task",  "sysctl",
      "expect", "mark",    "show",    "drain",   "reclaim", "repeat"};
  return *v;
}

inline const std::vector<std::string>& MmCounters() {
  static const auto* v =
      new std::vector<std::string>{"map_count", "locked_vm", "pinned_vm", "total_vm", "data_vm",
                                   "exec_vm",   "stack_vm",  "min_flt",   "maj_flt"};
  return *v;
}

inline const std::vector<std::string>& TaskViews() {
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

// "'mlock'", "number '8K'", "end of line": a token as an error message names it.
std::string Describe(const Token& t);

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

// "file:line:col: error: <found>, expected <expected>; <hint>".
absl::Status ErrorAt(const std::string& file, int line, int col, absl::string_view found,
                     absl::string_view expected, absl::string_view hint = "");
absl::Status ErrorAt(const Line& l, const Token& t, absl::string_view found,
                     absl::string_view expected, absl::string_view hint = "");

// The blanks a line starts with (`repeat` blocks and `maps:` rows are indented more than
// the statement above them).
inline size_t Indent(absl::string_view raw) {
  size_t n = 0;
  while (n < raw.size() && (raw[n] == ' ' || raw[n] == '\t')) ++n;
  return n;
}

// Splits `raw` (one physical line) into tokens; comments are dropped. Fills l.text too.
absl::Status Lex(const std::string& raw, Line* l);

// Parses the text of a scenario (and the files it includes) into a Scenario. Its members
// are defined in parser.cc (statements), parser_call.cc (calls), parser_expect.cc
// (expectations and views) and parser_expr.cc (expressions, names and shared helpers).
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
  // Binary operators binding at least as tightly as min_prec (| 1, + - 2, * 3), left to right.
  absl::StatusOr<Expr> ParseBinary(Line& l, bool word, int depth, int min_prec);
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

}  // namespace mmsim::scenario::parse

#endif  // MMSIM_SCENARIO_PARSER_IMPL_H_
