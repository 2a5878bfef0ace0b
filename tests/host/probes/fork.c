/* fork.c - items 61-67: fork, exec, threads, COW of mlocked pages */
#include "probe.h"
#include <pthread.h>

static char *self;
static void count_lo(void)
{
    FILE *f = fopen("/proc/self/smaps", "r"); char line[512]; int lo = 0, lf = 0;
    while (fgets(line, sizeof line, f))
        if (!strncmp(line, "VmFlags:", 8)) { if (strstr(line, " lo ")) lo++; if (strstr(line, " lf ")) lf++; }
    fclose(f);
    printf("  VMAs with lo: %d, with lf: %d; VmLck=%ld kB\n", lo, lf, status_kb("VmLck"));
}
static void i61(void)
{
    char *A = mapat(SLOT(1), 3, PROT_READ | PROT_WRITE, 0);
    R(mlock(A + P, P));
    L("parent before fork", A, A + 3 * P);
    pid_t c = fork();
    if (c == 0) { L("child", A, A + 3 * P); count_lo(); R(munlock(A + P, P)); L("child after munlock(A+P,P) (re-merge?)", A, A + 3 * P); _exit(0); }
    waitpid(c, NULL, 0);
    L("parent after fork", A, A + 3 * P);
}
static void i62(void)
{
    R(mlockall(MCL_FUTURE));
    pid_t c = fork();
    if (c == 0) { char *B = mapat(SLOT(2), 1, PROT_READ | PROT_WRITE, 0); L("child new mmap", B, B + P); _exit(0); }
    waitpid(c, NULL, 0);
    char *B = mapat(SLOT(2) + 4 * P, 1, PROT_READ | PROT_WRITE, 0);
    L("parent new mmap", B, B + P);
    puts("  -- vfork child shares mm (def_flags): child mmaps, parent observes");
    char *V = SLOT(2) + 8 * P;
    pid_t v = vfork();
    if (v == 0) { mmap(V, P, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0); _exit(0); }
    waitpid(v, NULL, 0);
    L("parent sees vfork child's mmap", V, V + P);
}
static void i63(void)
{
    char *A = mapat(SLOT(3), 2, PROT_READ | PROT_WRITE, 0); (void)A;
    R(mlockall(MCL_CURRENT | MCL_FUTURE));
    count_lo();
    fflush(stdout);
    execl(self, self, "exec63", (char *)NULL);
    perror("execl");
}
static void exec63(void)
{
    puts("  [after execve]");
    count_lo();
    char *B = mapat(SLOT(3), 1, PROT_READ | PROT_WRITE, 0);
    L("new mmap after exec", B, B + P);
    FILE *f = fopen("/proc/self/smaps", "r"); char line[512], hdr[512] = "";
    while (fgets(line, sizeof line, f)) {
        if (strchr(line, '-') && strchr(line, '-') < strchr(line, ' ')) strcpy(hdr, line);
        if (strstr(line, "[stack]") ) printf("  %s", line);
        if (!strncmp(line, "VmFlags:", 8) && strstr(hdr, "[stack]")) printf("  stack %s", line);
    }
    fclose(f);
}
static void i64(void)
{
    char *D = mapat(SLOT(4), 1, PROT_READ | PROT_WRITE, 0);
    char *W = mapat(SLOT(4) + 4 * P, 1, PROT_READ | PROT_WRITE, 0);
    D[0] = 5; W[0] = 6;
    R(madvise(D, P, MADV_DONTFORK));
    R(madvise(W, P, MADV_WIPEONFORK));
    L("parent", D, D + 5 * P);
    pid_t c = fork();
    if (c == 0) {
        L("child", D, D + 5 * P);
        printf("  child W[0]=%d\n", W[0]);
        L("child after reading W", D, D + 5 * P);
        _exit(0);
    }
    waitpid(c, NULL, 0);
    printf("  parent W[0]=%d D[0]=%d\n", W[0], D[0]);
    puts("  -- WIPEONFORK on shared anon / file");
    char *S = mmap(SLOT(4) + 8 * P, P, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
    R(madvise(S, P, MADV_WIPEONFORK));
    R(madvise(S, P, MADV_DONTFORK));
    R(madvise(W, P, MADV_KEEPONFORK));
    L("after KEEPONFORK", W, W + P);
    puts("  -- DONTFORK on a locked VMA: child");
    char *Lk = mapat(SLOT(4) + 12 * P, 1, PROT_READ | PROT_WRITE, 0);
    R(mlock(Lk, P)); R(madvise(Lk, P, MADV_DONTFORK));
    printf("  parent VmLck=%ld VmSize=%ld\n", status_kb("VmLck"), status_kb("VmSize"));
    c = fork();
    if (c == 0) { printf("  child VmSize=%ld VmLck=%ld\n", status_kb("VmSize"), status_kb("VmLck")); _exit(0); }
    waitpid(c, NULL, 0);
}
static pthread_barrier_t bar;
static char *TA;
static void *t2(void *arg)
{
    (void)arg;
    R(mlock(TA + P, P));
    printf("  T2 tid=%ld\n", (long)gettid());
    pthread_barrier_wait(&bar);
    pthread_barrier_wait(&bar);
    return NULL;
}
static void i65(void)
{
    TA = mapat(SLOT(5), 3, PROT_READ | PROT_WRITE, 0);
    pthread_barrier_init(&bar, NULL, 2);
    pthread_t t; pthread_create(&t, NULL, t2, NULL);
    pthread_barrier_wait(&bar);
    char path[128], line[256];
    pid_t pid = getpid();
    for (int k = 0; k < 2; k++) {
        long tid = k == 0 ? (long)pid : -1;
        if (k == 1) { /* find other tid */
            FILE *p = popen("ls /proc/self/task", "r"); (void)p; pclose(p);
        }
        (void)tid;
    }
    snprintf(path, sizeof path, "ls /proc/%d/task", pid);
    FILE *ls = popen(path, "r");
    while (fgets(line, sizeof line, ls)) {
        line[strcspn(line, "\n")] = 0;
        char sp[300]; snprintf(sp, sizeof sp, "/proc/%d/task/%s/status", pid, line);
        FILE *f = fopen(sp, "r"); char l2[256];
        while (fgets(l2, sizeof l2, f)) if (!strncmp(l2, "VmLck", 5)) printf("  task %s: %s", line, l2);
        fclose(f);
    }
    pclose(ls);
    L("T1 view", TA, TA + 3 * P);
    pthread_barrier_wait(&bar);
    pthread_join(t, NULL);
}
static void i66(void)
{
    char *A = mapat(SLOT(6), 1, PROT_READ | PROT_WRITE, 0);
    A[0] = 1; R(mlock(A, P));
    pflags("parent A before fork", A);
    int pfd[2], qfd[2]; pipe(pfd); pipe(qfd);
    pid_t c = fork();
    if (c == 0) {
        char x; read(pfd[0], &x, 1);
        pflags("child A (shared, before write)", A);
        A[0] = 2;
        drain();
        pflags("child A after child write", A);
        L("child", A, A + P);
        write(qfd[1], "x", 1);
        _exit(0);
    }
    pflags("parent A after fork (before child write)", A);
    write(pfd[1], "x", 1);
    char x; read(qfd[0], &x, 1);
    waitpid(c, NULL, 0);
    drain();
    pflags("parent A after child wrote", A);
    puts("  -- variant: parent writes");
    uint64_t oldpfn = pagemap(A) & ((1ULL << 55) - 1);
    c = fork();
    if (c == 0) {
        char y; read(pfd[0], &y, 1);
        drain();
        uint64_t pfn = pagemap(A) & ((1ULL << 55) - 1);
        pflags("child A after parent wrote", A);
        printf("    child pfn %s old pfn\n", pfn == oldpfn ? "==" : "!=");
        write(qfd[1], "x", 1);
        _exit(0);
    }
    A[0] = 3;
    drain();
    pflags("parent A after parent write", A);
    printf("    parent pfn %s old pfn\n", (pagemap(A) & ((1ULL << 55) - 1)) == oldpfn ? "==" : "!=");
    write(pfd[1], "x", 1);
    read(qfd[0], &x, 1);
    waitpid(c, NULL, 0);
    L("parent", A, A + P);
}
static void i67(void)
{
    const char *fn = "/tmp/mmsim_probe_67";
    int fd = open(fn, O_RDWR | O_CREAT | O_TRUNC, 0600);
    char buf[4096]; memset(buf, 'z', sizeof buf); write(fd, buf, P); fsync(fd);
    char *A = SLOT(7), *B = SLOT(7) + 4 * P;
    R(mmap(A, P, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED_NOREPLACE, fd, 0));
    R(mmap(B, P, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED_NOREPLACE, fd, 0));
    R(mlock(A, P)); R(mlock(B, P));
    pflags("page after both mlocked", A);
    FILE *s = fopen("/proc/sys/vm/stat_refresh", "w"); fputs("1", s); fclose(s);
    long r0 = vmstat("unevictable_pgs_rescued"), mu0 = vmstat("unevictable_pgs_munlocked");
    R(munlock(A, P));
    pflags("page after munlock(A)", A);
    long r1 = vmstat("unevictable_pgs_rescued"), mu1 = vmstat("unevictable_pgs_munlocked");
    R(munlock(B, P));
    pflags("page after munlock(B)", A);
    long r2 = vmstat("unevictable_pgs_rescued"), mu2 = vmstat("unevictable_pgs_munlocked");
    printf("  rescued deltas: after A %ld, after B %ld; munlocked deltas: after A %ld, after B %ld\n",
           r1 - r0, r2 - r1, mu1 - mu0, mu2 - mu1);
    L("A,B", A, B + P);
    unlink(fn);
}
int main(int argc, char **argv)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    self = argv[0];
    if (argc > 1 && !strcmp(argv[1], "exec63")) { exec63(); return 0; }
    run("item 61: fork clears lo, keeps split", i61);
    run("item 62: MCL_FUTURE not inherited by fork", i62);
    run("item 63: execve after mlockall", i63);
    run("item 64: DONTFORK / WIPEONFORK", i64);
    run("item 65: threads share locked_vm", i65);
    run("item 66: COW of mlocked page", i66);
    run("item 67: file page locked in two VMAs", i67);
    return 0;
}
