/* mlockall.c - items 16-21 */
#include "probe.h"

static void i16(void)
{
    R(mlockall(MCL_FUTURE));
    char *A = mapat(SLOT(1), 1, PROT_READ | PROT_WRITE, 0);
    L("mmap after MCL_FUTURE", A, A + P);
    R(mlockall(MCL_CURRENT));
    char *B = mapat(SLOT(1) + 4 * P, 1, PROT_READ | PROT_WRITE, 0);
    L("after mlockall(MCL_CURRENT) + new mmap at +4", A, A + 8 * P);
    R(munlockall());
}
static void i17(void)
{
    R(mlockall(MCL_FUTURE | MCL_ONFAULT));
    char *A = SLOT(2);
    R(mmap(A, 4 * P, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE | MAP_POPULATE, -1, 0));
    L("after mmap(4P, MAP_POPULATE)", A, A + 4 * P);
    R(mmap(A + 8 * P, 4 * P, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE | MAP_LOCKED, -1, 0));
    L("after mmap(4P, MAP_LOCKED) under FUTURE|ONFAULT", A + 8 * P, A + 12 * P);
    R(munlockall());
}
static void i18_19(void)
{
    char *A = mapat(SLOT(3), 4, PROT_READ | PROT_WRITE, 0);
    R(mlockall(MCL_CURRENT | MCL_ONFAULT));
    L("after mlockall(CURRENT|ONFAULT)", A, A + 4 * P);
    A[0] = 1;
    L("after writing page 0", A, A + 4 * P);
    pflags("A[0]", A);
    puts("  -- item 19");
    R(mlockall(MCL_CURRENT));
    L("after mlockall(CURRENT)", A, A + 4 * P);
    pflags("A[3]", A + 3 * P);
    R(munlockall());
    L("after munlockall", A, A + 4 * P);
    pflags("A[3]", A + 3 * P);
}
static void i20(void)
{
    char *N = mapat(SLOT(4), 2, PROT_NONE, 0);
    char *A = mapat(SLOT(4) + 4 * P, 2, PROT_READ | PROT_WRITE, 0);
    char *Ro = mapat(SLOT(4) + 8 * P, 2, PROT_READ, 0);
    R(mlockall(MCL_CURRENT));
    L("after mlockall(CURRENT)", N, N + 12 * P);
    (void)A; (void)Ro;
    R(msync(N, P, MS_INVALIDATE));
    R(msync(A, P, MS_INVALIDATE));
    R(msync(A, P, MS_SYNC));
    R(munlockall());
}
static void i21(void)
{
    char *A = mapat(SLOT(5), 3, PROT_READ | PROT_WRITE, 0);
    char *B = mapat(SLOT(5) + 8 * P, 3, PROT_READ | PROT_WRITE, 0);
    char *C = mapat(SLOT(5) + 16 * P, 3, PROT_READ | PROT_WRITE, 0);
    R(mlock(A + P, P));             /* untouched neighbours: should re-merge */
    B[0] = 1; R(mlock(B + P, P));   /* page 0 written first */
    R(mlock(C + P, P)); C[0] = 1;   /* written after split: own anon_vma */
    R(mlockall(MCL_FUTURE));
    L("before munlockall", A, A + 19 * P);
    R(munlockall());
    L("after munlockall", A, A + 19 * P);
    char *D = mapat(SLOT(5) + 32 * P, 1, PROT_READ | PROT_WRITE, 0);
    L("new mmap after munlockall", D, D + P);
}
static void i_mcl_current_locks_and_faults(void)
{
    puts("  -- mlockall(MCL_CURRENT) on a region with an ONFAULT VMA and a file-less PROT_READ VMA");
    char *A = mapat(SLOT(6), 2, PROT_READ, 0);
    R(mlockall(MCL_CURRENT));
    L("PROT_READ region after MCL_CURRENT", A, A + 2 * P);
    pflags("A[0]", A);
    R(munlockall());
}
int main(void)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    run("item 16: FUTURE then CURRENT", i16);
    run("item 17: FUTURE|ONFAULT + MAP_POPULATE", i17);
    run("items 18-19: CURRENT|ONFAULT then CURRENT", i18_19);
    run("item 20: mlockall(CURRENT) with PROT_NONE VMA", i20);
    run("item 21: munlockall re-merge", i21);
    run("extra: MCL_CURRENT on PROT_READ anon", i_mcl_current_locks_and_faults);
    return 0;
}
