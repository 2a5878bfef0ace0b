/* madvise.c - items 57-59, (h) mixed locked/unlocked ranges, (g) msync */
#include "probe.h"
#ifndef MADV_COLD
#define MADV_COLD 20
#endif
#ifndef MADV_PAGEOUT
#define MADV_PAGEOUT 21
#endif

static void i57(void)
{
    char *A = SLOT(1);
    R(mmap(A, 2 * P, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE | MAP_LOCKED, -1, 0));
    memset(A, 7, 2 * P);
    R(madvise(A, 2 * P, MADV_DONTNEED));
    R(madvise(A, 2 * P, MADV_FREE));
    R(madvise(A, 2 * P, MADV_REMOVE));
    R(madvise(A, 2 * P, MADV_COLD));
    R(madvise(A, 2 * P, MADV_PAGEOUT));
    R(madvise(A, 2 * P, MADV_WILLNEED));
    R(madvise(A, 2 * P, MADV_DONTFORK));
    L("after refused advices + DONTFORK", A, A + 2 * P);
    R(madvise(A, 2 * P, MADV_DOFORK));
    R(madvise(A, 2 * P, MADV_DONTNEED_LOCKED));
    L("after MADV_DONTNEED_LOCKED", A, A + 2 * P);
    printf("  A[0]=%d\n", A[0]);
    L("after reading A[0]", A, A + 2 * P);
    pflags("A[0]", A);
    A[P] = 1;
    L("after writing A[P]", A, A + 2 * P);
    pflags("A[P]", A + P);
}
static void i58_h(const char *which, int adv)
{
    char *U = SLOT(2) + (adv & 0xff) * 16 * P, *Lk = U + P;
    mapat(U, 2, PROT_READ | PROT_WRITE, 0);
    memset(U, 9, 2 * P);
    R(mlock(Lk, P));
    L("[U written | L locked]", U, U + 2 * P);
    printf("  madvise(U, 2P, %s):\n", which);
    R(madvise(U, 2 * P, adv));
    printf("  U[0]=%d (9 = not zapped) L[0]=%d\n", U[0], Lk[0]);
    L("after", U, U + 2 * P);
    pflags("U[0]", U);
    puts("  -- reversed order [L locked | U written]");
    char *L2 = U + 8 * P, *U2 = L2 + P;
    mapat(L2, 2, PROT_READ | PROT_WRITE, 0);
    memset(L2, 9, 2 * P);
    R(mlock(L2, P));
    R(madvise(L2, 2 * P, adv));
    printf("  U2[0]=%d\n", U2[0]);
    L("after", L2, L2 + 2 * P);
    pflags("U2[0]", U2);
}
static void i58(void) { i58_h("MADV_DONTNEED", MADV_DONTNEED); }
static void h_free(void) { i58_h("MADV_FREE", MADV_FREE); }
static void h_cold(void) { i58_h("MADV_COLD", MADV_COLD); }
static void h_pageout(void) { i58_h("MADV_PAGEOUT", MADV_PAGEOUT); }
static void i59(void)
{
    char *A = SLOT(3);
    R(mmap(A, 2 * P, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE | MAP_LOCKED, -1, 0));
    R(madvise(A, 2 * P, MADV_PAGEOUT));
    R(madvise(A, 2 * P, MADV_COLD));
    R(madvise(A, P, MADV_COLD));
    puts("  -- ONFAULT locked");
    char *B = mapat(A + 8 * P, 2, PROT_READ | PROT_WRITE, 0);
    R(mlock2_(B, 2 * P, MLOCK_ONFAULT));
    R(madvise(B, 2 * P, MADV_PAGEOUT));
    R(madvise(B, 2 * P, MADV_COLD));
    R(madvise(B, 2 * P, MADV_DONTNEED));
    puts("  -- empty range / len 0");
    R(madvise(A, 0, MADV_COLD));
    R(madvise(A, 0, MADV_PAGEOUT));
    puts("  -- unlocked written page: COLD / PAGEOUT (no swap)");
    char *C = mapat(A + 16 * P, 1, PROT_READ | PROT_WRITE, 0);
    C[0] = 1; R(madvise(A, 0, MADV_COLD));
    pflags("C before", C);
    R(madvise(C, P, MADV_COLD)); pflags("C after COLD", C);
    R(madvise(C, P, MADV_PAGEOUT)); pflags("C after PAGEOUT", C);
    L("C", C, C + P);
}
static void g_msync(void)
{
    char *A = mapat(SLOT(4), 2, PROT_READ | PROT_WRITE, 0);
    char *B = mapat(SLOT(4) + 2 * P, 2, PROT_READ | PROT_WRITE, 0);
    (void)B;
    R(mlock(A + 2 * P, P));   /* lock first page of B region */
    L("layout", A, A + 4 * P);
    R(msync(A, 2 * P, MS_INVALIDATE));
    R(msync(A, 4 * P, MS_INVALIDATE));
    R(msync(A + 2 * P, P, MS_INVALIDATE));
    R(msync(A + 2 * P, P, MS_INVALIDATE | MS_SYNC));
    R(msync(A + 2 * P, P, MS_INVALIDATE | MS_ASYNC));
    R(msync(A + 2 * P, P, MS_SYNC));
    R(mlock2_(A, P, MLOCK_ONFAULT));
    R(msync(A, P, MS_INVALIDATE));
}
int main(void)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    run("item 57: advice on locked", i57);
    run("item 58 / (h): DONTNEED over [U|L]", i58);
    run("(h): FREE over [U|L]", h_free);
    run("(h): COLD over [U|L]", h_cold);
    run("(h): PAGEOUT over [U|L]", h_pageout);
    run("item 59: PAGEOUT/COLD on locked", i59);
    run("(g) msync MS_INVALIDATE", g_msync);
    return 0;
}
