/* populate.c - items 22-29, (f) PROT_NONE locking, (g) msync MS_INVALIDATE, open points 3,6,7 */
#include "probe.h"

static const char *FILE4 = "/tmp/mmsim_probe_file4";
static int mkfile(const char *path, unsigned long bytes)
{
    int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
    char buf[4096]; memset(buf, 'f', sizeof buf);
    for (unsigned long o = 0; o < bytes; o += P) write(fd, buf, bytes - o < P ? bytes - o : P);
    fsync(fd); return fd;
}
static void i22(void)
{
    char *A = mapat(SLOT(1), 4, PROT_READ | PROT_WRITE, 0);
    long m0 = meminfo("Mlocked"), v0 = vmstat("unevictable_pgs_mlocked"), c0 = vmstat("unevictable_pgs_culled");
    R(mlock(A, 4 * P));
    long m1 = meminfo("Mlocked"), v1 = vmstat("unevictable_pgs_mlocked"), c1 = vmstat("unevictable_pgs_culled");
    L("after mlock(A,4P)", A, A + 4 * P);
    printf("  meminfo Mlocked delta=%ld kB; unevictable_pgs_mlocked delta=%ld culled delta=%ld\n", m1 - m0, v1 - v0, c1 - c0);
    for (int i = 0; i < 4; i++) { char l[8]; sprintf(l, "A[%d]", i); pflags(l, A + i * P); }
}
static void i23(void)
{
    char *A = mapat(SLOT(2), 4, PROT_READ, 0);
    R(mlock(A, 4 * P));
    L("after mlock PROT_READ untouched", A, A + 4 * P);
    pflags("A[0]", A);
}
static void i24_f(void)
{
    char *A = mapat(SLOT(3), 1, PROT_NONE, 0);
    R(mlock(A, P));
    L("after mlock PROT_NONE", A, A + P);
    R(msync(A, P, MS_INVALIDATE));
    R(msync(A, P, MS_SYNC));
    R(munlock(A, P));
    L("after munlock", A, A + P);
    puts("  -- (f) mlock2 ONFAULT on PROT_NONE");
    R(mlock2_(A, P, MLOCK_ONFAULT));
    L("after mlock2(ONFAULT) PROT_NONE", A, A + P);
    R(msync(A, P, MS_INVALIDATE));
    puts("  -- then mprotect RW the lo lf PROT_NONE VMA and touch");
    R(mprotect(A, P, PROT_READ | PROT_WRITE));
    L("after mprotect RW", A, A + P);
    A[0] = 1;
    L("after touch", A, A + P);
    puts("  -- PROT_NONE, mlock then mprotect(RW): populated by mprotect?");
    char *B = mapat(SLOT(3) + 8 * P, 2, PROT_NONE, 0);
    R(mlock(B, 2 * P));
    R(mprotect(B, 2 * P, PROT_READ | PROT_WRITE));
    L("after mlock(PROT_NONE) + mprotect(RW)", B, B + 2 * P);
    puts("  -- RO locked (zero page) then mprotect(RW): COW broken?");
    char *C = mapat(SLOT(3) + 16 * P, 2, PROT_READ, 0);
    R(mlock(C, 2 * P));
    R(mprotect(C, 2 * P, PROT_READ | PROT_WRITE));
    L("after mlock(RO)+mprotect(RW)", C, C + 2 * P);
    pflags("C[0]", C);
    puts("  -- locked RW populated then mprotect(PROT_NONE)");
    char *D = mapat(SLOT(3) + 24 * P, 2, PROT_READ | PROT_WRITE, 0);
    R(mlock(D, 2 * P));
    R(mprotect(D, 2 * P, PROT_NONE));
    L("after mlock(RW)+mprotect(NONE)", D, D + 2 * P);
    pflags("D[0]", D);
    puts("  -- PROT_NONE limit check (no cap, limit 4 KiB): mlock PROT_NONE 2P");
}
static void i24_lim(void)
{
    char *A = mapat(SLOT(3) + 32 * P, 2, PROT_NONE, 0);
    set_memlock(4096); NOCAP();
    R(mlock(A, 2 * P));
    R(mlock(A, P));
    L("after", A, A + 2 * P);
    R(mlock(A, P));
    R(mlock(A + P, P));
}
static void i25(void) { /* covered in i24_f */ }
static void i26(void)
{
    char *A = mapat(SLOT(4), 4, PROT_READ | PROT_WRITE, 0);
    A[0] = 1; A[P] = 1;
    R(mlock2_(A, 4 * P, MLOCK_ONFAULT));
    L("after mlock2(ONFAULT) with pages 0-1 written", A, A + 4 * P);
    for (int i = 0; i < 4; i++) { char l[8]; sprintf(l, "A[%d]", i); pflags(l, A + i * P); }
    A[2 * P] = 1;
    L("after touching page 2", A, A + 4 * P);
    pflags("A[2]", A + 2 * P);
    puts("  -- read-fault a never-written page in lo lf VMA (zero page?)");
    (void)((volatile char *)A)[3 * P];
    L("after reading page 3", A, A + 4 * P);
    pflags("A[3]", A + 3 * P);
}
static void i27_28(void)
{
    int fd = mkfile(FILE4, 4 * P);
    char *A = SLOT(5);
    R(mmap(A, 4 * P, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_FIXED_NOREPLACE, fd, 0));
    L("private file RW mapping before mlock", A, A + 4 * P);
    R(mlock(A, 4 * P));
    L("private file RW after mlock (item 27)", A, A + 4 * P);
    char b; pread(fd, &b, 1, 0);
    printf("  file byte 0 = '%c'; mapping byte 0 = '%c'\n", b, A[0]);
    char *B = A + 8 * P;
    R(mmap(B, 4 * P, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED_NOREPLACE, fd, 0));
    R(mlock(B, 4 * P));
    L("shared file RW after mlock (item 28)", B, B + 4 * P);
    pflags("B[0]", B);
    char *C = A + 16 * P;
    R(mmap(C, 4 * P, PROT_READ, MAP_PRIVATE | MAP_FIXED_NOREPLACE, fd, 0));
    R(mlock(C, 4 * P));
    L("private file RO after mlock", C, C + 4 * P);
    close(fd);
}
static void i29(void)
{
    int fd = mkfile(FILE4, P);
    char *A = SLOT(6);
    R(mmap(A, 2 * P, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED_NOREPLACE, fd, 0));
    R(mlock(A, 2 * P));
    L("shared 1-page file mapped 2P, after mlock", A, A + 2 * P);
    char *B = A + 8 * P;
    R(mmap(B, 2 * P, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_FIXED_NOREPLACE, fd, 0));
    R(mlock(B, 2 * P));
    L("private 1-page file mapped 2P, after mlock", B, B + 2 * P);
    char *C = A + 16 * P;
    R(mmap(C, 2 * P, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED_NOREPLACE, fd, 0));
    R(mlock2_(C, 2 * P, MLOCK_ONFAULT));
    L("shared 1-page file mapped 2P, mlock2 ONFAULT", C, C + 2 * P);
    char *D = A + 24 * P;
    R(mmap(D, 2 * P, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED_NOREPLACE | MAP_LOCKED, fd, 0));
    L("shared 1-page file mapped 2P with MAP_LOCKED", D, D + 2 * P);
    close(fd);
}
static void secret(void)
{
    int fd = syscall(SYS_memfd_secret, 0);
    printf("  memfd_secret -> %d %s\n", fd, fd < 0 ? strerrorname_np(errno) : "");
    if (fd < 0) return;
    ftruncate(fd, 2 * P);
    char *A = SLOT(7);
    R(mmap(A, 2 * P, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_FIXED_NOREPLACE, fd, 0));
    R(mmap(A, 2 * P, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED_NOREPLACE, fd, 0));
    L("secretmem mapping created", A, A + 2 * P);
    A[0] = 1;
    L("after touching page 0", A, A + 2 * P);
    R(mlock(A, 2 * P));
    L("after mlock", A, A + 2 * P);
    R(munlock(A, 2 * P));
    L("after munlock", A, A + 2 * P);
    R(munlockall());
    L("after munlockall", A, A + 2 * P);
    R(msync(A, P, MS_INVALIDATE));
}
static void secret_lim(void)
{
    int fd = syscall(SYS_memfd_secret, 0);
    if (fd < 0) return;
    ftruncate(fd, 2 * P);
    set_memlock(4096); NOCAP();
    R(mmap(SLOT(7), 2 * P, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED_NOREPLACE, fd, 0));
    R(mmap(SLOT(7), P, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED_NOREPLACE, fd, 0));
}
static void huge(void)
{
    char *A = SLOT(8);
    long f0 = meminfo("HugePages_Free");
    R(mmap(A, 2UL << 20, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_HUGETLB | MAP_FIXED_NOREPLACE | MAP_LOCKED, -1, 0));
    L("MAP_LOCKED|MAP_HUGETLB 2MiB", A, A + (2UL << 20));
    printf("  HugePages_Free %ld -> %ld\n", f0, meminfo("HugePages_Free"));
    char *B = A + (4UL << 20);
    R(mmap(B, 2UL << 20, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_HUGETLB | MAP_FIXED_NOREPLACE, -1, 0));
    R(mlock(B, 2UL << 20));
    L("MAP_HUGETLB then mlock", B, B + (2UL << 20));
    printf("  HugePages_Free now %ld\n", meminfo("HugePages_Free"));
}
static void huge_lim(void)
{
    set_memlock(4096); NOCAP();
    R(mmap(SLOT(8), 2UL << 20, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_HUGETLB | MAP_FIXED_NOREPLACE | MAP_LOCKED, -1, 0));
}
int main(int argc, char **argv)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    run("item 22: mlock untouched RW", i22);
    run("item 23: mlock untouched PROT_READ", i23);
    run("items 24/25 + (f): PROT_NONE", i24_f);
    run("item 24b: PROT_NONE mlock limit accounting", i24_lim);
    (void)i25;
    run("item 26: mlock2 ONFAULT with resident pages", i26);
    run("items 27/28: file mappings", i27_28);
    run("item 29 / open 3: file shorter than mapping", i29);
    run("open 6: memfd_secret", secret);
    run("open 6b: memfd_secret limit", secret_lim);
    if (argc > 1) {
        run("open 7: hugetlb MAP_LOCKED", huge);
        run("open 7b: hugetlb MAP_LOCKED limit 4K no cap", huge_lim);
    }
    unlink(FILE4);
    return 0;
}
