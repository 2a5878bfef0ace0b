// Trace files (include/mmsim/access_trace.h): readers that stream mmsim, libCacheSim
// (oracleGeneral, txt, csv) and valgrind lackey traces, zstd-compressed or not, through one
// fixed-size buffer. No kernel twin: this is the workload side of the policy benchmark.
#include <zstd.h>

#include <cstdio>
#include <cstring>
#include <memory>
#include <vector>

#include "absl/hash/hash.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "mmsim/access_trace.h"
#include "mmsim/types.h"

namespace mmsim {

namespace {

constexpr size_t kBufferBytes = size_t{1} << 20;  // also the longest line a text trace may have

absl::Status sim_trace_error(absl::string_view file, size_t line, size_t col,
                             absl::string_view what) {
  return absl::InvalidArgumentError(absl::StrCat(file, ":", line, ":", col, ": error: ", what));
}

// ---- bytes: a file, or a zstd frame sequence decompressed as it is read ----

class SimTraceBytes {
 public:
  explicit SimTraceBytes(std::FILE* f) : f_(f) {}
  virtual ~SimTraceBytes() { std::fclose(f_); }
  // Up to n bytes; 0 at the end. An error leaves a message in error().
  virtual size_t read(char* out, size_t n) { return std::fread(out, 1, n, f_); }
  const std::string& error() const { return error_; }

 protected:
  std::FILE* f_;
  std::string error_;
};

class SimZstdBytes : public SimTraceBytes {
 public:
  explicit SimZstdBytes(std::FILE* f)
      : SimTraceBytes(f), in_(ZSTD_DStreamInSize()), ds_(ZSTD_createDStream()) {}
  ~SimZstdBytes() override { ZSTD_freeDStream(ds_); }
  size_t read(char* out, size_t n) override {
    ZSTD_outBuffer ob{out, n, 0};
    while (ob.pos == 0) {
      if (ib_.pos == ib_.size) {
        ib_ = {in_.data(), std::fread(in_.data(), 1, in_.size(), f_), 0};
        if (ib_.size == 0) {
          if (last_ != 0) error_ = "the zstd stream ends inside a frame (truncated file?)";
          return 0;
        }
      }
      last_ = ZSTD_decompressStream(ds_, &ob, &ib_);
      if (ZSTD_isError(last_)) {
        error_ = absl::StrCat("zstd: ", ZSTD_getErrorName(last_));
        return 0;
      }
    }
    return ob.pos;
  }

 private:
  std::vector<char> in_;
  ZSTD_DStream* ds_;
  ZSTD_inBuffer ib_{nullptr, 0, 0};
  size_t last_ = 0;
};

// A window over the byte stream: lines and fixed-size records without copying.
class SimTraceInput {
 public:
  explicit SimTraceInput(std::unique_ptr<SimTraceBytes> bytes)
      : bytes_(std::move(bytes)), buf_(kBufferBytes) {}
  // At least n bytes buffered unless the stream ends first; returns what is buffered.
  absl::string_view peek(size_t n) {
    if (end_ - pos_ < n) fill();
    return absl::string_view(buf_.data() + pos_, end_ - pos_);
  }
  void skip(size_t n) { pos_ += n; }
  // The next line without its '\n' (and '\r'); false at the end. A line longer than the
  // buffer sets *too_long.
  bool line(absl::string_view* out, bool* too_long) {
    *too_long = false;
    for (bool filled = false;; filled = true) {
      const char* start = buf_.data() + pos_;
      const void* nl = std::memchr(start, '\n', end_ - pos_);
      if (nl) {
        const size_t len = static_cast<const char*>(nl) - start;
        *out = absl::string_view(start, len);
        pos_ += len + 1;
        if (!out->empty() && out->back() == '\r') out->remove_suffix(1);
        return true;
      }
      if (filled && (eof_ || end_ - pos_ == buf_.size())) {
        if (end_ - pos_ == buf_.size()) {
          *too_long = true;
          return false;
        }
        if (pos_ == end_) return false;
        *out = absl::string_view(start, end_ - pos_);
        pos_ = end_;
        if (!out->empty() && out->back() == '\r') out->remove_suffix(1);
        return true;
      }
      fill();
    }
  }
  const std::string& error() const { return bytes_->error(); }

 private:
  void fill() {
    if (pos_ > 0) {
      std::memmove(buf_.data(), buf_.data() + pos_, end_ - pos_);
      end_ -= pos_;
      pos_ = 0;
    }
    while (!eof_ && end_ < buf_.size()) {
      const size_t n = bytes_->read(buf_.data() + end_, buf_.size() - end_);
      if (n == 0) eof_ = true;
      end_ += n;
    }
  }

