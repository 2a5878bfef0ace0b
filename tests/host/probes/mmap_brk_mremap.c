/* mmap_brk_mremap.c - items 47-56, 60, (e) MAP_DROPPABLE, open points 1-2 */
#include "probe.h"
#include <setjmp.h>

static void i47(void)
{
    char *A = SLOT(1);
    R(mmap(A, 4 * P, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE | MAP_LOCKED, -1, 0));
    L("after mmap(4P, MAP_LOCKED)", A, A + 4 * P);
    puts("  -- MAP_LOCKED|MAP_POPULATE read-only, and MAP_LOCKED PROT_NONE");
    R(mmap(A + 8 * P, 2 * P, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE | MAP_LOCKED, -1, 0));
    R(mmap(A + 12 * P, 2 * P, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE | MAP_LOCKED, -1, 0));
    R(mmap(A + 16 * P, 2 * P, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE | MAP_LOCKED, -1, 0));
    L("RO / NONE / shared-anon MAP_LOCKED", A + 8 * P, A + 18 * P);
    puts("  -- MAP_LOCKED adjacent to a locked VMA: merge at mmap time?");
    R(mmap(A + 4 * P, 2 * P, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE | MAP_LOCKED, -1, 0));
    L("after", A, A + 8 * P);
}
static void i48_e(void)
{
    char *A = SLOT(2);
    R(mmap(A, 2 * P, PROT_READ | PROT_WRITE, MAP_DROPPABLE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE | MAP_LOCKED, -1, 0));
    R(mmap(A, 2 * P, PROT_READ | PROT_WRITE, MAP_DROPPABLE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE | MAP_GROWSDOWN, -1, 0));
    R(mmap(A, 2 * P, PROT_READ | PROT_WRITE, MAP_DROPPABLE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE | MAP_HUGETLB, -1, 0));
    R(mmap(A, 2 * P, PROT_READ | PROT_WRITE, MAP_DROPPABLE | MAP_FIXED_NOREPLACE, -1, 0));
    R(mmap(A, 2 * P, PROT_READ | PROT_WRITE, MAP_DROPPABLE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0));
    L("plain MAP_DROPPABLE", A, A + 2 * P);
    R(mlock(A, 2 * P));
    L("after mlock", A, A + 2 * P);
    pflags("A[0]", A);
    R(mlock2_(A, 2 * P, MLOCK_ONFAULT));
    R(msync(A, P, MS_INVALIDATE));
    R(madvise(A, 2 * P, MADV_KEEPONFORK));
    R(madvise(A, 2 * P, MADV_DODUMP));
    L("after KEEPONFORK/DODUMP", A, A + 2 * P);
    R(mlockall(MCL_CURRENT));
    L("after mlockall(MCL_CURRENT)", A, A + 2 * P);
    R(munlockall());
    puts("  -- (e)/item 49/open 2: mlockall(MCL_FUTURE) then MAP_DROPPABLE");
    R(mlockall(MCL_FUTURE));
    R(mmap(A + 8 * P, 2 * P, PROT_READ | PROT_WRITE, MAP_DROPPABLE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0));
    L("droppable under MCL_FUTURE", A + 8 * P, A + 10 * P);
    R(msync(A + 8 * P, P, MS_INVALIDATE));
    R(munlockall());
    L("after munlockall", A + 8 * P, A + 10 * P);
    R(mlockall(MCL_FUTURE | MCL_ONFAULT));
    R(mmap(A + 16 * P, 2 * P, PROT_READ | PROT_WRITE, MAP_DROPPABLE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0));
    L("droppable under MCL_FUTURE|ONFAULT", A + 16 * P, A + 18 * P);
    R(munlockall());
}
static void i49_lim(void)
{
    set_memlock(4096); NOCAP();
    R(mlockall(MCL_FUTURE));
    R(mmap(SLOT(2) + 8 * P, 2 * P, PROT_READ | PROT_WRITE, MAP_DROPPABLE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0));
    L("droppable 2P under MCL_FUTURE, limit 4K", SLOT(2) + 8 * P, SLOT(2) + 10 * P);
}
static void heapdump(const char *label)
{
    char *cur = sbrk(0);
    /* show VMAs within 64 MiB below brk */
    printf("  brk=%p\n", cur);
    L(label, cur - (64UL << 20), cur + 64 * P);
}
static void i50(void)
{
    void *m = malloc(100); (void)m;
    heapdump("heap before");
    R(mlockall(MCL_FUTURE));
    R(sbrk(P));
    heapdump("after sbrk(+P) under MCL_FUTURE");
    R(sbrk(P));
    heapdump("after second sbrk(+P)");
    R(sbrk(-P));
    heapdump("after sbrk(-P)");
    R(munlockall());
    R(sbrk(P));
    heapdump("after munlockall + sbrk(+P)");
}
static void i51(void)
{
    void *m = malloc(100); (void)m;
    set_memlock(8192); NOCAP();
    R(mlockall(MCL_FUTURE));
    R(sbrk(P));
    heapdump("after sbrk(+P) (VmLck 4K of 8K)");
    char *b0 = sbrk(0);
    R(sbrk(2 * P));
    printf("  brk before %p after %p\n", b0, sbrk(0));
    heapdump("after sbrk(+2P) beyond limit");
    R(syscall(SYS_brk, b0 + 2 * P));
    R(syscall(SYS_brk, b0 + P));
    heapdump("after raw brk(+P)");
}
static void i52(void)
{
    char *A = SLOT(5);
    R(mmap(A, 4 * P, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE | MAP_LOCKED, -1, 0));
    long m0 = vmstat("nr_mlock");
    R(munmap(A + P, P));
    long m1 = vmstat("nr_mlock");
    L("after munmap(A+P,P)", A, A + 4 * P);
    printf("  nr_mlock delta=%ld (per-cpu vmstat, may lag)\n", m1 - m0);
}
static void i53(void)
{
    char *A = SLOT(6);
    R(mmap(A, 2 * P, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE | MAP_LOCKED, -1, 0));
    R(mremap(A, 2 * P, 4 * P, 0));
    L("after mremap grow in place", A, A + 4 * P);
    R(mremap(A, 4 * P, P, 0));
    L("after mremap shrink to 1P", A, A + 4 * P);
    puts("  -- ONFAULT VMA grown");
    char *B = A + 16 * P;
    mapat(B, 2, PROT_READ | PROT_WRITE, 0); R(mlock2_(B, 2 * P, MLOCK_ONFAULT));
    R(mremap(B, 2 * P, 4 * P, 0));
    L("after mremap grow lo lf", B, B + 4 * P);
}
static void i54(void)
{
    char *A = SLOT(7);
    R(mmap(A, 2 * P, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE | MAP_LOCKED, -1, 0));
    set_memlock(12288); NOCAP();
    R(mremap(A, 2 * P, 4 * P, 0));
    L("after mremap grow over limit", A, A + 4 * P);
    R(mremap(A, 2 * P, 4 * P, MREMAP_MAYMOVE));
    L("after mremap MAYMOVE grow over limit", A, A + 4 * P);
    R(mremap(A, 2 * P, 3 * P, 0));
    L("after mremap grow by 1 (fits)", A, A + 4 * P);
}
static void i55(void)
{
    char *A = SLOT(8), *B = SLOT(8) + 64 * P;
    R(mmap(A, 2 * P, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE | MAP_LOCKED, -1, 0));
    R(mremap(A, 2 * P, 2 * P, MREMAP_MAYMOVE | MREMAP_FIXED, B));
    L("A area", A, A + 2 * P);
    L("B area", B, B + 2 * P);
    pflags("B[0]", B);
    puts("  -- move with growth (MAYMOVE|FIXED, 2P->4P)");
    char *C = SLOT(8) + 128 * P;
    R(mremap(B, 2 * P, 4 * P, MREMAP_MAYMOVE | MREMAP_FIXED, C));
    L("C area", C, C + 4 * P);
}
static void i56(void)
{
    char *A = SLOT(9), *B = SLOT(9) + 64 * P;
    R(mmap(A, P, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE | MAP_LOCKED, -1, 0));
    A[0] = 0x42;
    L("before", A, A + P);
    R(mremap(A, P, P, MREMAP_MAYMOVE | MREMAP_DONTUNMAP | MREMAP_FIXED, B));
    L("A after DONTUNMAP", A, A + P);
    L("B after DONTUNMAP", B, B + P);
    R(msync(A, P, MS_INVALIDATE));
    R(msync(B, P, MS_INVALIDATE));
    printf("  A[0]=%#x B[0]=%#x\n", A[0], B[0]);
    L("A after reading", A, A + P);
    R(munmap(B, P));
    L("after munmap(B)", A, A + P);
    R(munmap(A, P));
    L("after munmap(A)", A, A + P);
    puts("  -- DONTUNMAP without FIXED (kernel-chosen destination), 2 pages");
    char *C = SLOT(9) + 128 * P;
    R(mmap(C, 2 * P, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE | MAP_LOCKED, -1, 0));
    R(mremap(C, 2 * P, 2 * P, MREMAP_MAYMOVE | MREMAP_DONTUNMAP)); /* glibc: 5th arg not passed -> garbage new_addr */
    R(syscall(SYS_mremap, C, 2 * P, 2 * P, MREMAP_MAYMOVE | MREMAP_DONTUNMAP, 1UL));
    R(syscall(SYS_mremap, C, 2 * P, 2 * P, MREMAP_MAYMOVE | MREMAP_DONTUNMAP, 0UL));
    void *D = (void *)r_ret;
    printf("  mremap DONTUNMAP -> %p  VmLck=%ld\n", D, status_kb("VmLck"));
    L("C after", C, C + 2 * P);
    L("D", D, (char *)D + 2 * P);
    R(munlockall());
    printf("  after munlockall VmLck=%ld\n", status_kb("VmLck"));
}
static void i56_lim(void)
{
    char *A = SLOT(9);
    R(mmap(A, P, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE | MAP_LOCKED, -1, 0));
    set_memlock(4096); NOCAP();
    R(mremap(A, P, P, MREMAP_MAYMOVE | MREMAP_DONTUNMAP | MREMAP_FIXED, SLOT(9) + 64 * P));
    L("A", A, A + P);
    R(mremap(A, P, P, MREMAP_MAYMOVE | MREMAP_FIXED, SLOT(9) + 64 * P));
    L("after plain move at full limit", SLOT(9) + 64 * P, SLOT(9) + 65 * P);
}
static sigjmp_buf jb;
static void segv(int s) { (void)s; siglongjmp(jb, 1); }
static void i60(void)
{
    char *G = SLOT(10) + 512 * P;   /* lots of room below */
    R(mmap(G, 2 * P, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_GROWSDOWN | MAP_LOCKED | MAP_FIXED_NOREPLACE, -1, 0));
    L("growsdown locked", G - 4 * P, G + 2 * P);
    signal(SIGSEGV, segv);
    if (!sigsetjmp(jb, 1)) { G[-1] = 1; puts("  touched G-1: ok"); } else puts("  touched G-1: SIGSEGV");
    L("after touching G-1", G - 4 * P, G + 2 * P);
    if (!sigsetjmp(jb, 1)) { G[-(long)(3 * P)] = 1; puts("  touched G-3P: ok"); } else puts("  touched G-3P: SIGSEGV");
    L("after touching G-3P (skips a page)", G - 8 * P, G + 2 * P);
    R(munlock(G - 3 * P, 5 * P));
}
static void i60_lim(void)
{
    char *G = SLOT(11) + 512 * P;
    R(mmap(G, 2 * P, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_GROWSDOWN | MAP_LOCKED | MAP_FIXED_NOREPLACE, -1, 0));
    set_memlock(8192); NOCAP();
    signal(SIGSEGV, segv);
    if (!sigsetjmp(jb, 1)) { G[-1] = 1; puts("  touched G-1: ok"); } else puts("  touched G-1: SIGSEGV");
    L("after touch with limit exhausted", G - 4 * P, G + 2 * P);
    puts("  -- growsdown guard gap: mapping 8 pages below, touch G-1");
}
static void i60_gap(void)
{
    char *G = SLOT(12) + 512 * P;
    R(mmap(G, 2 * P, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_GROWSDOWN | MAP_FIXED_NOREPLACE, -1, 0));
    mapat(G - 8 * P, 1, PROT_READ, 0);
    signal(SIGSEGV, segv);
    if (!sigsetjmp(jb, 1)) { G[-1] = 1; puts("  touched G-1: ok"); } else puts("  touched G-1: SIGSEGV");
    L("after touch (accessible VMA 7 pages below)", G - 8 * P, G + 2 * P);
}
static void i60_gap2(void)
{
    char *G = SLOT(12) + 512 * P;
    R(mmap(G, 2 * P, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_GROWSDOWN | MAP_FIXED_NOREPLACE, -1, 0));
    mapat(G - 8 * P, 1, PROT_NONE, 0);
    signal(SIGSEGV, segv);
    if (!sigsetjmp(jb, 1)) { G[-1] = 1; puts("  touched G-1: ok"); } else puts("  touched G-1: SIGSEGV");
    L("after touch (PROT_NONE VMA 7 pages below)", G - 8 * P, G + 2 * P);
}
int main(void)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    run("item 47: MAP_LOCKED", i47);
    run("item 48 + (e): MAP_DROPPABLE", i48_e);
    run("item 49 limit: droppable under MCL_FUTURE, limit 4K no cap", i49_lim);
    run("item 50: brk under MCL_FUTURE", i50);
    run("item 51: brk beyond limit", i51);
    run("item 52: munmap inside locked", i52);
    run("item 53: mremap grow locked", i53);
    run("item 54: mremap grow over limit", i54);
    run("item 55: mremap move locked", i55);
    run("item 56 / open 1: MREMAP_DONTUNMAP", i56);
    run("item 56b: DONTUNMAP at full limit", i56_lim);
    run("item 60: growsdown locked", i60);
    run("item 60b: growsdown locked, limit exhausted", i60_lim);
    run("item 60c: growsdown guard gap", i60_gap);
    run("item 60d: growsdown guard gap (PROT_NONE below)", i60_gap2);
    return 0;
}
