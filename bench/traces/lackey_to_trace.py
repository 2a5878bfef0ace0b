#!/usr/bin/env python3
"""Converts valgrind lackey output (--trace-mem=yes) to an mmsim page-access trace.

Data accesses only (L load, S store, M modify); instruction fetches are dropped. Accesses
pass through a 32-entry LRU filter of pages, as a TLB would absorb them: an access to one of
the 32 most recently used pages is not emitted, unless it is the first store to a page last
emitted as a read. What remains is page reuse at a distance, which is what reclaim sees.

usage: lackey_to_trace.py LACKEY_LOG COMMAND_DESCRIPTION > TRACE
"""
import sys
from collections import OrderedDict

FILTER = 32


def main():
    log, what = sys.argv[1], sys.argv[2]
    recent = OrderedDict()  # page -> written (a W line was emitted since it entered)
    out = sys.stdout
    out.write("# mmsim page-access trace: %s\n" % what)
    out.write("# data accesses recorded by valgrind --tool=lackey --trace-mem=yes, through a\n")
    out.write("# %d-page LRU filter (bench/traces/lackey_to_trace.py); regenerate with\n" % FILTER)
    out.write("# bash bench/traces/make_sort_trace.sh\n")
    with open(log) as f:
        for line in f:
            if len(line) < 4 or line[0] != " " or line[1] not in "LSM":
                continue
            addr = int(line[3:].split(",", 1)[0], 16)
            page = addr >> 12
            write = line[1] != "L"
            if page in recent:
                recent.move_to_end(page)
                if not write or recent[page]:
                    continue
                recent[page] = True
            else:
                recent[page] = write
                if len(recent) > FILTER:
                    recent.popitem(last=False)
            out.write("%s %#x\n" % ("W" if write else "R", page << 12))


if __name__ == "__main__":
    main()
