/* lru.c - page-level/LRU facts: items 22 (meminfo), 52, 69, 70, open points 4-5.
   Pins itself to CPU 0; drains with a non-empty MADV_COLD on an unrelated page (probe.h drain()); refreshes vmstat. */
#include "probe.h"
#include <sched.h>
#include <sys/stat.h>
#ifndef MADV_COLD
#define MADV_COLD 20
#endif
static const char *ev[] = { "nr_mlock", "unevictable_pgs_mlocked", "unevictable_pgs_munlocked", "unevictable_pgs_culled",
    "unevictable_pgs_rescued", "unevictable_pgs_scanned", "unevictable_pgs_cleared", "unevictable_pgs_stranded", NULL };
static long snap[16];
static void refresh(void) { int fd = open("/proc/sys/vm/stat_refresh", O_WRONLY); write(fd, "1", 1); close(fd); }
static void take(void) { refresh(); for (int i = 0; ev[i]; i++) snap[i] = vmstat(ev[i]); }
static void delta(const char *label)
{
    refresh(); printf("  vmstat deltas %s:", label);
    for (int i = 0; ev[i]; i++) { long d = vmstat(ev[i]) - snap[i]; if (d) printf(" %s=%+ld", ev[i], d); }
    printf("\n"); take();
}
static void pin(void) { cpu_set_t s; CPU_ZERO(&s); CPU_SET(0, &s); sched_setaffinity(0, sizeof s, &s); }

