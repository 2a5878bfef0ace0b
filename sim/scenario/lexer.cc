// The scenario lexer: one physical line into tokens (names, numbers with K M G T P
// suffixes, strings, punctuation), and the error format every parser message uses.
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "sim/scenario/parser_impl.h"

namespace mmsim::scenario::parse {

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

namespace {

bool IsIdentStart(char c) { return absl::ascii_isalpha(static_cast<unsigned char>(c)) || c == '_'; }
bool IsIdentChar(char c) {
  return absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.';
}

}  // namespace

absl::Status ErrorAt(const std::string& file, int line, int col, absl::string_view found,
                     absl::string_view expected, absl::string_view hint) {
  std::string msg = absl::StrCat(file, ":", line, ":", col, ": error: ", found);
  if (!expected.empty()) absl::StrAppend(&msg, ", expected ", expected);
  if (!hint.empty()) absl::StrAppend(&msg, "; ", hint);
  return absl::InvalidArgumentError(msg);
}

absl::Status ErrorAt(const Line& l, const Token& t, absl::string_view found,
                     absl::string_view expected, absl::string_view hint) {
  return ErrorAt(l.file, l.number, t.col, found, expected, hint);
}

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

}  // namespace mmsim::scenario::parse
