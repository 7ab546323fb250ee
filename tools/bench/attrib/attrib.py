#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Attributes a benchmark's guest instructions to kernel symbols.

    attrib.py COUNTS KALLSYMS LOOPS BENCH [--top N] [--tolerance PCT]
              [--blocks SUBSTRING]

COUNTS is what tools/bench/attrib/insn-count.c wrote (instructions per
translation block, in phases between markers), KALLSYMS the guest's
/proc/kallsyms (module symbols included), LOOPS what `rramfs-bench
--attrib` wrote (the phase of each measured loop, its case, contender and
operations) and BENCH its table (the same loops timed under -icount).

For every case it prints instructions per operation by symbol, one column
per contender, the symbols sorted by their largest cost, and the totals.
A block is charged to the symbol its first instruction belongs to
(translation blocks end at branches and calls, so a block spans two
symbols only when one falls through into the next).

--blocks prints, for the symbols whose name contains SUBSTRING, every
translation block with its offset in the symbol, its length and its
executions per operation: what to look up in `objdump -d` of the module.

The totals are checked against the benchmark's own icount figures: if the
two differ by more than --tolerance percent (default 2) for any loop, the
attribution counted something else than the benchmark measured, and the
script exits 1.
"""
import argparse
import bisect
import re
import subprocess
import sys
from collections import defaultdict

USER_END = 0x0000800000000000


def load_symbols(path):
    """Text symbols from kallsyms, sorted: (addresses, names)."""
    syms = []
    with open(path) as f:
        for line in f:
            parts = line.split()
            if len(parts) < 3 or parts[1] not in "tTwW":
                continue
            addr = int(parts[0], 16)
            if addr == 0:
                continue
            name = parts[2]
            if len(parts) > 3:
                name += " " + parts[3]
            syms.append((addr, name))
    if not syms:
        sys.exit("attrib: no text symbols in %s (kptr_restrict?)" % path)
    syms.sort()
    return [a for a, _ in syms], demangle([n for _, n in syms])


def demangle(names):
    """Rust symbols (v0 mangling) in readable form, without crate hashes;
    c++filt (binutils) knows the scheme.  Unchanged if it is missing."""
    try:
        out = subprocess.run(["c++filt"], input="\n".join(names) + "\n",
                             capture_output=True, text=True, check=True).stdout
    except (OSError, subprocess.CalledProcessError):
        return names
    readable = out.split("\n")[: len(names)]
    if len(readable) != len(names):
        return names
    return [re.sub(r"\[[0-9a-f]{16}\]", "", n) for n in readable]


def load_phases(path, wanted):
    """Executions per (block start, block length) for each wanted phase."""
    phases = {}
    cur = None
    with open(path) as f:
        for line in f:
            if line.startswith("phase "):
                n = int(line.split()[1])
                cur = phases.setdefault(n, defaultdict(int)) if n in wanted else None
                continue
            if cur is None:
                continue
            vaddr, n_insns, execs = line.split()
            cur[(int(vaddr, 16), int(n_insns, 16))] += int(execs)
    missing = wanted - phases.keys()
    if missing:
        sys.exit("attrib: phases %s missing from %s" % (sorted(missing), path))
    return phases


def symbol_of(addrs, names, vaddr):
    if vaddr < USER_END:
        return "[user space]"
    i = bisect.bisect_right(addrs, vaddr) - 1
    return names[i] if i >= 0 else "[kernel, no symbol]"


def load_bench(path):
    """(case, contender) -> instructions per operation from the table."""
    figures = {}
    row = re.compile(r"^(.{26}) (\S+)\s+(\d+)\s+\[")
    with open(path) as f:
        for line in f:
            m = row.match(line)
            if m:
                figures[(m.group(1).strip(), m.group(2))] = float(m.group(3))
    return figures


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("counts")
    ap.add_argument("kallsyms")
    ap.add_argument("loops")
    ap.add_argument("bench")
    ap.add_argument("--top", type=int, default=25)
    ap.add_argument("--tolerance", type=float, default=2.0)
    ap.add_argument("--blocks")
    a = ap.parse_args()

    loops = []
    with open(a.loops) as f:
        for line in f:
            phase, case, who, ops = line.rstrip("\n").split("\t")
            loops.append((int(phase), case, who, int(ops)))
    if not loops:
        sys.exit("attrib: no marked loops in %s" % a.loops)
    addrs, names = load_symbols(a.kallsyms)
    phases = load_phases(a.counts, {p for p, _, _, _ in loops})
    bench = load_bench(a.bench)

    cases = []
    blocks = []
    per = {}  # case -> contender -> symbol -> instructions per op
    for phase, case, who, ops in loops:
        if case not in per:
            cases.append(case)
            per[case] = {}
        costs = defaultdict(float)
        for (vaddr, n_insns), execs in phases[phase].items():
            sym = symbol_of(addrs, names, vaddr)
            costs[sym] += n_insns * execs / ops
            if a.blocks and a.blocks in sym:
                i = bisect.bisect_right(addrs, vaddr) - 1
                blocks.append((case, who, sym, vaddr - addrs[i], n_insns, execs / ops))
        per[case][who] = costs

    bad = []
    for case in cases:
        whos = list(per[case])
        print("%s: guest instructions per operation, by symbol" % case)
        print()
        width = max(12, *(len(w) for w in whos))
        head = "%-60s" % "symbol" + "".join(" %*s" % (width, w) for w in whos)
        print(head)
        syms = defaultdict(float)
        for w in whos:
            for s, c in per[case][w].items():
                syms[s] = max(syms[s], c)
        order = sorted(syms, key=lambda s: -syms[s])
        shown, rest = order[: a.top], order[a.top:]
        for s in shown:
            print("%-60s" % s[-60:] + "".join(
                " %*.1f" % (width, per[case][w].get(s, 0.0)) for w in whos))
        if rest:
            print("%-60s" % ("(%d other symbols)" % len(rest)) + "".join(
                " %*.1f" % (width, sum(per[case][w].get(s, 0.0) for s in rest))
                for w in whos))
        totals = {w: sum(per[case][w].values()) for w in whos}
        print("%-60s" % "total" + "".join(" %*.1f" % (width, totals[w]) for w in whos))
        line = "%-60s" % "benchmark (icount)"
        for w in whos:
            b = bench.get((case, w))
            line += " %*s" % (width, "-" if b is None else "%.0f" % b)
            if b is None or abs(totals[w] - b) > b * a.tolerance / 100:
                bad.append("%s %s: attributed %.1f, benchmark %s" % (case, w, totals[w], b))
        print(line)
        print()
    if blocks:
        print("blocks of the symbols matching %r: offset, instructions, executions per operation" % a.blocks)
        for case, who, sym, off, n, e in sorted(blocks):
            print("  %-14s %-14s %s+0x%x  %3d insns  x %.2f" % (case, who, sym, off, n, e))
        print()
    if bad:
        print("attrib: the attributed totals do not match the benchmark:", file=sys.stderr)
        for b in bad:
            print("  " + b, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
