// Tests of the trace readers and the replay behind the policy benchmark
// (include/mmsim/access_trace.h, sim/trace_reader.cc, sim/access_trace.cc): every format, a
// malformed record of each, zstd, the cache-study machine, and what the replay counts.
#include "mmsim/access_trace.h"

#include <gtest/gtest.h>
#include <unistd.h>
#include <zstd.h>

#include <cstdio>
#include <cstring>
#include <fstream>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "mmsim/machine.h"

namespace mmsim {
namespace {

constexpr uint64_t P = PAGE_SIZE;

std::string TempPath(const std::string& name) {
  return absl::StrCat(::testing::TempDir(), "/access_trace_test_", getpid(), "_", name);
}

std::string WriteTemp(const std::string& name, const std::string& bytes) {
  const std::string path = TempPath(name);
  std::ofstream(path, std::ios::binary) << bytes;
  return path;
}

std::string OracleRecord(uint32_t time, uint64_t id, uint32_t size, int64_t next) {
  char b[24];
  std::memcpy(b, &time, 4);
  std::memcpy(b + 4, &id, 8);
  std::memcpy(b + 12, &size, 4);
  std::memcpy(b + 16, &next, 8);
  return std::string(b, 24);
}

std::string Zstd(const std::string& raw) {
  std::string out(ZSTD_compressBound(raw.size()), '\0');
  const size_t n = ZSTD_compress(out.data(), out.size(), raw.data(), raw.size(), 3);
  EXPECT_FALSE(ZSTD_isError(n));
  out.resize(n);
  return out;
}

// Every record of a file, or the reader's error.
absl::StatusOr<std::vector<TraceRecord>> ReadAll(const std::string& path,
                                                 const TraceOptions& o = {},
                                                 TraceFormat* format = nullptr) {
  auto r = open_trace(path, o);
  if (!r.ok()) return r.status();
  if (format) *format = (*r)->format();
  std::vector<TraceRecord> out;
  TraceRecord rec;
  while ((*r)->next(&rec)) out.push_back(rec);
  if (!(*r)->status().ok()) return (*r)->status();
  return out;
}

std::string ErrorOf(const std::string& path, const TraceOptions& o = {}) {
  auto r = ReadAll(path, o);
  EXPECT_FALSE(r.ok());
  return r.ok() ? "" : std::string(r.status().message());
}

// ---- formats ----

TEST(TraceReader, OracleGeneralRecordsAndNextAccess) {
  // Requests: ids 7, 8, 7; next access is 1-based in the file, 0-based in the record.
  const std::string path =
      WriteTemp("a.oracleGeneral.bin", OracleRecord(1, 7, 4096, 3) + OracleRecord(2, 8, 10000, -1) +
                                           OracleRecord(3, 7, 4096, -1));
  TraceFormat f;
  auto recs = ReadAll(path, {}, &f);
  ASSERT_TRUE(recs.ok()) << recs.status();
  EXPECT_EQ(f, TraceFormat::kOracleGeneral);
  ASSERT_EQ(recs->size(), 3u);
  EXPECT_EQ((*recs)[0].key, 7u);
  EXPECT_EQ((*recs)[0].next_access, 2);
  EXPECT_FALSE((*recs)[0].is_address);
  EXPECT_EQ((*recs)[1].size, 10000u);
  EXPECT_EQ((*recs)[1].next_access, -1);
}

TEST(TraceReader, OracleGeneralMalformedRecordsNameFileRecordAndWhat) {
  const std::string good = OracleRecord(1, 7, 4096, -1);
  const std::string truncated = WriteTemp("t.oracleGeneral.bin", good + good + good.substr(0, 10));
  EXPECT_EQ(ErrorOf(truncated),
            absl::StrCat(truncated, ": record 3 (byte 48): error: truncated: 10 of 24 bytes"));
  const std::string backwards =
      WriteTemp("b.oracleGeneral.bin", good + OracleRecord(2, 7, 4096, 1));
  EXPECT_EQ(ErrorOf(backwards),
            absl::StrCat(backwards,
                         ": record 2 (byte 24): error: next access 1 is not a later request "
                         "(expected -1 or more than 2)"));
}

TEST(TraceReader, TxtIdsAndAMalformedLine) {
  const std::string path = WriteTemp("a.txt", "5\n\n6\r\n5\n");
  TraceFormat f;
  auto recs = ReadAll(path, {}, &f);
  ASSERT_TRUE(recs.ok()) << recs.status();
  EXPECT_EQ(f, TraceFormat::kTxt);
  ASSERT_EQ(recs->size(), 3u);
  EXPECT_EQ((*recs)[1].key, 6u);
  const std::string bad = WriteTemp("bad.txt", "5\nfive\n");
  EXPECT_EQ(ErrorOf(bad), absl::StrCat(bad,
                                       ":2:1: error: found 'five', expected an object id (a "
                                       "number; obj-id-is-num=0 takes strings)"));
  TraceOptions strings;
  strings.format = TraceFormat::kTxt;
  strings.obj_id_is_num = false;
  auto hashed = ReadAll(bad, strings);
  ASSERT_TRUE(hashed.ok()) << hashed.status();
  EXPECT_EQ(hashed->size(), 2u);
}

TEST(TraceReader, CsvColumnsAsLibCacheSimNamesThem) {
  TraceOptions o;
  ASSERT_TRUE(parse_trace_type_params(
                  "time-col=1,obj-id-col=3, obj-size-col=4,op-type-col=2,has-header=true,"
                  "delimiter=;",
                  &o)
                  .ok());
  EXPECT_EQ(o.obj_id_col, 3);
  EXPECT_EQ(o.delimiter, ';');
  const std::string path = WriteTemp("a.csv", "time;op;id;size\n10;get;42;8192\n11;SET;43;100\n");
  TraceFormat f;
  auto recs = ReadAll(path, o, &f);
  ASSERT_TRUE(recs.ok()) << recs.status();
  EXPECT_EQ(f, TraceFormat::kCsv);
  ASSERT_EQ(recs->size(), 2u);
  EXPECT_EQ((*recs)[0].key, 42u);
  EXPECT_EQ((*recs)[0].size, 8192u);
  EXPECT_FALSE((*recs)[0].write);
  EXPECT_TRUE((*recs)[1].write);

  const std::string short_line = WriteTemp("short.csv", "time;op;id;size\n10;get;42\n");
  EXPECT_EQ(ErrorOf(short_line, o),
            absl::StrCat(short_line,
                         ":2:10: error: the line has 3 columns, obj-size-col is "
                         "column 4"));
  const std::string bad_size = WriteTemp("size.csv", "time;op;id;size\n10;get;42;big\n");
  EXPECT_EQ(ErrorOf(bad_size, o),
            absl::StrCat(bad_size,
                         ":2:11: error: found 'big' in obj-size-col 4, expected a "
                         "size in bytes"));
  // A comma delimiter is written "delimiter=,".
  TraceOptions comma;
  ASSERT_TRUE(parse_trace_type_params("delimiter=,,obj-id-col=2", &comma).ok());
  EXPECT_EQ(comma.delimiter, ',');
  EXPECT_EQ(comma.obj_id_col, 2);
  EXPECT_FALSE(parse_trace_type_params("obj-col=2", &comma).ok());
  // Without the id column a csv cannot be read.
  EXPECT_TRUE(absl::StrContains(ErrorOf(path), "a csv trace needs its object id column"));
}

TEST(TraceReader, LackeyDataAccessesOnly) {
  const std::string path = WriteTemp("a.lackey",
                                     "==123== Lackey, an example Valgrind tool\n"
                                     "I  04010173,3\n"
                                     " S 1ffefff8b0,8\n"
                                     " L 04a3c0ff,4\n"
                                     " M 1ffefff8b0,8\n");
  TraceFormat f;
  auto recs = ReadAll(path, {}, &f);
  ASSERT_TRUE(recs.ok()) << recs.status();
  EXPECT_EQ(f, TraceFormat::kLackey);
  ASSERT_EQ(recs->size(), 3u);
  EXPECT_EQ((*recs)[0].key, 0x1ffefff8b0u);
  EXPECT_TRUE((*recs)[0].write);
  EXPECT_FALSE((*recs)[1].write);
  EXPECT_EQ((*recs)[1].size, 4u);  // crosses into the next page: the replay touches both
  EXPECT_TRUE((*recs)[2].write);
  const std::string bad = WriteTemp("bad.lackey", " L 1000,4\nhello from the program\n");
  EXPECT_EQ(ErrorOf(bad), absl::StrCat(bad,
                                       ":2:1: error: found 'hello from the program', expected "
                                       "a lackey access such as ' L 1ffefff8b0,8'"));
}

TEST(TraceReader, MmsimTextStreamsAsItParses) {
  const std::string text = "# t\nR 0x7f0000001000\nW 0x7f0000002000 3\n";
  const std::string path = WriteTemp("a.trace", text);
  TraceFormat f;
  auto recs = ReadAll(path, {}, &f);
  ASSERT_TRUE(recs.ok()) << recs.status();
  EXPECT_EQ(f, TraceFormat::kMmsim);
  ASSERT_EQ(recs->size(), 2u);
  EXPECT_TRUE((*recs)[0].is_address);
  EXPECT_EQ((*recs)[1].pid, 3u);
  const std::string bad = WriteTemp("bad.trace", "R 0x1000\nX 0x1000\n");
  EXPECT_EQ(ErrorOf(bad), absl::StrCat(bad, ":2:1: error: found 'X', expected R or W"));
}

TEST(TraceReader, ZstdOfEveryFormat) {
  const std::string og = OracleRecord(1, 7, 4096, -1) + OracleRecord(2, 9, 4096, -1);
  struct Case {
    const char* name;
    std::string raw;
    TraceFormat format;
  } cases[] = {{"z.oracleGeneral.bin.zst", og, TraceFormat::kOracleGeneral},
               {"z.txt.zst", "7\n9\n", TraceFormat::kTxt},
               {"z.trace.zst", "W 0x7f0000001000\nR 0x7f0000002000\n", TraceFormat::kMmsim},
               {"z.lackey.zst", " L 1000,4\n S 2000,8\n", TraceFormat::kLackey}};
  for (const Case& c : cases) {
    const std::string path = WriteTemp(c.name, Zstd(c.raw));
    TraceFormat f;
    auto recs = ReadAll(path, {}, &f);
    ASSERT_TRUE(recs.ok()) << c.name << ": " << recs.status();
    EXPECT_EQ(f, c.format) << c.name;
    EXPECT_EQ(recs->size(), 2u) << c.name;
  }
  // A truncated stream is an error, not a short trace.
  std::string lines;
  for (int i = 0; i < 20000; ++i) lines += "7\n";
  const std::string z = Zstd(lines);
  const std::string cut = WriteTemp("cut.txt.zst", z.substr(0, z.size() - 4));
  TraceOptions txt;
  txt.format = TraceFormat::kTxt;
  EXPECT_TRUE(absl::StrContains(ErrorOf(cut, txt), "error: the zstd stream ends inside a frame"))
      << ErrorOf(cut, txt);
}

TEST(TraceReader, LinesAcrossTheBufferAndNoMemoryGrowth) {
  // 3 MB of text: three refills of the 1 MiB buffer, lines cut at every boundary.
  std::string text;
  for (int i = 0; i < 400000; ++i) absl::StrAppend(&text, 1000000 + i, "\n");
  const std::string path = WriteTemp("long.txt", text);
  auto r = open_trace(path, {});
  ASSERT_TRUE(r.ok()) << r.status();
  TraceRecord rec;
  uint64_t n = 0;
  bool in_order = true;
  while ((*r)->next(&rec)) in_order &= rec.key == 1000000 + n++;
  EXPECT_TRUE((*r)->status().ok()) << (*r)->status();
  EXPECT_EQ(n, 400000u);
  EXPECT_TRUE(in_order);
}

TEST(TraceReader, FormatNamesAndAmbiguity) {
  EXPECT_EQ(*parse_trace_format("oracleGeneral"), TraceFormat::kOracleGeneral);
  EXPECT_EQ(*parse_trace_format("CSV"), TraceFormat::kCsv);
  EXPECT_FALSE(parse_trace_format("vscsi").ok());
  const std::string path = WriteTemp("what", "a,b,c\n");
  EXPECT_EQ(ErrorOf(path), absl::StrCat(path,
                                        ": cannot tell the trace format from its first line; "
                                        "name it with --format (mmsim, oracleGeneral, txt, "
                                        "csv, lackey)"));
  EXPECT_EQ(open_trace("/nonexistent/t", {}).status().code(), absl::StatusCode::kNotFound);
}

// ---- the cache-study machine ----

TEST(CacheMachine, RamFromTheKernelsWatermarks) {
  for (uint64_t cache : {100u, 1000u, 10000u, 76310u, 300000u}) {
    const CacheMachine cm = cache_machine_for(cache);
    MachineConfig c;
    c.ram_pages = cm.ram_pages;
    Machine m(c);
    EXPECT_EQ(cm.wmark_min, m.wmark_min) << cache;
    EXPECT_EQ(cm.wmark_low, m.wmark_low) << cache;
    EXPECT_EQ(cm.wmark_high, m.wmark_high) << cache;
    EXPECT_GE(cm.ram_pages - m.wmark_high, cache);  // enough
    c.ram_pages = cm.ram_pages - 1;
    Machine smaller(c);
    EXPECT_LT(c.ram_pages - smaller.wmark_high, cache);  // and no more
  }
}

// ---- the replay ----

TraceOpener FileOpener(const std::string& path, TraceOptions o = {}) {
  return [path, o]() { return open_trace(path, o); };
}

ReplayConfig CacheStudy(uint64_t cache_pages, const std::string& policy) {
  ReplayConfig rc;
  rc.policy = policy;
  rc.ram_pages = cache_machine_for(cache_pages).ram_pages;
  rc.locked_pages = 0;
  rc.swap_pages = 1024;  // grows
  rc.grow_swap = true;
  return rc;
}

TEST(Replay, ReadsAllocateMakesAReadOnlyTraceMiss) {
  // Two read passes over 2000 pages with memory for about 1000.
  AccessTrace t;
  t.name = "reads";
  for (int pass = 0; pass < 2; ++pass)
    for (uint64_t i = 0; i < 2000; ++i) t.accesses.push_back({0x7f0000000000 + i * P, 1, false});
  ReplayConfig rc = CacheStudy(1000, "lru");
  auto zero = replay_access_trace(t, rc);
  ASSERT_TRUE(zero.ok()) << zero.status();
  EXPECT_EQ(zero->misses, 2000u);  // the first touches map the zero page; then all hit
  EXPECT_EQ(zero->resident_pages, 0u);
  rc.reads_allocate = true;
  auto alloc = replay_access_trace(t, rc);
  ASSERT_TRUE(alloc.ok()) << alloc.status();
  EXPECT_EQ(alloc->misses, 4000u);  // LRU on a loop twice the cache: every access misses
  EXPECT_GE(alloc->resident_pages, 1000u);
  EXPECT_LE(alloc->resident_pages, 1100u);
  EXPECT_GT(alloc->major_faults, 0u);
}

TEST(Replay, WarmupLimitIntervalAndObjectSpans) {
  // ids 1..4, sizes 1, 2 and 3 pages; each id twice.
  std::string og;
  const uint32_t sizes[] = {4096, 8192, 12288, 100};
  for (int pass = 0; pass < 2; ++pass)
    for (uint64_t id = 1; id <= 4; ++id) og += OracleRecord(1, id, sizes[id - 1], -1);
  const std::string path = WriteTemp("spans.oracleGeneral.bin", og + og);  // 16 requests
  ReplayConfig rc = CacheStudy(1000, "linux");
  auto all = replay_trace(FileOpener(path), rc);
  ASSERT_TRUE(all.ok()) << all.status();
  EXPECT_EQ(all->requests, 16u);
  EXPECT_EQ(all->misses, 4u);             // first touches only: everything fits
  EXPECT_EQ(all->page_accesses, 4u * 7);  // 1 + 2 + 3 + 1 pages, four times
  EXPECT_EQ(all->page_misses, 7u);
  EXPECT_EQ(all->resident_pages, 7u);  // ids became pages: read, yet allocated
  rc.warmup = 4;
  rc.limit = 12;
  rc.interval = 4;
  auto part = replay_trace(FileOpener(path), rc);
  ASSERT_TRUE(part.ok()) << part.status();
  EXPECT_EQ(part->accesses, 12u);
  EXPECT_EQ(part->requests, 8u);
  EXPECT_EQ(part->misses, 0u);
  EXPECT_EQ(part->interval_miss_ratios, (std::vector<double>{0, 0}));
  rc = CacheStudy(1000, "linux");
  rc.ignore_obj_size = true;
  auto one = replay_trace(FileOpener(path), rc);
  ASSERT_TRUE(one.ok()) << one.status();
  EXPECT_EQ(one->resident_pages, 4u);
  rc.id_map = ReplayConfig::IdMap::kHash;
  auto hashed = replay_trace(FileOpener(path), rc);
  ASSERT_TRUE(hashed.ok()) << hashed.status();
  EXPECT_EQ(hashed->misses, 4u);
}

TEST(Replay, MalformedRecordAndSetUpErrors) {
  const std::string bad = WriteTemp("bad2.txt", "1\n2\nthree\n");
  auto r = replay_trace(FileOpener(bad), CacheStudy(1000, "lru"));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(),
            absl::StrCat(bad,
                         ":3:1: error: found 'three', expected an object id (a number; "
                         "obj-id-is-num=0 takes strings)"));
  // Anonymous pages cannot leave a machine without swap: the set-up is at fault.
  AccessTrace t;
  t.name = "big";
  for (uint64_t i = 0; i < 2000; ++i) t.accesses.push_back({0x7f0000000000 + i * P, 1, true});
  ReplayConfig rc;
  rc.ram_pages = 1024;
  rc.swap_pages = 0;
  rc.locked_pages = 0;
  auto no_swap = replay_access_trace(t, rc);
  ASSERT_FALSE(no_swap.ok());
  EXPECT_TRUE(absl::StartsWith(no_swap.status().message(),
                               "the set-up (ram 1024 pages, swap 0 pages, locked 0 pages) "
                               "cannot hold big: "))
      << no_swap.status();
  rc.swap_pages = 4096;
  rc.locked_pages = 1000;
  auto locked = replay_access_trace(t, rc);
  ASSERT_FALSE(locked.ok());
  EXPECT_TRUE(absl::StrContains(locked.status().message(), "leave no evictable memory"));
}

TEST(Replay, SwapGrowsWithWhatTheTraceSwaps) {
  // 20,000 distinct pages written through a cache of 1,000, swap starting at 1,024.
  AccessTrace t;
  t.name = "grow";
  for (uint64_t i = 0; i < 20000; ++i) t.accesses.push_back({0x7f0000000000 + i * P, 1, true});
  auto r = replay_access_trace(t, CacheStudy(1000, "fifo"));
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_GE(r->swap_pages, 19000u);
  EXPECT_EQ(r->misses, 20000u);
}

// The real block-I/O trace in ../shared/traces, when this machine has it.
TEST(Replay, CloudPhysicsOracleGeneralPrefix) {
  const std::string path = "/work/shared/traces/cloudPhysicsIO.oracleGeneral.bin";
  if (access(path.c_str(), R_OK) != 0) GTEST_SKIP() << path << " is not on this machine";
  auto first = ReadAll(path);
  ASSERT_TRUE(first.ok()) << first.status();
  ASSERT_EQ(first->size(), 113872u);
  EXPECT_EQ((*first)[0].key, 42932745u);
  EXPECT_EQ((*first)[0].size, 512u);
  ReplayConfig rc = CacheStudy(2000, "lru");
  rc.limit = 20000;
  rc.ignore_obj_size = true;
  double lru = 0;
  for (const char* policy : {"lru", "opt"}) {
    rc.policy = policy;
    auto r = replay_trace(FileOpener(path), rc);
    ASSERT_TRUE(r.ok()) << policy << ": " << r.status();
    EXPECT_EQ(r->requests, 20000u);
    EXPECT_GT(r->miss_ratio(), 0.05) << policy;
    EXPECT_LT(r->miss_ratio(), 0.95) << policy;
    if (rc.policy == "lru") {
      lru = r->miss_ratio();
    } else {
      EXPECT_LT(r->miss_ratio(), lru);
    }
  }
}

}  // namespace
}  // namespace mmsim
