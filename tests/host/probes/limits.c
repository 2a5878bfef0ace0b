/* limits.c - RLIMIT_MEMLOCK arithmetic: items 8-15 */
#include "probe.h"

static void i8_9(void)
{
    char *A = mapat(SLOT(1), 8, PROT_READ | PROT_WRITE, 0);
    set_memlock(16384); NOCAP();
    R(mlock(A, 5 * P)); L("after mlock(A,5P)", A, A + 8 * P);
    R(mlock(A, 4 * P)); L("after mlock(A,4P)", A, A + 8 * P);
    puts("  -- item 9");
    R(mlock(A, 4 * P)); L("after mlock(A,4P) again", A, A + 8 * P);
    R(mlock(A + 2 * P, 2 * P)); L("after mlock(A+2P,2P) (subset)", A, A + 8 * P);
    R(mlock(A + 3 * P, 2 * P)); L("after mlock(A+3P,2P) (1 new page over limit)", A, A + 8 * P);
    R(mlock2_(A, 4 * P, MLOCK_ONFAULT)); L("after mlock2(A,4P,ONFAULT) (toggle lf on locked)", A, A + 8 * P);
}
static void i10(void)
{
    char *A = mapat(SLOT(2), 8, PROT_READ | PROT_WRITE, 0);
    set_memlock(16384); NOCAP();
    R(mlock(A, 3 * P)); L("pages 0-2 locked", A, A + 8 * P);
    R(mlock(A, 4 * P)); L("after mlock(A,4P)", A, A + 8 * P);
    R(mlock(A + 4 * P, P)); L("after mlock(A+4P,P)", A, A + 8 * P);
}
static void i11(void)
{
    char *A = mapat(SLOT(3), 1, PROT_READ | PROT_WRITE, 0);
    set_memlock(4095); NOCAP();
    R(mlock(A, P));
    R(mlock(A, 0));
    R(mlock2_(A, P, MLOCK_ONFAULT));
    R(mlockall(MCL_CURRENT));
    R(mlockall(MCL_FUTURE));
    L("after", A, A + P);
}
static void i12(void)
{
    char *A = mapat(SLOT(4), 16384, PROT_READ | PROT_WRITE, 0);
    set_memlock(0);
    R(mlock(A, 64UL << 20)); L("after mlock 64MiB limit 0 with cap", A, A + 16384 * P);
}
static void i13(void)
{
    set_memlock(16384); NOCAP();
    printf("  VmSize=%ld kB\n", status_kb("VmSize"));
    R(mlockall(MCL_CURRENT | MCL_FUTURE));
    char *B = mmap(SLOT(5), P, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
    printf("  new mmap -> %p\n", B);
    L("new mmap after failed mlockall", B, B + P);
    R(mlockall(MCL_FUTURE | MCL_CURRENT | MCL_ONFAULT));
}
static void i14(void)
{
    set_memlock(16384); NOCAP();
    R(mlockall(MCL_FUTURE));
    char *S = SLOT(6);
    R(mmap(S, 8 * P, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0));
    L("after mmap 8P", S, S + 32 * P);
    R(mmap(S, 4 * P, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0));
    L("after mmap 4P", S, S + 32 * P);
    R(mmap(S + 16 * P, P, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0));
    L("after mmap P", S, S + 32 * P);
    R(mmap(S + 16 * P, P, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0));
    puts("  (PROT_NONE under MCL_FUTURE is also checked)");
    R(munlockall());
    R(mmap(S + 16 * P, P, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0));
    L("after munlockall + mmap P", S, S + 32 * P);
}
static void i15(void)
{
    char *R0 = SLOT(7);
    set_memlock(16384); NOCAP();
    R(mmap(R0, 4 * P, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE | MAP_LOCKED, -1, 0));
    memset(R0, 0x5a, 4 * P);
    L("R locked", R0, R0 + 4 * P);
    R(mmap(R0, 4 * P, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED | MAP_LOCKED, -1, 0));
    L("after MAP_FIXED|MAP_LOCKED over R", R0, R0 + 4 * P);
    printf("  R[0] = %#x (0x5a = old contents preserved)\n", R0[0]);
    R(mmap(R0, 4 * P, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0));
    L("after MAP_FIXED (no MAP_LOCKED) over R", R0, R0 + 4 * P);
}
int main(void)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    run("items 8-9: limit 16K, 8-page A", i8_9);
    run("item 10: overlap subtraction", i10);
    run("item 11: limit 4095 bytes", i11);
    run("item 12: limit 0 with CAP_IPC_LOCK, 64 MiB", i12);
    run("item 13: mlockall(CURRENT|FUTURE) over limit", i13);
    run("item 14: MCL_FUTURE + limit 16K", i14);
    run("item 15: MAP_FIXED|MAP_LOCKED over locked R", i15);
    return 0;
}
