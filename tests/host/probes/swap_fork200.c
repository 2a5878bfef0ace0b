/* One swapped-out page shared by 200 forked children (swap_map count past SWAP_MAP_MAX into
   a continuation page on the kernel): every child sees the same swap entry, SwapFree does not
   move, and the slot is freed when the parent unmaps after the children exit.
   Run as root with SWAPFILE=<path of an enabled, empty swap file>. */
#include <sched.h>

#include "probe.h"

int main(void) {
  char *p = mmap(NULL, P, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  touch(p, 1);
  drain();
  madvise(p, P, MADV_PAGEOUT);
  uint64_t e = pagemap(p);
  long f0 = meminfo("SwapFree");
  printf("parent: swapped=%d offset=%lu\n", (int)(e >> 62 & 1), (unsigned long)(e >> 5) & 0xffffff);
  int go[2], rep[2];
  pipe(go);
  pipe(rep);
  for (int i = 0; i < 200; i++) {
    if (fork() == 0) {
      uint64_t c = pagemap(p);
      char ok = (c == e) ? 'y' : 'n';
      write(rep[1], &ok, 1);
      char b;
      read(go[0], &b, 1);
      _exit(0);
    }
  }
  int same = 0;
  for (int i = 0; i < 200; i++) {
    char b;
    read(rep[0], &b, 1);
    same += b == 'y';
  }
  printf("children with the parent's swap entry: %d/200, SwapFree delta %ld kB\n", same,
         meminfo("SwapFree") - f0);
  for (int i = 0; i < 200; i++) write(go[1], "x", 1);
  while (wait(NULL) > 0) {
  }
  printf("after exits: parent still swapped=%d, SwapFree delta %ld kB\n",
         (int)(pagemap(p) >> 62 & 1), meminfo("SwapFree") - f0);
  munmap(p, P);
  printf("after munmap: SwapFree delta %ld kB\n", meminfo("SwapFree") - f0);
  return 0;
}
