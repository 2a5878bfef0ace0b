/* layout.c - (a) initial address space, (b) hint-less placement, (c) mmap_base vs stack, (d) VmFlags per mapping type.
   Build twice: gcc -O1 -Wall layout.c -o layout_dyn ; gcc -O1 -Wall -static layout.c -o layout_static */
#include "probe.h"
#include <sys/prctl.h>

/* dump every VMA without using malloc (raw read into a static buffer) */
static char sbuf[1 << 20];
static void dump_all(const char *title, int only_heap)
{
    int fd = open("/proc/self/smaps", O_RDONLY); long n = 0, r;
    while ((r = read(fd, sbuf + n, sizeof sbuf - 1 - n)) > 0) n += r;
    close(fd); sbuf[n] = 0;
    char out[512]; int k = snprintf(out, sizeof out, "--- %s ---\n", title); write(1, out, k);
    char *line = sbuf, hdr[300] = ""; unsigned long s = 0, e = 0;
    while (line && *line) {
        char *nl = strchr(line, '\n'); if (nl) *nl = 0;
        unsigned long a, b;
        if (sscanf(line, "%lx-%lx ", &a, &b) == 2 && strchr(line, '-') < strchr(line, ' ')) { s = a; e = b; snprintf(hdr, sizeof hdr, "%.290s", line); }
        else if (!strncmp(line, "VmFlags:", 8)) {
            if (!only_heap || strstr(hdr, "[heap]")) {
                k = snprintf(out, sizeof out, "%-100s | %5lu pg |%s\n", hdr, (e - s) / P, line + 8); write(1, out, k);
            }
        }
        line = nl ? nl + 1 : NULL;
    }
    k = snprintf(out, sizeof out, "VmSize=%ld kB VmLck=%ld kB VmData=%ld kB VmStk=%ld kB map_count=%d\n",
                 status_kb("VmSize"), status_kb("VmLck"), status_kb("VmData"), status_kb("VmStk"), map_count());
    write(1, out, k);
}
static void flags_of(const char *label, void *p)
{
    int fd = open("/proc/self/smaps", O_RDONLY); long n = 0, r;
    while ((r = read(fd, sbuf + n, sizeof sbuf - 1 - n)) > 0) n += r;
    close(fd); sbuf[n] = 0;
    char *line = sbuf; int in = 0;
    while (line && *line) {
        char *nl = strchr(line, '\n'); if (nl) *nl = 0;
        unsigned long a, b;
        if (sscanf(line, "%lx-%lx ", &a, &b) == 2 && strchr(line, '-') < strchr(line, ' ')) in = ((unsigned long)p >= a && (unsigned long)p < b);
        else if (in && !strncmp(line, "VmFlags:", 8)) { printf("  %-42s |%s|\n", label, line + 8); break; }
        line = nl ? nl + 1 : NULL;
    }
}
int main(int argc, char **argv)
{
    (void)argc; (void)argv;
    dump_all("initial smaps (before any malloc)", 0);
    void *m = malloc(16); (void)m;
    dump_all("[heap] after first malloc(16)", 1);
    void *b0 = sbrk(0); sbrk(P); void *b1 = sbrk(0);
    printf("sbrk: %p -> %p\n", b0, b1);
    dump_all("[heap] after sbrk(P)", 1);
    /* (b) hint-less placement */
    char *x = mmap(NULL, P, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    char *y = mmap(NULL, P, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    char *z = mmap(NULL, 3 * P, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    printf("(b) mmap#1=%p mmap#2=%p (#2-#1 = %ld pages) mmap#3(RO,3P)=%p (#3-#2 = %ld pages)\n", x, y, (long)(y - x) / (long)P, z, (long)(z - y) / (long)P);
    L("(b) #1..#2 region", z, x + P);
    /* (c) */
    int local; unsigned long st = (unsigned long)&local;
    FILE *f = fopen("/proc/self/maps", "r"); char line[512]; unsigned long sts = 0, ste = 0, top_lib = 0;
    while (fgets(line, sizeof line, f)) {
        unsigned long a, b; sscanf(line, "%lx-%lx", &a, &b);
        if (strstr(line, "[stack]")) { sts = a; ste = b; }
        else if (b < 0x7ff000000000UL && b > top_lib && !strstr(line, "[v")) top_lib = b;
    }
    fclose(f);
    printf("(c) [stack] %#lx-%#lx, &local=%#lx, highest non-stack/non-vdso VMA end=%#lx, first mmap=%p\n", sts, ste, st, top_lib, (void *)x);
    printf("(c) stack_end - first_mmap = %lu MiB; stack_start - highest_vma_end = %lu MiB; RLIMIT_STACK=%ld\n",
           (ste - (unsigned long)x) >> 20, (sts - top_lib) >> 20, (long)({ struct rlimit rl; getrlimit(RLIMIT_STACK, &rl); (long)rl.rlim_cur; }));
    /* (d) */
    puts("(d) VmFlags by mapping type");
    char *pa = mmap(NULL, P, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0); flags_of("private anon RW", pa);
    char *pr = mmap(NULL, P, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0); flags_of("private anon RO", pr);
    char *pn = mmap(NULL, P, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0); flags_of("private anon PROT_NONE", pn);
    char *px = mmap(NULL, P, PROT_READ | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0); flags_of("private anon RX", px);
    char *pw = mmap(NULL, P, PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0); flags_of("private anon W-only", pw);
    char *sa = mmap(NULL, P, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0); flags_of("shared anon RW", sa);
    char *sr = mmap(NULL, P, PROT_READ, MAP_SHARED | MAP_ANONYMOUS, -1, 0); flags_of("shared anon RO", sr);
    int fd = open("/tmp/mmsim_probe_layout", O_RDWR | O_CREAT | O_TRUNC, 0600); ftruncate(fd, P);
    char *pf = mmap(NULL, P, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0); flags_of("private file RW", pf);
    char *pfr = mmap(NULL, P, PROT_READ, MAP_PRIVATE, fd, 0); flags_of("private file RO", pfr);
    char *sf = mmap(NULL, P, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0); flags_of("shared file RW", sf);
    char *sfr = mmap(NULL, P, PROT_READ, MAP_SHARED, fd, 0); flags_of("shared file RO (fd O_RDWR)", sfr);
    int fdr = open("/tmp/mmsim_probe_layout", O_RDONLY);
    char *sfro = mmap(NULL, P, PROT_READ, MAP_SHARED, fdr, 0); flags_of("shared file RO (fd O_RDONLY)", sfro);
    char *gd = mmap(SLOT(1) + 64 * P, P, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_GROWSDOWN | MAP_FIXED_NOREPLACE, -1, 0); flags_of("MAP_GROWSDOWN", gd);
    char *stk = mmap(NULL, P, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0); flags_of("MAP_STACK", stk);
    char *nr = mmap(NULL, P, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0); flags_of("MAP_NORESERVE", nr);
    char *pop = mmap(NULL, P, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0); flags_of("MAP_POPULATE", pop);
    char *dr = mmap(NULL, P, PROT_READ | PROT_WRITE, MAP_DROPPABLE | MAP_ANONYMOUS, -1, 0); flags_of("MAP_DROPPABLE", dr);
    char *a1 = mapat(SLOT(2), 1, PROT_READ | PROT_WRITE, 0); madvise(a1, P, MADV_DONTFORK); flags_of("private anon + MADV_DONTFORK", a1);
    char *a2 = mapat(SLOT(2) + 4 * P, 1, PROT_READ | PROT_WRITE, 0); madvise(a2, P, MADV_WIPEONFORK); flags_of("private anon + MADV_WIPEONFORK", a2);
    char *a3 = mapat(SLOT(2) + 8 * P, 1, PROT_READ | PROT_WRITE, 0); madvise(a3, P, MADV_DONTDUMP); flags_of("private anon + MADV_DONTDUMP", a3);
    char *a4 = mapat(SLOT(2) + 12 * P, 1, PROT_READ | PROT_WRITE, 0); madvise(a4, P, MADV_HUGEPAGE); flags_of("private anon + MADV_HUGEPAGE", a4);
    char *a5 = mapat(SLOT(2) + 16 * P, 1, PROT_READ | PROT_WRITE, 0); madvise(a5, P, MADV_NOHUGEPAGE); flags_of("private anon + MADV_NOHUGEPAGE", a5);
    char *a6 = mapat(SLOT(2) + 20 * P, 1, PROT_READ | PROT_WRITE, 0); madvise(a6, P, MADV_RANDOM); flags_of("private anon + MADV_RANDOM", a6);
    char *a7 = mapat(SLOT(2) + 24 * P, 1, PROT_READ | PROT_WRITE, 0); madvise(a7, P, MADV_SEQUENTIAL); flags_of("private anon + MADV_SEQUENTIAL", a7);
    char *a8 = mapat(SLOT(2) + 28 * P, 1, PROT_READ | PROT_WRITE, 0); printf("  MADV_MERGEABLE -> %d\n", madvise(a8, P, MADV_MERGEABLE)); flags_of("private anon + MADV_MERGEABLE", a8);
    char *a9 = mapat(SLOT(2) + 32 * P, 1, PROT_READ | PROT_WRITE, 0); mlock(a9, P); flags_of("private anon + mlock", a9);
    char *a10 = mapat(SLOT(2) + 36 * P, 1, PROT_READ | PROT_WRITE, 0); mlock2_(a10, P, MLOCK_ONFAULT); flags_of("private anon + mlock2(ONFAULT)", a10);
    printf("  mseal -> %ld (%s)\n", syscall(462, SLOT(2) + 40 * P, 0, 0), strerrorname_np(errno));
    char *a11 = mapat(SLOT(2) + 40 * P, 1, PROT_READ | PROT_WRITE, 0); long ms = syscall(462, a11, P, 0);
    printf("  mseal(a11) -> %ld %s\n", ms, ms ? strerrorname_np(errno) : ""); flags_of("private anon + mseal", a11);
    errno = 0; int mu = munmap(a11, P); printf("  munmap sealed -> %d %s\n", mu, strerrorname_np(errno));
    errno = 0; mu = mprotect(a11, P, PROT_READ); printf("  mprotect sealed -> %d %s\n", mu, strerrorname_np(errno));
    errno = 0; mu = madvise(a11, P, MADV_DONTNEED); printf("  madvise(DONTNEED) sealed -> %d %s\n", mu, strerrorname_np(errno));
    errno = 0; mu = mlock(a11, P); printf("  mlock sealed -> %d %s\n", mu, strerrorname_np(errno)); flags_of("sealed after mlock", a11);
    errno = 0; int pr_ = prctl(0x53564d41, 0, (unsigned long)a2, P, (unsigned long)"x"); printf("  PR_SET_VMA_ANON_NAME -> %d %s\n", pr_, strerrorname_np(errno));
    unlink("/tmp/mmsim_probe_layout");
    (void)y; (void)pr; (void)pn; (void)px; (void)pw; (void)sa; (void)sr; (void)pf; (void)pfr; (void)sf; (void)sfr; (void)sfro;
    return 0;
}