  std::unique_ptr<SimTraceBytes> bytes_;
  std::vector<char> buf_;
  size_t pos_ = 0, end_ = 0;
  bool eof_ = false;
};

// ---- one reader per format ----

// Readers of line-oriented formats: lines, their numbers, and the errors that name them.
class SimLineReader : public TraceReader {
 public:
  SimLineReader(std::string name, TraceFormat f, std::unique_ptr<SimTraceInput> in)
      : TraceReader(std::move(name), f), in_(std::move(in)) {}

 protected:
  // The next line that is not blank; false at the end or on an error.
  bool next_line(absl::string_view* line) {
    while (true) {
      bool too_long;
      if (!in_->line(line, &too_long)) {
        if (too_long)
          return fail(sim_trace_error(name(), line_no_ + 1, 1, "line longer than 1 MiB"));
        if (!in_->error().empty())
          return fail(
              absl::DataLossError(absl::StrCat(name(), ":", line_no_, ": error: ", in_->error())));
        return false;
      }
      ++line_no_;
      if (!absl::StripAsciiWhitespace(*line).empty()) return true;
    }
  }
  bool error_at(size_t col, absl::string_view what) {
    return fail(sim_trace_error(name(), line_no_, col, what));
  }

  std::unique_ptr<SimTraceInput> in_;
  size_t line_no_ = 0;
};

class SimMmsimReader : public SimLineReader {
 public:
  using SimLineReader::SimLineReader;
  bool next(TraceRecord* r) override {
    absl::string_view line;
    while (next_line(&line)) {
      PageAccess a;
      bool empty;
      if (absl::Status s = sim_parse_access_line(line, name(), line_no_, &a, &empty); !s.ok())
        return fail(std::move(s));
      if (empty) continue;
      *r = TraceRecord{};
      r->key = a.addr;
      r->pid = a.pid;
      r->write = a.write;
      r->is_address = true;
      return true;
    }
    return false;
  }

  // One line of mmsim text: `R|W 0xADDR [PID]`, `#` comments; *empty for a line with none.
  static absl::Status sim_parse_access_line(absl::string_view line, absl::string_view file,
                                            size_t line_no, PageAccess* a, bool* empty);
};

absl::Status SimMmsimReader::sim_parse_access_line(absl::string_view line, absl::string_view file,
                                                   size_t line_no, PageAccess* a, bool* empty) {
  if (size_t hash = line.find('#'); hash != absl::string_view::npos) line = line.substr(0, hash);
  struct Token {
    absl::string_view text;
    size_t col;  // 1-based
  };
  Token tokens[4];
  size_t n = 0;
  for (size_t i = 0; i < line.size() && n < 4;) {
    if (line[i] == ' ' || line[i] == '\t') {
      ++i;
      continue;
    }
    size_t j = i;
    while (j < line.size() && line[j] != ' ' && line[j] != '\t') ++j;
    tokens[n++] = {line.substr(i, j - i), i + 1};
    i = j;
  }
  *empty = n == 0;
  if (n == 0) return absl::OkStatus();
  *a = PageAccess{};
  const Token& op = tokens[0];
  if (op.text == "R" || op.text == "r") {
    a->write = false;
  } else if (op.text == "W" || op.text == "w") {
    a->write = true;
  } else {
    return sim_trace_error(file, line_no, op.col,
                           absl::StrCat("found '", op.text, "', expected R or W"));
  }
  if (n < 2) {
    return sim_trace_error(file, line_no, line.size() + 1,
                           "the line ends after the access type, expected an address such "
                           "as 0x7f0000001000");
  }
  const Token& addr = tokens[1];
  absl::string_view hex = addr.text;
  if (!absl::ConsumePrefix(&hex, "0x") && !absl::ConsumePrefix(&hex, "0X")) hex = {};
  if (hex.empty() || hex.size() > 16 || !absl::SimpleHexAtoi(hex, &a->addr)) {
    return sim_trace_error(
        file, line_no, addr.col,
        absl::StrCat("found '", addr.text, "', expected an address in hex such as 0x7f0000001000"));
  }
  if (a->addr < MMAP_MIN_ADDR || a->addr >= TASK_SIZE) {
    return sim_trace_error(file, line_no, addr.col,
                           absl::StrFormat("address %#x is outside user space [%#x, %#x)", a->addr,
                                           MMAP_MIN_ADDR, TASK_SIZE));
  }
  if (n >= 3) {
    const Token& pid = tokens[2];
    if (!absl::SimpleAtoi(pid.text, &a->pid) || a->pid == 0 || a->pid > (1u << 22) ||
        !absl::ascii_isdigit(static_cast<unsigned char>(pid.text[0]))) {
      return sim_trace_error(
          file, line_no, pid.col,
          absl::StrCat("found '", pid.text, "', expected a process id between 1 and 4194304"));
    }
  }
  if (n >= 4) {
    return sim_trace_error(file, line_no, tokens[3].col,
                           absl::StrCat("unexpected '", tokens[3].text,
                                        "' after the process id (a comment starts with #)"));
  }
  return absl::OkStatus();
}

// libCacheSim oracleGeneral: little-endian {u32 time, u64 id, u32 size, i64 next}, 24 bytes;
// next is the 1-based number of the id's next request, -1 for none.
class SimOracleGeneralReader : public TraceReader {
 public:
  SimOracleGeneralReader(std::string name, std::unique_ptr<SimTraceInput> in)
      : TraceReader(std::move(name), TraceFormat::kOracleGeneral), in_(std::move(in)) {}
  bool next(TraceRecord* r) override {
    absl::string_view b = in_->peek(24);
    if (b.size() < 24) {
      if (!in_->error().empty())
        return fail(absl::DataLossError(absl::StrCat(name(), ": error: ", in_->error())));
      if (b.empty()) return false;
      return error(absl::StrFormat("truncated: %u of 24 bytes", b.size()));
    }
    uint32_t size;
    int64_t next;
    *r = TraceRecord{};
    std::memcpy(&r->key, b.data() + 4, 8);
    std::memcpy(&size, b.data() + 12, 4);
    std::memcpy(&next, b.data() + 16, 8);
    if (next != -1 && next <= static_cast<int64_t>(record_ + 1)) {
      return error(
          absl::StrFormat("next access %d is not a later request (expected -1 or more than %u)",
                          next, record_ + 1));
    }
    in_->skip(24);
    ++record_;
    r->size = size;
    r->next_access = next == -1 ? -1 : next - 1;
    return true;
  }

