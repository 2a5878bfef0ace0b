/* Reclaim and VM_LOCKED on the host: a locked parent mapping shared with an unlocked child
   (fork) stays resident and mlocked while memory-cgroup pressure swaps the child's unlocked
   memory out. Run as root with SWAPFILE=<an enabled swap file>; uses the cgroup v1 memory
   controller (group /sys/fs/cgroup/memory/mmsim-probe, removed afterwards). */
#include "probe.h"
#include <sched.h>

#define CG "/sys/fs/cgroup/memory/mmsim-probe"
static void put(const char *file, const char *v) {
  char path[256];
  snprintf(path, sizeof path, CG "/%s", file);
  FILE *f = fopen(path, "w");
  if (!f) {
    printf("cannot open %s\n", path);
    return;
  }
  fputs(v, f);
  fclose(f);
}
static int swapped(void *va) { return (int)(pagemap(va) >> 62 & 1); }
static int present(void *va) { return (int)(pagemap(va) >> 63 & 1); }

int main(void) {
  mkdir(CG, 0755);
  char pid[32];
  snprintf(pid, sizeof pid, "%d", getpid());
  put("cgroup.procs", pid);
  char *p = mmap(NULL, 4 * P, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  mlock(p, 4 * P);
  int go[2], done[2];
  pipe(go);
  pipe(done);
  fflush(stdout);
  pid_t c = fork();
  if (c == 0) {
    unsigned long n = 64UL << 20;
    char *q = mmap(NULL, n, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    touch(q, n / P);
    write(done[1], "r", 1);
    char b;
    read(go[0], &b, 1);
    int sw = 0;
    for (unsigned long i = 0; i < n / P; i++) sw += swapped(q + i * P);
    printf("child: unlocked pages swapped %d of %lu\n", sw, n / P);
    for (int i = 0; i < 4; i++) {
      char l[32];
      sprintf(l, "child p+%dP", i);
      pflags(l, p + i * P);
    }
    fflush(stdout);
    _exit(0);
  }
  char b;
  read(done[0], &b, 1);
  put("memory.limit_in_bytes", "16M"); /* pressure: the child's 64 MiB must mostly go */
  write(go[1], "x", 1);
  waitpid(c, NULL, 0);
  for (int i = 0; i < 4; i++) {
    char l[32];
    sprintf(l, "parent p+%dP", i);
    pflags(l, p + i * P);
  }
  printf("parent VmLck %ld kB, present %d%d%d%d\n", status_kb("VmLck"), present(p),
         present(p + P), present(p + 2 * P), present(p + 3 * P));
  snprintf(pid, sizeof pid, "%d", getpid());
  FILE *f = fopen("/sys/fs/cgroup/memory/cgroup.procs", "w");
  fputs(pid, f);
  fclose(f);
  rmdir(CG);
  return 0;
}
