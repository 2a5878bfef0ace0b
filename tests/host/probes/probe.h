/* probe.h - helpers for host probes of Linux mm behaviour (mmsim oracle). */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#define P 4096UL
#ifndef MLOCK_ONFAULT
#define MLOCK_ONFAULT 1
#endif
#ifndef MCL_ONFAULT
#define MCL_ONFAULT 4
#endif
#ifndef MAP_DROPPABLE
#define MAP_DROPPABLE 0x08
#endif
#ifndef MADV_DONTNEED_LOCKED
#define MADV_DONTNEED_LOCKED 24
#endif
#ifndef MAP_FIXED_NOREPLACE
#define MAP_FIXED_NOREPLACE 0x100000
#endif

#define WIN 0x7e0000000000UL
/* each scenario gets its own 256 MiB slot inside the private window */
#define SLOT(n) ((char *)(WIN + (unsigned long)(n)*0x10000000UL))

static long r_ret;
static int r_err;
/* run a call, print text, return value and errno */
#define R(call)                                                   \
  do {                                                            \
    errno = 0;                                                    \
    r_ret = (long)(call);                                         \
    r_err = errno;                                                \
    if (r_ret == -1 || (r_ret == (long)MAP_FAILED))               \
      printf("  %-60s = -1 %s\n", #call, strerrorname_np(r_err)); \
    else                                                          \
      printf("  %-60s = %#lx\n", #call, (unsigned long)r_ret);    \
    fflush(stdout);                                               \
  } while (0)

static int mlock2_(void *a, size_t l, int f) { return syscall(SYS_mlock2, a, l, f); }

static long status_kb(const char *key) {
  FILE *f = fopen("/proc/self/status", "r");
  char line[256];
  long v = -1;
  size_t kl = strlen(key);
  while (fgets(line, sizeof line, f))
    if (!strncmp(line, key, kl) && line[kl] == ':') {
      v = atol(line + kl + 1);
      break;
    }
  fclose(f);
  return v;
}
static int map_count(void) {
  FILE *f = fopen("/proc/self/maps", "r");
  int c, n = 0;
  while ((c = fgetc(f)) != EOF)
    if (c == '\n') n++;
  fclose(f);
  return n - 1; /* minus [vsyscall] gate vma */
}
/* print VMAs of smaps overlapping [lo,hi) */
static void layout_base(const char *label, void *lo_, void *hi_, unsigned long base) {
  unsigned long lo = (unsigned long)lo_, hi = (unsigned long)hi_;
  FILE *f = fopen("/proc/self/smaps", "r");
  char line[512];
  int in = 0;
  unsigned long s = 0, e = 0;
  char perms[8] = "", name[256] = "";
  long rss = 0, lk = 0, anon = 0;
  if (!base) base = lo;
  printf("  [%s] VmLck=%ld kB map_count=%d\n", label, status_kb("VmLck"), map_count());
  while (fgets(line, sizeof line, f)) {
    unsigned long a, b;
    char pm[8];
    int off = 0;
    if (sscanf(line, "%lx-%lx %7s %*s %*s %*s%n", &a, &b, pm, &off) == 3 &&
        strchr(line, '-') < strchr(line, ' ')) {
      s = a;
      e = b;
      strcpy(perms, pm);
      in = (a < hi && b > lo);
      name[0] = 0;
      {
        char *p = line + off;
        while (*p == ' ') p++;
        strncpy(name, p, 255);
        name[strcspn(name, "\n")] = 0;
      }
      continue;
    }
    if (!in) continue;
    if (!strncmp(line, "Rss:", 4))
      rss = atol(line + 4);
    else if (!strncmp(line, "Locked:", 7))
      lk = atol(line + 7);
    else if (!strncmp(line, "Anonymous:", 10))
      anon = atol(line + 10);
    else if (!strncmp(line, "VmFlags:", 8)) {
      line[strcspn(line, "\n")] = 0;
      printf("    +%#06lx-+%#06lx (%3lu pg) %s Rss=%ld Anon=%ld Locked=%ld |%s| %s\n",
             (s - base) / P, (e - base) / P, (e - s) / P, perms, rss, anon, lk, line + 9, name);
    }
  }
  fclose(f);
  fflush(stdout);
}
/* offsets printed in pages relative to lo */
#define L(label, lo, hi) layout_base(label, (void *)(lo), (void *)(hi), 0)

/* fresh area at fixed address */
static char *mapat(void *addr, unsigned long npg, int prot, int flags) {
  void *p = mmap(
      addr, npg * P, prot,
      flags | MAP_FIXED_NOREPLACE | (flags & MAP_SHARED ? 0 : MAP_PRIVATE) | MAP_ANONYMOUS, -1, 0);
  if (p != addr) {
    printf("  mapat(%p) failed: %s\n", addr, strerrorname_np(errno));
    exit(1);
  }
  return p;
}

static void set_memlock(unsigned long soft) {
  struct rlimit r;
  getrlimit(RLIMIT_MEMLOCK, &r);
  r.rlim_cur = soft;
  if (r.rlim_max != RLIM_INFINITY && r.rlim_max < soft) r.rlim_max = soft;
  if (setrlimit(RLIMIT_MEMLOCK, &r)) {
    perror("setrlimit");
    exit(1);
  }
  printf("  (RLIMIT_MEMLOCK soft=%lu)\n", soft);
}
static void drop_cap(int cap) {
  struct __user_cap_header_struct h = {_LINUX_CAPABILITY_VERSION_3, 0};
  struct __user_cap_data_struct d[2];
  if (syscall(SYS_capget, &h, d)) {
    perror("capget");
    exit(1);
  }
  d[cap / 32].effective &= ~(1u << (cap % 32));
  d[cap / 32].permitted &= ~(1u << (cap % 32));
  if (syscall(SYS_capset, &h, d)) {
    perror("capset");
    exit(1);
  }
  printf("  (dropped capability %d)\n", cap);
}
#define NOCAP() drop_cap(CAP_IPC_LOCK)

/* run fn in a forked child, wait, report abnormal exit */
static void run(const char *title, void (*fn)(void)) {
  printf("\n=== %s ===\n", title);
  fflush(stdout);
  pid_t pid = fork();
  if (pid == 0) {
    fn();
    fflush(stdout);
    _exit(0);
  }
  int st;
  waitpid(pid, &st, 0);
  if (WIFSIGNALED(st))
    printf("  !! child killed by signal %d (%s)\n", WTERMSIG(st), strsignal(WTERMSIG(st)));
  else if (WEXITSTATUS(st))
    printf("  !! child exit %d\n", WEXITSTATUS(st));
  fflush(stdout);
}

/* page flags via pagemap + kpageflags */
static uint64_t pagemap(void *va) {
  int fd = open("/proc/self/pagemap", O_RDONLY);
  uint64_t e = 0;
  pread(fd, &e, 8, ((unsigned long)va / P) * 8);
  close(fd);
  return e;
}
static uint64_t kflags(void *va) {
  uint64_t e = pagemap(va);
  if (!(e >> 63 & 1)) return 0;
  uint64_t pfn = e & ((1ULL << 55) - 1), fl = 0;
  int fd = open("/proc/kpageflags", O_RDONLY);
  pread(fd, &fl, 8, pfn * 8);
  close(fd);
  return fl;
}
static void pflags(const char *label, void *va) {
  uint64_t e = pagemap(va), f = kflags(va);
  printf(
      "    page %s: present=%d swap=%d  lru=%d active=%d anon=%d unevictable=%d mlocked=%d "
      "zero=%d\n",
      label, (int)(e >> 63 & 1), (int)(e >> 62 & 1), (int)(f >> 5 & 1), (int)(f >> 6 & 1),
      (int)(f >> 12 & 1), (int)(f >> 18 & 1), (int)(f >> 33 & 1), (int)(f >> 24 & 1));
}
static long vmstat(const char *key) {
  FILE *f = fopen("/proc/vmstat", "r");
  char k[128];
  long v, r = -1;
  while (fscanf(f, "%127s %ld", k, &v) == 2)
    if (!strcmp(k, key)) {
      r = v;
      break;
    }
  fclose(f);
  return r;
}
static long meminfo(const char *key) {
  FILE *f = fopen("/proc/meminfo", "r");
  char line[256];
  long v = -1;
  size_t kl = strlen(key);
  while (fgets(line, sizeof line, f))
    if (!strncmp(line, key, kl) && line[kl] == ':') {
      v = atol(line + kl + 1);
      break;
    }
  fclose(f);
  return v;
}
static void touch(void *p, unsigned long npg) {
  for (unsigned long i = 0; i < npg; i++) ((volatile char *)p)[i * P] = 1;
}
static void readpg(void *p, unsigned long npg) {
  for (unsigned long i = 0; i < npg; i++) (void)((volatile char *)p)[i * P];
}
/* Drain this CPU's LRU/mlock batches. NOTE: on 6.18.44 an EMPTY-range madvise(MADV_COLD)
   does NOT drain (returns 0 early); a non-empty MADV_COLD on an unlocked mapped page does. */
static void drain(void) {
  static char *dummy;
  if (!dummy) {
    dummy = mmap(NULL, P, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    dummy[0] = 1;
  }
  madvise(dummy, P, 20 /* MADV_COLD */);
}