 private:
  bool error(absl::string_view what) {
    return fail(absl::InvalidArgumentError(absl::StrFormat(
        "%s: record %u (byte %u): error: %s", name(), record_ + 1, record_ * 24, what)));
  }
  std::unique_ptr<SimTraceInput> in_;
  uint64_t record_ = 0;
};

// An object id as libCacheSim reads it: a decimal number, or any string hashed when ids are
// not numbers.
bool sim_parse_obj_id(absl::string_view text, bool is_num, uint64_t* id) {
  text = absl::StripAsciiWhitespace(text);
  if (!is_num) {
    *id = absl::HashOf(text);
    return !text.empty();
  }
  return absl::SimpleAtoi(text, id);
}

// libCacheSim txt: one object id per line.
class SimTxtReader : public SimLineReader {
 public:
  SimTxtReader(std::string name, std::unique_ptr<SimTraceInput> in, bool is_num)
      : SimLineReader(std::move(name), TraceFormat::kTxt, std::move(in)), is_num_(is_num) {}
  bool next(TraceRecord* r) override {
    absl::string_view line;
    if (!next_line(&line)) return false;
    *r = TraceRecord{};
    if (!sim_parse_obj_id(line, is_num_, &r->key)) {
      return error_at(1, absl::StrCat("found '", line,
                                      "', expected an object id (a number; obj-id-is-num=0 "
                                      "takes strings)"));
    }
    return true;
  }