static void open5(void)
{
    pin();
    char *A = mapat(SLOT(1), 4, PROT_READ | PROT_WRITE, 0);
    drain();
    A[0] = 1;
    pflags("freshly faulted anon (unlocked VMA)", A);
    pflags("after empty-range MADV_COLD", A);
    madvise(A, 0, MADV_COLD); pflags("after madvise(A,0,MADV_COLD) (empty range)", A);
    drain(); pflags("after non-empty MADV_COLD on another page (drain)", A);
    A[P] = 1; A[2 * P] = 1;
    pflags("page 1 fresh", A + P);
    (void)((volatile char *)A)[P];
    pflags("page 1 after another access", A + P);
    puts("  -- fresh COW copy (fork child writes a present page)");
    pid_t c = fork();
    if (c == 0) { pin(); A[0] = 9; pflags("child COW copy fresh", A); drain(); pflags("child COW copy after drain", A); _exit(0); }
    waitpid(c, NULL, 0);
    puts("  -- fault in locked VMA (mlock2 ONFAULT)");
    R(mlock2_(A + 3 * P, P, MLOCK_ONFAULT));
    take();
    A[3 * P] = 1;
    pflags("fresh fault in lo lf VMA", A + 3 * P);
    delta("(fault in locked VMA, before drain)");
    drain();
    pflags("after drain", A + 3 * P);
    delta("(after drain)");
    puts("  -- file page fresh read");
    int fd = open("/tmp/mmsim_probe_lru", O_RDWR | O_CREAT | O_TRUNC, 0600);
    char b[4096]; memset(b, 1, sizeof b); write(fd, b, P); fsync(fd);
    posix_fadvise(fd, 0, P, POSIX_FADV_DONTNEED);
    char *F = mmap(SLOT(1) + 16 * P, P, PROT_READ, MAP_SHARED | MAP_FIXED_NOREPLACE, fd, 0);
    (void)((volatile char *)F)[0];
    pflags("file page after first read fault", F);
    drain();
    pflags("file page after drain", F);
    unlink("/tmp/mmsim_probe_lru");
}
static void i69(void)
{
    pin();
    char *A = mapat(SLOT(2), 4, PROT_READ | PROT_WRITE, 0);
    memset(A, 1, 4 * P);
    drain();
    pflags("A[0] written+drained", A);
    refresh(); long m0 = meminfo("Mlocked"); take();
    R(mlock(A, 4 * P));
    delta("mlock of 4 present pages");
    refresh(); printf("  meminfo Mlocked delta %+ld kB\n", meminfo("Mlocked") - m0);
    pflags("A[0] after mlock", A);
    R(munlock(A, 4 * P));
    delta("munlock of 4 pages");
    refresh(); printf("  meminfo Mlocked delta vs start %+ld kB\n", meminfo("Mlocked") - m0);
    pflags("A[0] after munlock", A);
    puts("  -- open 4 / item 22: mlock of 4 untouched pages (faulted by mlock)");
    char *B = mapat(SLOT(2) + 8 * P, 4, PROT_READ | PROT_WRITE, 0);
    refresh(); m0 = meminfo("Mlocked");
    R(mlock(B, 4 * P));
    delta("mlock of 4 untouched pages");
    refresh(); printf("  meminfo Mlocked delta %+ld kB\n", meminfo("Mlocked") - m0);
    pflags("B[0]", B);
    puts("  -- item 52: munmap 1 page of locked region");
    R(munmap(B + P, P));
    delta("munmap 1 locked page (no drain yet)");
    drain();
    delta("after drain following munmap");
    refresh(); printf("  meminfo Mlocked delta %+ld kB (vs before mlock of B)\n", meminfo("Mlocked") - m0);
    puts("  -- munlockall with 3 locked pages");
    R(munlockall());
    delta("munlockall");
    puts("  -- exit with locked pages (child)");
    take();
    pid_t c = fork();
    if (c == 0) { char *C = mapat(SLOT(2) + 32 * P, 4, PROT_READ | PROT_WRITE, 0); mlock(C, 4 * P); _exit(0); }
    waitpid(c, NULL, 0);
    delta("child mlock 4 pages + exit");
}
/* item 70: cgroup v1 memory limit; locked file pages vs unlocked file pages */
static char cg[512];
static void cgwrite(const char *file, const char *val)
{
    char p[600]; snprintf(p, sizeof p, "%s/%s", cg, file);
    int fd = open(p, O_WRONLY); int n = write(fd, val, strlen(val));
    printf("  (write %s <- %s: %s)\n", file, val, n < 0 ? strerrorname_np(errno) : "ok"); close(fd);
}
static long rss_of(char *a, unsigned long len)
{
    unsigned char v[4096]; long n = 0; mincore(a, len, v);
    for (unsigned long i = 0; i < len / P; i++) n += v[i] & 1;
    return n;
}
static void i70(void)
{
    FILE *f = fopen("/proc/self/cgroup", "r"); char line[512], base[400] = "";
    while (fgets(line, sizeof line, f)) if (strstr(line, ":memory:")) { strcpy(base, strstr(line, ":memory:") + 8); base[strcspn(base, "\n")] = 0; }
    fclose(f);
    snprintf(cg, sizeof cg, "/sys/fs/cgroup/memory%s/mmsim_probe70", base);
    if (mkdir(cg, 0755) && errno != EEXIST) { printf("  mkdir %s: %s\n", cg, strerror(errno)); return; }
    char pid[32]; snprintf(pid, sizeof pid, "%d", getpid());
    cgwrite("cgroup.procs", pid);
    unsigned long SZ = 8UL << 20;
    int fl = open("/tmp/mmsim_probe70_locked", O_RDWR | O_CREAT | O_TRUNC, 0600);
    int fu = open("/tmp/mmsim_probe70_unlocked", O_RDWR | O_CREAT | O_TRUNC, 0600);
    ftruncate(fl, SZ); ftruncate(fu, SZ);
    char *Lk = mmap(SLOT(3), SZ, PROT_READ, MAP_SHARED | MAP_FIXED_NOREPLACE, fl, 0);
    char *U = mmap(SLOT(3) + 2 * SZ, SZ, PROT_READ, MAP_SHARED | MAP_FIXED_NOREPLACE, fu, 0);
    char *An = mapat(SLOT(3) + 4 * SZ, SZ / P, PROT_READ | PROT_WRITE, 0);
    /* fill files through write() so page cache is charged here, then drop dirty state */
    char *buf = malloc(SZ); memset(buf, 3, SZ);
    pwrite(fl, buf, SZ, 0); pwrite(fu, buf, SZ, 0); fsync(fl); fsync(fu);
    free(buf);
    R(mlock(Lk, SZ));
    readpg(U, SZ / P);
    memset(An, 1, SZ);
    printf("  resident pages: locked file %ld, unlocked file %ld, unlocked anon %ld (of %lu each)\n",
           rss_of(Lk, SZ), rss_of(U, SZ), rss_of(An, SZ), SZ / P);
    take();
    cgwrite("memory.limit_in_bytes", "22M");
    printf("  resident pages: locked file %ld, unlocked file %ld, unlocked anon %ld\n", rss_of(Lk, SZ), rss_of(U, SZ), rss_of(An, SZ));
    cgwrite("memory.limit_in_bytes", "18M");
    printf("  resident pages: locked file %ld, unlocked file %ld, unlocked anon %ld\n", rss_of(Lk, SZ), rss_of(U, SZ), rss_of(An, SZ));
    delta("during reclaim");
    cgwrite("memory.force_empty", "0");
    printf("  after force_empty: locked file %ld, unlocked file %ld, unlocked anon %ld\n", rss_of(Lk, SZ), rss_of(U, SZ), rss_of(An, SZ));
    L("locked file VMA", Lk, Lk + SZ);
    L("unlocked file VMA", U, U + SZ);
    unlink("/tmp/mmsim_probe70_locked"); unlink("/tmp/mmsim_probe70_unlocked");
}
int main(void)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    run("open 5: where fresh folios sit", open5);
    run("item 69 / open 4 / 22 / 52: vmstat deltas", i69);
    run("item 70: cgroup v1 limit, locked vs unlocked", i70);
    /* remove the cgroup (child has exited) */
    if (cg[0] == 0) {
        FILE *f = fopen("/proc/self/cgroup", "r"); char line[512], base[400] = "";
        while (fgets(line, sizeof line, f)) if (strstr(line, ":memory:")) { strcpy(base, strstr(line, ":memory:") + 8); base[strcspn(base, "\n")] = 0; }
        fclose(f); snprintf(cg, sizeof cg, "/sys/fs/cgroup/memory%s/mmsim_probe70", base);
    }
    printf("\n  rmdir cgroup: %s\n", rmdir(cg) ? strerror(errno) : "ok");
    return 0;
}
