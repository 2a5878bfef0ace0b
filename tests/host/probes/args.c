/* args.c - argument checking: items 1-7, (j) unaligned/len0/wrap/TASK_SIZE, (k) mmap edge cases */
#include "probe.h"

static void i1(void)
{
    char *A = mapat(SLOT(1), 1, PROT_READ | PROT_WRITE, 0);
    L("start", A, A + P);
    R(mlock2_(A, P, 2));
    R(mlock2_(A, P, 0x80000000));
    R(mlock2_(A, P, 3));
    L("after", A, A + P);
}
static void i2(void)
{
    R(mlockall(0));
    R(mlockall(MCL_ONFAULT));
    R(mlockall(8));
    R(mlockall(MCL_CURRENT | 8));
    R(mlockall(MCL_FUTURE | MCL_ONFAULT));
    char *B = mmap(SLOT(2), P, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
    L("new mmap after MCL_FUTURE|MCL_ONFAULT", B, B + P);
    R(munlockall());
}
static void i3(void)
{
    char *A = mapat(SLOT(3), 1, PROT_READ | PROT_WRITE, 0);
    set_memlock(0); NOCAP();
    R(mlock(A, P));
    R(mlock(A, 0));
    R(mlock2_(A, P, MLOCK_ONFAULT));
    R(mlock2_(A, P, 2));
    R(mlockall(MCL_FUTURE));
    R(mlockall(MCL_CURRENT));
    R(mlockall(0));
    R(munlock(A, P));
    R(munlockall());
    L("after", A, A + P);
}
static void i4(void)
{
    set_memlock(0); NOCAP();
    R(mmap(SLOT(4), P, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE | MAP_LOCKED, -1, 0));
    R(mmap(SLOT(4), P, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0));
    L("after", SLOT(4), SLOT(4) + P);
}
static void i4b(void)
{
    puts("  -- limit 0 WITH CAP_IPC_LOCK: MAP_LOCKED");
    set_memlock(0);
    R(mmap(SLOT(4), P, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE | MAP_LOCKED, -1, 0));
    L("after", SLOT(4), SLOT(4) + P);
}
static void i5(void)
{
    char *A = mapat(SLOT(5), 3, PROT_READ | PROT_WRITE, 0);
    L("start", A, A + 3 * P);
    R(mlock(A, 0));
    L("after mlock(A,0)", A, A + 3 * P);
}
static void i6(void)
{
    char *A = mapat(SLOT(6), 3, PROT_READ | PROT_WRITE, 0);
    R(mlock(A + 1, 0));
    L("after mlock(A+1,0)", A, A + 3 * P);
    R(munlock(A + 1, 0));
    L("after munlock(A+1,0)", A, A + 3 * P);
    R(mlock(A + P - 1, 2));
    L("after mlock(A+P-1,2) (spans 2 pages)", A, A + 3 * P);
}
static void i7(void)
{
    char *A = mapat(SLOT(7), 1, PROT_READ | PROT_WRITE, 0);
    R(mlock(A + 16 * P, P));
    R(munlock(A + 16 * P, P));
    R(mlock2_(A + 16 * P, P, MLOCK_ONFAULT));
    L("after", A, A + 32 * P);
}
/* (j) unaligned start, len 0, wrap, above TASK_SIZE */
static void ij(void)
{
    char *A = mapat(SLOT(8), 4, PROT_READ | PROT_WRITE, 0);
    puts("  -- munmap");
    R(munmap(A + 1, P));
    R(munmap(A, 0));
    R(munmap(A + 1, 0));
    R(munmap(A, SIZE_MAX));
    R(munmap(A, (size_t)-P));
    R(munmap((void *)(1UL << 47), P));
    R(munmap((void *)((1UL << 47) - P), P));
    R(munmap((void *)((1UL << 47) - P), 2 * P));
    R(munmap((void *)0xffff800000000000UL, P));
    R(munmap((void *)(WIN + 0x0ff00000000UL), P));  /* nothing mapped: 0 */
    puts("  -- mprotect");
    R(mprotect(A + 1, P, PROT_READ));
    R(mprotect(A, 0, PROT_READ));
    R(mprotect(A + 1, 0, PROT_READ));
    R(mprotect(A, SIZE_MAX, PROT_READ));
    R(mprotect(A, (size_t)-P, PROT_READ));
    R(mprotect(A, 1UL << 62, PROT_READ));
    R(mprotect((void *)(1UL << 47), P, PROT_READ));
    R(mprotect(A, P, 0x10 | PROT_READ));
    R(mprotect(A, P, PROT_READ | PROT_WRITE | PROT_EXEC | PROT_GROWSDOWN));
    R(mprotect(A, P, PROT_GROWSDOWN | PROT_GROWSUP));
    L("after mprotect tests", A, A + 4 * P);
    puts("  -- mlock (with CAP_IPC_LOCK)");
    R(mlock(A, SIZE_MAX));
    R(mlock(A + 1, SIZE_MAX));
    R(mlock(A, (size_t)-P));
    R(mlock(A, 1UL << 62));
    R(mlock((void *)(1UL << 47), P));
    R(mlock((void *)0xffff800000000000UL, P));
    L("after mlock tests (cap)", A, A + 4 * P);
    R(munlock(A, SIZE_MAX));
    R(munlock(A, 1UL << 62));
    R(munlock(A, 4 * P));
    R(madvise(A + 1, P, MADV_NORMAL));
    R(madvise(A, 0, MADV_NORMAL));
    R(madvise(A, SIZE_MAX, MADV_NORMAL));
    R(madvise(A, 1UL << 62, MADV_NORMAL));
    R(msync(A + 1, P, MS_SYNC));
    R(msync(A, P, MS_SYNC | MS_ASYNC));
    R(msync(A, P, 8));
    R(msync(A, 0, MS_SYNC));
}
static void ij_nocap(void)
{
    char *A = mapat(SLOT(9), 4, PROT_READ | PROT_WRITE, 0);
    NOCAP();
    printf("  (limit %ld kB)\n", 8192L);
    R(mlock(A, SIZE_MAX));
    R(mlock(A + 1, SIZE_MAX));
    R(mlock(A, (size_t)-P));
    R(mlock(A, 1UL << 62));
    R(mlock(A, (8UL << 20)));  /* 2048 pages: within limit but range runs past A */
    R(mlock(A, (8UL << 20) + P));
    R(mlock((void *)(1UL << 47), P));
    L("after mlock tests (nocap)", A, A + 4 * P);
}
/* (k) mmap edge cases */
static void ik(void)
{
    char *A = mapat(SLOT(10), 4, PROT_READ | PROT_WRITE, 0);
    int anon = MAP_PRIVATE | MAP_ANONYMOUS;
    R(mmap(NULL, 0, PROT_READ, anon, -1, 0));
    R(mmap(SLOT(10) + 8 * P, 0, PROT_READ, anon | MAP_FIXED, -1, 0));
    R(mmap(NULL, SIZE_MAX, PROT_READ, anon, -1, 0));
    R(mmap(NULL, (size_t)-P, PROT_READ, anon, -1, 0));
    R(mmap(NULL, 1UL << 62, PROT_READ, anon, -1, 0));
    R(mmap(SLOT(10) + 8 * P + 1, P, PROT_READ, anon | MAP_FIXED, -1, 0));
    R(mmap(SLOT(10) + 8 * P + 1, P, PROT_READ, anon | MAP_FIXED_NOREPLACE, -1, 0));
    void *h = mmap(SLOT(10) + 8 * P + 1, P, PROT_READ, anon, -1, 0);
    printf("  %-60s = %p (unaligned hint, no FIXED)\n", "mmap(SLOT+8P+1, P, hint)", h);
    if (h != MAP_FAILED) munmap(h, P);
    R(mmap(A + P, P, PROT_READ, anon | MAP_FIXED_NOREPLACE, -1, 0));
    R(mmap(A + 3 * P, 2 * P, PROT_READ, anon | MAP_FIXED_NOREPLACE, -1, 0)); /* partial overlap */
    void *nr = mmap(A + P, P, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    printf("  %-60s = %p (hint on occupied addr -> %s)\n", "mmap(A+P, hint only)", nr, nr == A + P ? "same" : "elsewhere");
    if (nr != MAP_FAILED) munmap(nr, P);
    R(mmap(SLOT(10) + 16 * P, P, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS | MAP_GROWSDOWN | MAP_FIXED_NOREPLACE, -1, 0));
    R(mmap(SLOT(10) + 16 * P, P, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_SHARED | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0));
    if (r_ret != -1) munmap((void *)r_ret, P);
    R(mmap(SLOT(10) + 16 * P, P, PROT_READ | PROT_WRITE, MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0));
    if (r_ret != -1) munmap((void *)r_ret, P);
    R(mmap(SLOT(10) + 16 * P, P, PROT_READ | PROT_WRITE, MAP_SHARED_VALIDATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0));
    if (r_ret != -1) munmap((void *)r_ret, P);
    R(mmap(SLOT(10) + 16 * P, P, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE | 0x800000, -1, 0));
    if (r_ret != -1) munmap((void *)r_ret, P);
    R(mmap(SLOT(10) + 16 * P, P, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE | 0x800000, -1, 0));
    if (r_ret != -1) munmap((void *)r_ret, P);
    R(mmap(SLOT(10) + 16 * P, P, PROT_READ | PROT_WRITE, MAP_SHARED_VALIDATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE | 0x800000, -1, 0));
    if (r_ret != -1) munmap((void *)r_ret, P);
    R(mmap(SLOT(10) + 16 * P, P, PROT_READ | 0x10, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0));
    if (r_ret != -1) { L("prot 0x10|READ", (void *)r_ret, (char *)r_ret + P); munmap((void *)r_ret, P); }
    R(mmap(SLOT(10) + 16 * P, P, PROT_READ | 0x80000000, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0));
    if (r_ret != -1) munmap((void *)r_ret, P);
    R(mmap(SLOT(10) + 16 * P, P, PROT_READ | PROT_GROWSDOWN, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0));
    if (r_ret != -1) munmap((void *)r_ret, P);
    R(mmap((void *)(1UL << 47), P, PROT_READ, anon | MAP_FIXED, -1, 0));
    R(mmap((void *)((1UL << 47) - P), 2 * P, PROT_READ, anon | MAP_FIXED, -1, 0));
    R(mmap((void *)(1UL << 47), P, PROT_READ, anon, -1, 0));
    if (r_ret != -1) { printf("    (hint above TASK_SIZE placed at %#lx)\n", r_ret); munmap((void *)r_ret, P); }
    R(mmap((void *)0x1000, P, PROT_READ, anon | MAP_FIXED, -1, 0));
    if (r_ret != -1) munmap((void *)r_ret, P);
    R(mmap(NULL, P, PROT_READ, anon, -1, 1));   /* unaligned offset */
    R(mmap(NULL, P, PROT_READ, anon, -1, P));   /* anon with offset */
    if (r_ret != -1) munmap((void *)r_ret, P);
    R(mmap(NULL, P, PROT_READ, MAP_PRIVATE, -1, 0)); /* file map, bad fd */
    L("after", A, A + 32 * P);
}
static void ik_lim(void)
{
    puts("  -- limit 0 no cap: MAP_LOCKED (EPERM expected); limit 16K: MAP_LOCKED 5P (EAGAIN expected)");
    set_memlock(0); NOCAP();
    R(mmap(SLOT(11), P, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE | MAP_LOCKED, -1, 0));
    R(mmap(SLOT(11), 0, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_LOCKED, -1, 0));
}
static void ik_lim2(void)
{
    set_memlock(16384); NOCAP();
    R(mmap(SLOT(11), 5 * P, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE | MAP_LOCKED, -1, 0));
    L("after EAGAIN", SLOT(11), SLOT(11) + 8 * P);
    R(mmap(SLOT(11), 4 * P, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE | MAP_LOCKED, -1, 0));
    L("after 4P", SLOT(11), SLOT(11) + 8 * P);
    R(mmap(SLOT(11) + 5 * P, P, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE | MAP_LOCKED, -1, 0));
    L("after PROT_NONE locked 1P over limit", SLOT(11), SLOT(11) + 8 * P);
}
static void ik_lim3(void)
{
    puts("  -- limit 4095 bytes, no cap: MAP_LOCKED 1P");
    set_memlock(4095); NOCAP();
    R(mmap(SLOT(11), P, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE | MAP_LOCKED, -1, 0));
    R(mlockall(MCL_FUTURE));
    R(mmap(SLOT(11), P, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0));
}
int main(void)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    run("item 1: mlock2 bad flags", i1);
    run("item 2: mlockall flag validation", i2);
    run("item 3: RLIMIT 0, no cap", i3);
    run("item 4: RLIMIT 0, no cap, MAP_LOCKED", i4);
    run("item 4b: RLIMIT 0, with cap, MAP_LOCKED", i4b);
    run("item 5: mlock(A,0)", i5);
    run("item 6: mlock(A+1,0)", i6);
    run("item 7: mlock unmapped", i7);
    run("(j) unaligned/len0/wrap/TASK_SIZE (cap)", ij);
    run("(j) mlock wrap without CAP_IPC_LOCK (limit 8M)", ij_nocap);
    run("(k) mmap edge cases", ik);
    run("(k) MAP_LOCKED limit 0 no cap", ik_lim);
    run("(k) MAP_LOCKED over limit 16K no cap", ik_lim2);
    run("(k) MAP_LOCKED limit 4095 no cap", ik_lim3);
    return 0;
}
