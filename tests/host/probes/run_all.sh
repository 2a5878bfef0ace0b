#!/bin/sh
# Build and run every host probe; raw outputs go to ./out/. Must run as root on the 6.18 host.
# Restores vm.max_map_count (65530) and vm.nr_hugepages (0) afterwards.
set -u
cd "$(dirname "$0")"
mkdir -p out bin
CF="-O1 -Wall -Wno-unused-function -Wno-unused-variable -Wno-unused-result"
for t in args limits mlockall populate merge mmap_brk_mremap madvise lru drain fork_cow_drain; do
  gcc $CF -o bin/$t $t.c || exit 1
done
gcc $CF -pthread -o bin/fork fork.c || exit 1
gcc $CF -o bin/layout_dyn layout.c && gcc $CF -static -o bin/layout_static layout.c || exit 1
uname -r > out/uname.txt
for t in args limits mlockall merge mmap_brk_mremap madvise fork lru drain layout_dyn layout_static; do
  ./bin/$t > out/$t.txt 2>&1
done
{ ./bin/fork_cow_drain 0; ./bin/fork_cow_drain 1; } > out/fork_cow_drain.txt 2>&1
echo 4 > /proc/sys/vm/nr_hugepages; ./bin/populate huge > out/populate.txt 2>&1; echo 0 > /proc/sys/vm/nr_hugepages
echo 65530 > /proc/sys/vm/max_map_count
setarch -R ./bin/layout_dyn > out/layout_dyn_norandom.txt 2>&1
echo "max_map_count=$(cat /proc/sys/vm/max_map_count) nr_hugepages=$(cat /proc/sys/vm/nr_hugepages)"
# Swap probes: a swap file for their run only, removed whatever happens.
SW=/var/tmp/mmsim-probe.swap
cleanup_swap() { swapoff "$SW" 2>/dev/null; rm -f "$SW"; }
trap cleanup_swap EXIT INT TERM
for t in swap swap_fork200 reclaim; do gcc $CF -o bin/$t $t.c || exit 1; done
for t in swap swap_fork200 reclaim; do
  cleanup_swap
  dd if=/dev/zero of="$SW" bs=1M count=128 status=none && chmod 600 "$SW" && mkswap "$SW" >/dev/null &&
    swapon "$SW" && SWAPFILE="$SW" ./bin/$t > out/$t.txt 2>&1
done
cleanup_swap
