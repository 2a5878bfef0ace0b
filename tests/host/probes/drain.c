/* drain.c - which calls drain the local per-CPU batches on 6.18 (docs/fidelity.md, "Pages and LRU").
   Pinned to CPU 0: a page written in a MLOCK_ONFAULT range sits in the mlock batch (mlocked, not yet
   unevictable); each mode then does one call and prints the page; a MADV_COLD of a dummy page drains. */
#define _GNU_SOURCE
#include <sched.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <fcntl.h>
#include <unistd.h>
#include <sys/wait.h>
static int pm, kf;
static uint64_t flags(void* a){ uint64_t e; pread(pm,&e,8,((uintptr_t)a/4096)*8); if(!(e>>63)) return 0; uint64_t pfn=e&((1ULL<<55)-1), f=0; pread(kf,&f,8,pfn*8); return f;}
static void show(const char* what, char* p){ uint64_t f=flags(p); printf("%-40s lru=%d active=%d unevict=%d mlocked=%d\n",what,(int)(f>>5&1),(int)(f>>6&1),(int)(f>>18&1),(int)(f>>33&1));}
static int run(int mode){ cpu_set_t s; CPU_ZERO(&s); CPU_SET(0,&s); sched_setaffinity(0,sizeof s,&s);
 pm=open("/proc/self/pagemap",O_RDONLY); kf=open("/proc/kpageflags",O_RDONLY);
 char*other=mmap((void*)0x7e0000100000,8*4096,PROT_READ|PROT_WRITE,MAP_PRIVATE|MAP_ANONYMOUS|MAP_FIXED,-1,0);
 other[0]=1;
 char*p=mmap((void*)0x7e0000000000,4*4096,PROT_READ|PROT_WRITE,MAP_PRIVATE|MAP_ANONYMOUS|MAP_FIXED,-1,0);
 mlock2(p,4*4096,1/*ONFAULT*/);
 p[0]=1; show("after write fault (onfault)",p);
 if(mode==0){ munmap(other+4096*4,4096*2); show("after munmap of other (unpopulated)",p);} 
 if(mode==1){ munmap(other,4096); show("after munmap of other (populated)",p);} 
 if(mode==2){ mmap(other+4096*4,4096,PROT_READ,MAP_PRIVATE|MAP_ANONYMOUS|MAP_FIXED,-1,0); show("after MAP_FIXED over other",p);} 
 if(mode==3){ if(fork()==0) _exit(0); show("after fork",p);} 
 if(mode==4){ mprotect(other,4096,PROT_READ); show("after mprotect other",p);} 
 if(mode==5){ madvise(other,4096,MADV_DONTNEED); show("after DONTNEED other",p);}
 if(mode==6){ munmap(p+3*4096,4096); show("after munmap of own tail (unpopulated)",p);}
 if(mode==7){ p[4096]=1; munmap(p+4096,4096); show("after munmap of own populated page",p);}
 if(mode==8){ pid_t c=fork(); if(c==0) _exit(0); waitpid(c,0,0); show("after a child's exit (same CPU)",p);}
 char*d=mmap(0,4096,PROT_READ|PROT_WRITE,MAP_PRIVATE|MAP_ANONYMOUS,-1,0); madvise(d,4096,MADV_COLD); show("after MADV_COLD dummy",p);
 return 0;
}
int main(int argc,char**argv){
 if(argc>1) return run(atoi(argv[1]));
 for(int i=0;i<9;i++){ pid_t c=fork(); if(c==0){ int r=run(i); fflush(stdout); _exit(r); } waitpid(c,0,0); printf("\n"); }
 return 0;
}
