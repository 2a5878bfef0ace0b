// footprint: host memory per simulated page. One task touches 16 M pages (64 GiB simulated)
// of anonymous memory; the last line is
//   footprint: pages=<n> host_bytes=<peak RSS> bytes_per_page=<ratio>
// Target (issue 3): at most 48 bytes of host memory per simulated page.
//   build/bench/footprint [pages]
#include <sys/resource.h>

#include <cstdio>
#include <cstdlib>

#include "mmsim/syscalls.h"

using namespace mmsim;

int main(int argc, char** argv) {
  const uint64_t pages = argc > 1 ? std::strtoull(argv[1], nullptr, 0) : (uint64_t{1} << 24);
  MachineConfig c;
  c.ram_pages = pages + (pages >> 4) + 4096;  // room for all of it: no reclaim
  Machine m(c);
  Task& t = m.spawn("footprint", Image::kEmpty);
  const long p = sys_mmap(t, 0, pages * PAGE_SIZE, PROT_READ | PROT_WRITE,
                          MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (p < 0) {
    std::fprintf(stderr, "mmap failed: %ld\n", p);
    return 1;
  }
  if (long r = user_access(t, static_cast<uint64_t>(p), pages * PAGE_SIZE, true); r != 0) {
    std::fprintf(stderr, "touch failed: %ld\n", r);
    return 1;
  }
  const uint64_t resident = static_cast<uint64_t>(t.mm->rss_stat[MM_ANONPAGES]);
  if (resident != pages) {
    std::fprintf(stderr, "only %lu of %lu pages resident\n", resident, pages);
    return 1;
  }
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  const uint64_t host_bytes = static_cast<uint64_t>(ru.ru_maxrss) * 1024;
  std::printf("footprint: pages=%lu host_bytes=%lu bytes_per_page=%.1f\n", pages, host_bytes,
              static_cast<double>(host_bytes) / static_cast<double>(pages));
  return 0;
}
