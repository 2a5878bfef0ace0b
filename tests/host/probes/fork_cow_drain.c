/* fork_cow_drain.c - after fork, the COW faults of parent and child on pages that sit in a
   per-CPU batch drain that CPU (wp_can_reuse_anon_folio), which a page of the window shows.
   Usage: fork_cow_drain 0|1 (1 adds a write to an unmapped page first). Pinned to CPU 0. */
#define _GNU_SOURCE
#include <sched.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <signal.h>
#include <setjmp.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <fcntl.h>
#include <unistd.h>
static int kf, pm;
static uint64_t flags(void* a){ uint64_t e; pread(pm,&e,8,((uintptr_t)a/4096)*8); if(!(e>>63)) return 0; uint64_t pfn=e&((1ULL<<55)-1), f=0; pread(kf,&f,8,pfn*8); return f;}
static void show(const char* what, char* p){ uint64_t f=flags(p); printf("%-34s %p lru=%d unevict=%d mlocked=%d\n",what,p,(int)(f>>5&1),(int)(f>>18&1),(int)(f>>33&1)); fflush(stdout);}
static sigjmp_buf jb; static void h(int s){ siglongjmp(jb,1);} 
int main(int argc,char**argv){ cpu_set_t s; CPU_ZERO(&s); CPU_SET(0,&s); sched_setaffinity(0,sizeof s,&s);
 int mode=atoi(argv[1]);
 kf=open("/proc/kpageflags",O_RDONLY); pm=open("/proc/self/pagemap",O_RDONLY); signal(SIGSEGV,h);
 char*b=(char*)0x7e0000000000;
 mlockall(MCL_CURRENT|MCL_FUTURE|MCL_ONFAULT);
 char*p=mmap(b+7*4096,2*4096,PROT_READ|PROT_WRITE,MAP_PRIVATE|MAP_ANONYMOUS|MAP_FIXED,-1,0);
 p[4096]=1; show("F8 after write",b+8*4096);
 pid_t c=fork(); if(c==0){ pause(); _exit(0);} 
 show("F8 after fork",b+8*4096);
 if(mode==1){ if(!sigsetjmp(jb,1)) b[10*4096]=1; show("F8 after EFAULT write",b+8*4096);} 
 b[7*4096]=1; show("N7 after write",b+7*4096); show("F8(A) before wp",b+8*4096);
 b[8*4096]=1; show("N7 after wp 8",b+7*4096); show("A 8 after wp",b+8*4096);
 kill(c,9); wait(0);
}