 private:
  bool is_num_;
};

// libCacheSim csv: the columns TraceOptions names.
class SimCsvReader : public SimLineReader {
 public:
  SimCsvReader(std::string name, std::unique_ptr<SimTraceInput> in, const TraceOptions& o)
      : SimLineReader(std::move(name), TraceFormat::kCsv, std::move(in)), o_(o) {}
  bool next(TraceRecord* r) override {
    absl::string_view line;
    if (!next_line(&line)) return false;
    if (o_.has_header && line_no_ == 1 && !next_line(&line)) return false;
    absl::string_view cols[64];
    int n = 0;
    size_t col_start[64];
    for (size_t i = 0; n < 64;) {
      const size_t j = std::min(line.find(o_.delimiter, i), line.size());
      col_start[n] = i + 1;
      cols[n++] = line.substr(i, j - i);
      if (j == line.size()) break;
      i = j + 1;
    }
    auto column = [&](int c, const char* what, absl::string_view* out) {
      if (c > n) {
        return error_at(line.size() + 1,
                        absl::StrFormat("the line has %d columns, %s is column %d", n, what, c));
      }
      *out = absl::StripAsciiWhitespace(cols[c - 1]);
      return true;
    };
    *r = TraceRecord{};
    absl::string_view v;
    if (!column(o_.obj_id_col, "obj-id-col", &v)) return false;
    if (!sim_parse_obj_id(v, o_.obj_id_is_num, &r->key)) {
      return error_at(col_start[o_.obj_id_col - 1],
                      absl::StrCat("found '", v, "' in obj-id-col ", o_.obj_id_col,
                                   ", expected an object id (obj-id-is-num=0 takes strings)"));
    }
    if (o_.obj_size_col) {
      if (!column(o_.obj_size_col, "obj-size-col", &v)) return false;
      if (!absl::SimpleAtoi(v, &r->size)) {
        return error_at(col_start[o_.obj_size_col - 1],
                        absl::StrCat("found '", v, "' in obj-size-col ", o_.obj_size_col,
                                     ", expected a size in bytes"));
      }
    }
    if (o_.op_type_col) {
      if (!column(o_.op_type_col, "op-type-col", &v)) return false;
      r->write = absl::EqualsIgnoreCase(v, "write") || absl::EqualsIgnoreCase(v, "set") ||
                 absl::EqualsIgnoreCase(v, "w");
    }
    return true;
  }

 private:
  TraceOptions o_;
};

// valgrind --tool=lackey --trace-mem=yes: ` L|S|M ADDR,SIZE` data accesses (M, a modify, is
// a write), `I  ADDR,SIZE` instruction fetches (skipped) and `==PID==` messages (skipped).
class SimLackeyReader : public SimLineReader {
 public:
  SimLackeyReader(std::string name, std::unique_ptr<SimTraceInput> in)
      : SimLineReader(std::move(name), TraceFormat::kLackey, std::move(in)) {}
  bool next(TraceRecord* r) override {
    absl::string_view line;
    while (next_line(&line)) {
      if (absl::StartsWith(line, "==") || absl::StartsWith(line, "I ")) continue;
      if (line.size() < 4 || line[0] != ' ' ||
          absl::string_view("LSM").find(line[1]) == absl::string_view::npos || line[2] != ' ') {
        return error_at(1, absl::StrCat("found '", line.substr(0, 40),
                                        "', expected a lackey access such as ' L 1ffefff8b0,8'"));
      }
      const absl::string_view rest = line.substr(3);
      const size_t comma = rest.find(',');
      *r = TraceRecord{};
      if (comma == absl::string_view::npos ||
          !absl::SimpleHexAtoi(rest.substr(0, comma), &r->key) ||
          !absl::SimpleAtoi(rest.substr(comma + 1), &r->size)) {
        return error_at(
            4, absl::StrCat("found '", rest, "', expected ADDRESS,SIZE in hex and decimal"));
      }
      if (r->key < MMAP_MIN_ADDR || r->key + r->size > TASK_SIZE) {
        return error_at(4, absl::StrFormat("address %#x is outside user space", r->key));
      }
      r->write = line[1] != 'L';
      r->is_address = true;
      return true;
    }
    return false;
  }
};

// ---- in memory ----

class SimAccessTraceReader : public TraceReader {
 public:
  explicit SimAccessTraceReader(const AccessTrace& t)
      : TraceReader(t.name, TraceFormat::kMmsim), t_(t) {}
  bool next(TraceRecord* r) override {
    if (i_ == t_.accesses.size()) return false;
    const PageAccess& a = t_.accesses[i_++];
    *r = TraceRecord{};
    r->key = a.addr;
    r->pid = a.pid;
    r->write = a.write;
    r->is_address = true;
    return true;
  }

