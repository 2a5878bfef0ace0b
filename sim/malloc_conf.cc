// The allocator of mmsim's programs (the `mmsim` command and the benchmarks): jemalloc, with
// its arenas and metadata on transparent huge pages (madvise(MADV_HUGEPAGE)). The model's
// tables (VMAs, btree nodes, folios, page-table leaves, anon_vma sets) are reached at random
// addresses, so with 4 KiB host pages most look-ups also miss the TLB, and on a virtual
// machine (nested paging) that walk costs as much as the cache miss. Measured with
// build/bench/vs_kernel --only sim: about 30% faster on both streams (docs/performance.md).
// Not linked into sanitizer builds (ASan brings its own allocator) or the host server.
extern "C" {
// Read by jemalloc when it initialises (jemalloc's compile-time configuration string).
extern const char* malloc_conf;
const char* malloc_conf = "thp:always,metadata_thp:always";
}
