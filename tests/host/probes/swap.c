/* Swap on the host: MADV_PAGEOUT to a fresh swap file, pagemap swap entries, fork sharing a
   slot, SwapFree, swap-in, swapoff. Run as root with SWAPFILE=<path of an enabled, empty swap
   file> (run_all.sh creates it with dd + mkswap + swapon and removes it afterwards). */
#define _GNU_SOURCE /* CPU_ZERO: before any system header */
#include <sched.h>
#include <sys/swap.h>

#include "probe.h"

static void pe(const char *label, void *va) {
  uint64_t e = pagemap(va);
  if (e >> 62 & 1)
    printf("    %s: swapped type=%lu offset=%lu\n", label, (unsigned long)(e & 31),
           (unsigned long)((e >> 5) & ((1UL << 50) - 1)));
  else
    pflags(label, va);
}

int main(void) {
  cpu_set_t set;
  CPU_ZERO(&set);
  CPU_SET(0, &set);
  sched_setaffinity(0, sizeof set, &set);
  const char *sf = getenv("SWAPFILE");
  if (!sf) {
    printf("SWAPFILE not set\n");
    return 1;
  }
  long free0 = meminfo("SwapFree");
  printf("SwapTotal=%ld SwapFree=%ld\n", meminfo("SwapTotal"), free0);
  char *p = mmap(NULL, 4 * P, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  touch(p, 4);
  drain();
  R(madvise(p, 4 * P, MADV_PAGEOUT));
  printf("pageout 4 written pages -> %ld\n", r_ret);
  for (int i = 0; i < 4; i++) {
    char l[16];
    sprintf(l, "p+%dP", i);
    pe(l, p + i * P);
  }
  fflush(stdout);
  printf("SwapCached %ld kB\n", meminfo("SwapCached"));
  printf("SwapFree delta %ld kB, VmSwap %ld kB, VmRSS %ld kB\n", meminfo("SwapFree") - free0,
         status_kb("VmSwap"), status_kb("VmRSS"));
  long free1 = meminfo("SwapFree");
  fflush(stdout);
  pid_t c = fork();
  if (c == 0) {
    printf("child: SwapFree delta after fork %ld kB, VmSwap %ld kB\n", meminfo("SwapFree") - free1,
           status_kb("VmSwap"));
    pe("child p", p);
    (void)((volatile char *)p)[0]; /* swap-in read in the child */
    pe("child p after read", p);
    ((volatile char *)p)[P] = 2; /* write fault on swap entry shared with the parent */
    pe("child p+1P after write", p + P);
    printf("child: SwapFree delta %ld kB VmSwap %ld\n", meminfo("SwapFree") - free1,
           status_kb("VmSwap"));
    fflush(stdout);
    _exit(0);
  }
  waitpid(c, NULL, 0);
  printf("parent after child exit: SwapFree delta %ld kB VmSwap %ld kB\n",
         meminfo("SwapFree") - free1, status_kb("VmSwap"));
  pe("parent p", p);
  pe("parent p+1P", p + P);
  /* locked page: PAGEOUT refused */
  char *q = mmap(NULL, 2 * P, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  mlock(q, 2 * P);
  R(madvise(q, 2 * P, MADV_PAGEOUT));
  printf("pageout locked -> %ld %s\n", r_ret, r_ret ? strerror(r_err) : "");
  pe("q", q);
  /* mlock of a swapped-out range swaps it back in */
  R(mlock(p + 2 * P, P));
  printf("mlock of swapped page -> %ld\n", r_ret);
  pe("p+2P after mlock", p + 2 * P);
  printf("VmSwap %ld kB\n", status_kb("VmSwap"));
  /* swapoff brings the remaining page back */
  R(swapoff(sf));
  printf("swapoff -> %ld %s\n", r_ret, r_ret ? strerror(r_err) : "");
  pe("p+3P after swapoff", p + 3 * P);
  printf("VmSwap %ld kB SwapTotal %ld\n", status_kb("VmSwap"), meminfo("SwapTotal"));
  R(swapon(sf, 0));
  printf("swapon again -> %ld\n", r_ret);
  /* munmap frees slots */
  touch(q + 0, 0);
  char *z = mmap(NULL, 2 * P, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  touch(z, 2);
  drain();
  long f2 = meminfo("SwapFree");
  madvise(z, 2 * P, MADV_PAGEOUT);
  pe("z", z);
  pe("z+1P", z + P);
  printf("SwapFree delta %ld kB\n", meminfo("SwapFree") - f2);
  munmap(z, 2 * P);
  printf("after munmap SwapFree delta %ld kB SwapCached %ld kB\n", meminfo("SwapFree") - f2,
         meminfo("SwapCached"));
  sleep(1);
  printf("1 s later SwapFree delta %ld kB SwapCached %ld kB\n", meminfo("SwapFree") - f2,
         meminfo("SwapCached"));
  /* read fault on never-written memory then pageout: zero page is not swapped */
  char *r = mmap(NULL, P, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  readpg(r, 1);
  R(madvise(r, P, MADV_PAGEOUT));
  pe("zero-page r after pageout", r);
  return 0;
}
