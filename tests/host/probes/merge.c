/* merge.c - split/merge items 30-46 (38-42 change vm.max_map_count, restored by parent) */
#include "probe.h"

static void set_mmc(long v)
{
    char b[32]; int n = snprintf(b, sizeof b, "%ld\n", v);
    int fd = open("/proc/sys/vm/max_map_count", O_WRONLY);
    if (fd < 0 || write(fd, b, n) != n) { perror("max_map_count"); exit(1); }
    close(fd);
    printf("  (vm.max_map_count := %ld; map_count now %d)\n", v, map_count());
}
static void restore_mmc(void) { set_mmc(65530); }

static void i30_31(void)
{
    char *A = mapat(SLOT(1), 3, PROT_READ | PROT_WRITE, 0);
    L("start", A, A + 3 * P);
    R(mlock(A + P, P)); L("after mlock(A+P,P) (30)", A, A + 3 * P);
    R(munlock(A + P, P)); L("after munlock(A+P,P) (31)", A, A + 3 * P);
}
static void i32(void)
{
    char *A = mapat(SLOT(2), 3, PROT_READ | PROT_WRITE, 0);
    A[0] = 1;
    R(mlock(A + P, P)); L("after write p0, mlock(A+P,P)", A, A + 3 * P);
    R(munlock(A + P, P)); L("after munlock (32)", A, A + 3 * P);
}
static void i33(void)
{
    char *A = mapat(SLOT(3), 3, PROT_READ | PROT_WRITE, 0);
    R(mlock(A + P, P));
    A[0] = 1;
    L("after mlock(A+P,P), then write p0", A, A + 3 * P);
    R(munlock(A + P, P)); L("after munlock (33)", A, A + 3 * P);
    A[2 * P] = 1;
    L("after writing p2 too", A, A + 3 * P);
    R(mlock(A, 3 * P)); L("mlock whole range", A, A + 3 * P);
    R(munlock(A, 3 * P)); L("munlock whole range", A, A + 3 * P);
}
static void i34(void)
{
    char *A = mapat(SLOT(4), 4, PROT_READ | PROT_WRITE, 0);
    R(mlock(A, 2 * P)); L("after mlock(A,2P)", A, A + 4 * P);
    R(mlock(A + 2 * P, P)); L("after mlock(A+2P,P) (34 case 4)", A, A + 4 * P);
}
static void i35(void)
{
    char *A = mapat(SLOT(5), 4, PROT_READ | PROT_WRITE, 0);
    R(mlock(A + 2 * P, 2 * P)); L("after mlock(A+2P,2P)", A, A + 4 * P);
    R(mlock(A + P, P)); L("after mlock(A+P,P) (35 case 5)", A, A + 4 * P);
}
static void i36(void)
{
    char *A = mapat(SLOT(6), 3, PROT_READ | PROT_WRITE, 0);
    R(mlock(A, 3 * P)); R(munlock(A + P, P));
    L("L U L", A, A + 3 * P);
    R(mlock(A + P, P)); L("after mlock(A+P,P) (36 case 6)", A, A + 3 * P);
}
static void i37(void)
{
    char *A = SLOT(7);
    R(mmap(A, 2 * P, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE | MAP_LOCKED, -1, 0));
    R(mmap(A + 2 * P, 2 * P, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0));
    L("two adjacent mmaps, first locked", A, A + 4 * P);
    R(mlock(A, 4 * P)); L("after mlock(A,4P) (37)", A, A + 4 * P);
    puts("  -- variant: second VMA written (own anon_vma) before mlock");
    char *B = A + 16 * P;
    R(mmap(B, 2 * P, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE | MAP_LOCKED, -1, 0));
    R(mmap(B + 2 * P, 2 * P, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0));
    B[2 * P] = 1;
    R(mlock(B, 4 * P)); L("after mlock(B,4P), second had own anon_vma", B, B + 4 * P);
    puts("  -- variant: two adjacent plain mmaps (merge at mmap time?)");
    char *C = A + 32 * P;
    mapat(C, 2, PROT_READ | PROT_WRITE, 0); mapat(C + 2 * P, 2, PROT_READ | PROT_WRITE, 0);
    L("C: two adjacent untouched mmaps", C, C + 4 * P);
    char *D = A + 48 * P;
    mapat(D, 2, PROT_READ | PROT_WRITE, 0); D[0] = 1; mapat(D + 2 * P, 2, PROT_READ | PROT_WRITE, 0);
    L("D: first written, then adjacent mmap", D, D + 4 * P);
    char *E = A + 64 * P;
    mapat(E + 2 * P, 2, PROT_READ | PROT_WRITE, 0); E[2 * P] = 1; mapat(E, 2, PROT_READ | PROT_WRITE, 0);
    L("E: upper written, then mmap below", E, E + 4 * P);
    char *F = A + 80 * P;
    mapat(F, 2, PROT_READ | PROT_WRITE, 0); F[0] = 1; mapat(F + 4 * P, 2, PROT_READ | PROT_WRITE, 0); F[4 * P] = 1;
    mapat(F + 2 * P, 2, PROT_READ | PROT_WRITE, 0);
    L("F: both neighbours written (different anon_vmas), fill gap", F, F + 6 * P);
}
static void i38(void)
{
    char *A = mapat(SLOT(8), 3, PROT_READ | PROT_WRITE, 0);
    set_mmc(map_count());
    R(mlock(A + P, P)); L("after mlock(A+P,P) at max (38)", A, A + 3 * P);
    R(mprotect(A + P, P, PROT_READ)); L("after mprotect (42)", A, A + 3 * P);
    R(madvise(A + P, P, MADV_DONTFORK)); L("after madvise DONTFORK (42)", A, A + 3 * P);
    R(mlock(A, P)); L("after mlock(A,P) at max (1 split needed)", A, A + 3 * P);
    R(munmap(A + P, P)); L("after munmap(A+P,P) at max (hole punch)", A, A + 3 * P);
    R(munmap(A, P)); L("after munmap(A,P) at max (edge)", A, A + 3 * P);
    puts("  -- mmap at max (do_mmap tests map_count > max)");
    R(mmap(SLOT(8) + 64 * P, P, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0));
    printf("  map_count now %d\n", map_count());
    R(mmap(SLOT(8) + 66 * P, P, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0));
    printf("  map_count now %d\n", map_count());
    R(mmap(SLOT(8) + 68 * P, P, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0));
    printf("  map_count now %d\n", map_count());
    restore_mmc();
}
static void i39(void)
{
    char *A = mapat(SLOT(9), 3, PROT_READ | PROT_WRITE, 0);
    set_mmc(map_count() + 1);
    R(mlock(A + P, P)); L("after mlock(A+P,P) at max-1 (39)", A, A + 3 * P);
    restore_mmc();
}
static void i39b(void)
{
    char *A = mapat(SLOT(9), 3, PROT_READ | PROT_WRITE, 0);
    set_mmc(map_count() + 1);
    R(mprotect(A + P, P, PROT_READ)); L("after mprotect(A+P,P) at max-1", A, A + 3 * P);
    restore_mmc();
}
static void i39c(void)
{
    char *A = mapat(SLOT(9), 3, PROT_READ | PROT_WRITE, 0);
    set_mmc(map_count() + 1);
    R(madvise(A + P, P, MADV_DONTFORK)); L("after madvise(A+P,P,DONTFORK) at max-1", A, A + 3 * P);
    restore_mmc();
}
static void i39d(void)
{
    char *A = mapat(SLOT(9), 3, PROT_READ | PROT_WRITE, 0);
    set_mmc(map_count() + 1);
    R(munmap(A + P, P)); L("after munmap(A+P,P) at max-1", A, A + 3 * P);
    restore_mmc();
}
static void i40(void)
{
    char *A = mapat(SLOT(10), 3, PROT_READ | PROT_WRITE, 0);
    set_mmc(map_count() + 1);
    R(mlock(A, P)); L("after mlock(A,P) at max-1 (40)", A, A + 3 * P);
    restore_mmc();
}
static void i41(void)
{
    char *A = mapat(SLOT(11), 3, PROT_READ | PROT_WRITE, 0);
    R(mlock(A + 2 * P, P));
    L("U U L", A, A + 3 * P);
    set_mmc(map_count());
    R(mlock(A + P, P)); L("after mlock(A+P,P) at max (41, merge)", A, A + 3 * P);
    R(munlock(A + P, P)); L("after munlock(A+P,P) at max (merge back into prev)", A, A + 3 * P);
    restore_mmc();
}
static void i43(void)
{
    char *A = mapat(SLOT(12), 3, PROT_READ | PROT_WRITE, 0);
    R(mlock(A, 3 * P));
    R(mprotect(A + P, P, PROT_READ)); L("after mprotect(A+P,P,READ) on locked (43)", A, A + 3 * P);
    R(mprotect(A + P, P, PROT_READ | PROT_WRITE)); L("after mprotect back RW", A, A + 3 * P);
}
static void i44(void)
{
    char *A = mapat(SLOT(13), 2, PROT_READ | PROT_WRITE, 0);
    char *B = mapat(SLOT(13) + 3 * P, 2, PROT_READ | PROT_WRITE, 0);
    (void)B;
    L("[A][hole][B]", A, A + 5 * P);
    R(mlock(A, 5 * P)); L("after mlock(A,5P) (44)", A, A + 5 * P);
    R(munlock(A, 5 * P)); L("after munlock(A,5P)", A, A + 5 * P);
    R(mlock2_(A, 5 * P, MLOCK_ONFAULT)); L("after mlock2(A,5P,ONFAULT)", A, A + 5 * P);
    R(munlockall());
    R(mprotect(A, 5 * P, PROT_READ)); L("after mprotect(A,5P,READ)", A, A + 5 * P);
    R(madvise(A, 5 * P, MADV_DONTFORK)); L("after madvise(A,5P,DONTFORK)  (i)", A, A + 5 * P);
    R(madvise(A, 5 * P, MADV_DOFORK));
    R(madvise(A, 5 * P, MADV_WILLNEED));
    R(madvise(A, 5 * P, MADV_DONTNEED));
    R(madvise(A, 5 * P, MADV_NORMAL));
    R(madvise(A + 2 * P, P, MADV_NORMAL));
    R(msync(A, 5 * P, MS_SYNC));
    R(msync(A, 5 * P, MS_ASYNC));
    R(munmap(A, 5 * P)); L("after munmap(A,5P)", A, A + 5 * P);
}
static void i45(void)
{
    char *A = mapat(SLOT(14), 2, PROT_READ | PROT_WRITE, 0);
    R(mlock(A, 4 * P)); L("after mlock(A,4P) with A 2P (45)", A, A + 4 * P);
}
static void i46(void)
{
    char *A = mapat(SLOT(15) + 2 * P, 2, PROT_READ | PROT_WRITE, 0);
    R(mlock(A - 2 * P, 4 * P)); L("after mlock(A-2P,4P) (46)", A - 2 * P, A + 2 * P);
    R(mprotect(A - 2 * P, 4 * P, PROT_READ)); L("after mprotect(A-2P,4P)", A - 2 * P, A + 2 * P);
    R(madvise(A - 2 * P, 4 * P, MADV_DONTFORK)); L("after madvise(A-2P,4P,DONTFORK)", A - 2 * P, A + 2 * P);
}
static void i_mprotect_unmergeable(void)
{
    puts("  -- untouched private anon made RO loses ac; neighbour merge?");
    char *A = mapat(SLOT(16), 3, PROT_READ | PROT_WRITE, 0);
    R(mprotect(A + P, P, PROT_READ)); L("after mprotect(A+P,P,READ)", A, A + 3 * P);
    R(mprotect(A + P, P, PROT_READ | PROT_WRITE)); L("after mprotect back to RW", A, A + 3 * P);
}
int main(void)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    run("items 30-31", i30_31);
    run("item 32", i32);
    run("item 33", i33);
    run("item 34", i34);
    run("item 35", i35);
    run("item 36", i36);
    run("item 37 (+ mmap-time merge variants)", i37);
    run("items 38/42 (max_map_count = count)", i38); restore_mmc();
    run("item 39 (max = count+1) mlock", i39); restore_mmc();
    run("item 39b mprotect", i39b); restore_mmc();
    run("item 39c madvise", i39c); restore_mmc();
    run("item 39d munmap", i39d); restore_mmc();
    run("item 40", i40); restore_mmc();
    run("item 41", i41); restore_mmc();
    run("item 43", i43);
    run("item 44 + (i)", i44);
    run("item 45", i45);
    run("item 46", i46);
    run("extra: mprotect RO drops ac", i_mprotect_unmergeable);
    restore_mmc();
    return 0;
}