 private:
  const AccessTrace& t_;
  size_t i_ = 0;
};

// ---- detection ----

// The format of a trace from its first bytes (decompressed), or an error saying why not.
absl::StatusOr<TraceFormat> sim_detect_trace_format(absl::string_view head, const std::string& path,
                                                    const TraceOptions& o) {
  if (head.empty()) return TraceFormat::kMmsim;  // an empty trace reads the same in any format
  if (head.find('\0') != absl::string_view::npos || absl::StrContains(path, "oracleGeneral"))
    return TraceFormat::kOracleGeneral;
  // The first line with content decides.
  for (absl::string_view line : absl::StrSplit(head, '\n')) {
    if (absl::StartsWith(line, "==") || absl::StartsWith(line, "I  ")) return TraceFormat::kLackey;
    if (line.size() > 3 && line[0] == ' ' &&
        absl::string_view("LSM").find(line[1]) != absl::string_view::npos && line[2] == ' ')
      return TraceFormat::kLackey;
    absl::string_view s = absl::StripAsciiWhitespace(line);
    if (s.empty() || s[0] == '#') continue;
    if ((s[0] == 'R' || s[0] == 'W' || s[0] == 'r' || s[0] == 'w') && s.size() > 1 &&
        (s[1] == ' ' || s[1] == '\t'))
      return TraceFormat::kMmsim;
    uint64_t id;
    if (absl::SimpleAtoi(s, &id)) return TraceFormat::kTxt;
    if (o.obj_id_col > 0 || absl::EndsWith(path, ".csv") || absl::EndsWith(path, ".csv.zst"))
      return TraceFormat::kCsv;
    break;
  }
  return absl::InvalidArgumentError(
      absl::StrCat(path,
                   ": cannot tell the trace format from its first line; name it with --format "
                   "(mmsim, oracleGeneral, txt, csv, lackey)"));
}

}  // namespace

absl::string_view trace_format_name(TraceFormat f) {
  switch (f) {
    case TraceFormat::kAuto:
      return "auto";
    case TraceFormat::kMmsim:
      return "mmsim";
    case TraceFormat::kOracleGeneral:
      return "oracleGeneral";
    case TraceFormat::kTxt:
      return "txt";
    case TraceFormat::kCsv:
      return "csv";
    case TraceFormat::kLackey:
      return "lackey";
  }
  return "?";
}

absl::StatusOr<TraceFormat> parse_trace_format(absl::string_view name) {
  for (TraceFormat f : {TraceFormat::kAuto, TraceFormat::kMmsim, TraceFormat::kOracleGeneral,
                        TraceFormat::kTxt, TraceFormat::kCsv, TraceFormat::kLackey}) {
    if (absl::EqualsIgnoreCase(name, trace_format_name(f))) return f;
  }
  return absl::InvalidArgumentError(
      absl::StrCat("unknown trace format \"", name,
                   "\"; formats: auto, mmsim, oracleGeneral, txt, csv, lackey"));
}

absl::Status parse_trace_type_params(absl::string_view params, TraceOptions* o) {
  // "delimiter=," holds the separator itself: split on the commas that start a new key.
  std::vector<std::string> items;
  for (absl::string_view part : absl::StrSplit(params, ',')) {
    if (!items.empty() && (part.empty() || absl::EndsWith(items.back(), "delimiter="))) {
      absl::StrAppend(&items.back(), ",", part);
    } else {
      items.emplace_back(absl::StripAsciiWhitespace(part));
    }
  }
  for (const std::string& item : items) {
    if (item.empty()) continue;
    const size_t eq = item.find('=');
    const std::string key = item.substr(0, eq);
    const std::string value = eq == std::string::npos ? "" : item.substr(eq + 1);
    auto number = [&](int* field) {
      if (!absl::SimpleAtoi(value, field) || *field < 1 || *field > 64) {
        return absl::InvalidArgumentError(
            absl::StrCat("trace option ", key, "=", value, ": expected a column from 1 to 64"));
      }
      return absl::OkStatus();
    };
    auto boolean = [&](bool* field) {
      if (value == "true" || value == "1" || value == "yes") {
        *field = true;
      } else if (value == "false" || value == "0" || value == "no") {
        *field = false;
      } else {
        return absl::InvalidArgumentError(
            absl::StrCat("trace option ", key, "=", value, ": expected true or false"));
      }
      return absl::OkStatus();
    };
    absl::Status s;
    if (key == "time-col") {
      s = number(&o->time_col);
    } else if (key == "obj-id-col") {
      s = number(&o->obj_id_col);
    } else if (key == "obj-size-col") {
      s = number(&o->obj_size_col);
    } else if (key == "op-type-col") {
      s = number(&o->op_type_col);
    } else if (key == "has-header") {
      s = boolean(&o->has_header);
    } else if (key == "obj-id-is-num") {
      s = boolean(&o->obj_id_is_num);
    } else if (key == "delimiter") {
      if (value == "\\t" || value == "tab") {
        o->delimiter = '\t';
      } else if (value.size() == 1) {
        o->delimiter = value[0];
      } else {
        s = absl::InvalidArgumentError(
            absl::StrCat("trace option delimiter=", value, ": expected one character"));
      }
    } else {
      s = absl::InvalidArgumentError(
          absl::StrCat("unknown trace option \"", key,
                       "\"; options: time-col, obj-id-col, obj-size-col, op-type-col, has-header, "
                       "delimiter, obj-id-is-num"));
    }
    if (!s.ok()) return s;
  }
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<TraceReader>> open_trace(const std::string& path,
                                                        const TraceOptions& options) {
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (!f) return absl::NotFoundError(absl::StrCat(path, ": cannot open the trace file"));
  unsigned char magic[4] = {0, 0, 0, 0};
  const size_t got = std::fread(magic, 1, 4, f);
  std::rewind(f);
  const bool zstd =
      got == 4 && magic[0] == 0x28 && magic[1] == 0xb5 && magic[2] == 0x2f && magic[3] == 0xfd;
  std::unique_ptr<SimTraceBytes> bytes =
      zstd ? std::make_unique<SimZstdBytes>(f) : std::make_unique<SimTraceBytes>(f);
  auto in = std::make_unique<SimTraceInput>(std::move(bytes));
  TraceFormat format = options.format;
  if (format == TraceFormat::kAuto) {
    absl::StatusOr<TraceFormat> d = sim_detect_trace_format(in->peek(4096), path, options);
    if (!d.ok()) return d.status();
    format = *d;
  }
  if (!in->error().empty())
    return absl::DataLossError(absl::StrCat(path, ": error: ", in->error()));
  switch (format) {
    case TraceFormat::kOracleGeneral:
      return std::make_unique<SimOracleGeneralReader>(path, std::move(in));
    case TraceFormat::kTxt:
      return std::make_unique<SimTxtReader>(path, std::move(in), options.obj_id_is_num);
    case TraceFormat::kCsv:
      if (options.obj_id_col < 1) {
        return absl::InvalidArgumentError(absl::StrCat(
            path, ": a csv trace needs its object id column: obj-id-col=N (--trace-type-params)"));
      }
      return std::make_unique<SimCsvReader>(path, std::move(in), options);
    case TraceFormat::kLackey:
      return std::make_unique<SimLackeyReader>(path, std::move(in));
    case TraceFormat::kMmsim:
    case TraceFormat::kAuto:
      break;
  }
  return std::make_unique<SimMmsimReader>(path, TraceFormat::kMmsim, std::move(in));
}

std::unique_ptr<TraceReader> access_trace_reader(const AccessTrace& trace) {
  return std::make_unique<SimAccessTraceReader>(trace);
}

// ---- whole traces in memory (synthetic workloads, tests) ----

absl::StatusOr<AccessTrace> parse_access_trace(absl::string_view text, absl::string_view file) {
  AccessTrace trace;
  trace.name = std::string(file);
  size_t line_no = 0;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    ++line_no;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    PageAccess a;
    bool empty;
    if (absl::Status s = SimMmsimReader::sim_parse_access_line(line, file, line_no, &a, &empty);
        !s.ok())
      return s;
    if (!empty) trace.accesses.push_back(a);
  }
  return trace;
}

absl::StatusOr<AccessTrace> read_access_trace(const std::string& path) {
  TraceOptions o;
  o.format = TraceFormat::kMmsim;
  absl::StatusOr<std::unique_ptr<TraceReader>> r = open_trace(path, o);
  if (!r.ok()) return r.status();
  AccessTrace trace;
  trace.name = path;
  TraceRecord rec;
  while ((*r)->next(&rec)) trace.accesses.push_back({rec.key, rec.pid, rec.write});
  if (!(*r)->status().ok()) return (*r)->status();
  return trace;
}

std::string format_access_trace(const AccessTrace& trace, absl::string_view header) {
  std::string out;
  for (absl::string_view line : absl::StrSplit(header, '\n', absl::SkipEmpty()))
    absl::StrAppend(&out, "# ", line, "\n");
  for (const PageAccess& a : trace.accesses) {
    if (a.pid == 1) {
      absl::StrAppendFormat(&out, "%c %#x\n", a.write ? 'W' : 'R', a.addr);
    } else {
      absl::StrAppendFormat(&out, "%c %#x %u\n", a.write ? 'W' : 'R', a.addr, a.pid);
    }
  }
  return out;
}

}  // namespace mmsim
