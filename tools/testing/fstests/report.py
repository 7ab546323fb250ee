#!/usr/bin/env python3
"""Judge an fstests run of rramfs next to tmpfs (tools/testing/fstests).

    report.py SELECTED RESULTS EXPECTED REPORT

SELECTED: the tests that were asked for, one per line.  RESULTS: the
run's results directory, holding <chunk>/<section>/result.xml (xunit) for
the sections rramfs and tmpfs, and "timeouts" (guest.sh's watchdog: "test
section seconds" for each test it killed, which is then a "timeout", not
a pass).  EXPECTED: tools/testing/fstests/expected-failures
("generic/NNN reason...").  REPORT: where the side-by-side table goes.

Prints result lines in make check's format and exits 1 if any is a FAIL.
"""
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

FS = ("rramfs", "tmpfs")


def results(base, fs):
    """{test: (status, message)} from a section's xunit reports, one per
    chunk of the run (results/<chunk>/<section>/result.xml)."""
    got = {}
    cases = (c for xml in sorted(Path(base).glob(f"*/{fs}/result.xml"))
             for c in ET.parse(xml).getroot().iter("testcase"))
    for case in cases:
        name, secs = case.get("name"), case.get("time", "")
        if case.find("failure") is not None:
            got[name] = ("fail", case.find("failure").get("message", ""), secs)
        elif case.find("error") is not None:
            got[name] = ("fail", case.find("error").get("message", ""), secs)
        elif case.find("skipped") is not None:
            msg = case.find("skipped").get("message", "")
            got[name] = ("notrun", " ".join(msg.split()), secs)
        else:
            got[name] = ("pass", "", secs)
    timeouts = Path(base) / "timeouts"
    if timeouts.exists():
        for line in timeouts.read_text().splitlines():
            test, section, limit = line.split()
            if section == fs:
                got[test] = ("timeout", f"killed after {limit} s", limit)
    return got


def expected_failures(path):
    exp = {}
    for line in Path(path).read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            test, _, reason = line.partition(" ")
            if not reason.strip():
                sys.exit(f"{path}: {test} has no reason")
            exp[test] = reason.strip()
    return exp


def main():
    selected_file, base, expected_file, report = sys.argv[1:5]
    selected = Path(selected_file).read_text().split()
    res = {fs: results(base, fs) for fs in FS}
    exp = expected_failures(expected_file)
    failed = False

    def line(ok, name, msg=""):
        nonlocal failed
        if ok is None:
            print(f"SKIP {name}: {msg}")
        elif ok:
            print(f"PASS {name}")
        else:
            failed = True
            print(f"FAIL {name}: {msg}")

    for t in selected:
        st, msg, _ = res["rramfs"].get(t, ("missing", "", ""))
        name = f"fstests::{t}"
        if st == "pass":
            line(True, name)
        elif st == "notrun":
            line(None, name, f"not run on rramfs: {msg}")
        elif st == "fail" and t in exp:
            line(None, name, f"expected failure: {exp[t]}")
        elif st == "fail":
            line(False, name, f"failed on rramfs: {msg}")
        elif st == "timeout":
            line(False, name, f"timed out on rramfs ({msg}): a hang, or a test "
                 "for tools/testing/fstests/exclude")
        else:
            line(False, name, "no result on rramfs")

    missing = [f"{fs}:{t}" for fs in FS for t in selected if t not in res[fs]]
    line(not missing, "fstests::all_selected_ran",
         f"{len(missing)} without a result: {' '.join(missing[:20])}")
    worse = [t for t in selected
             if res["tmpfs"].get(t, ("",))[0] == "pass"
             and res["rramfs"].get(t, ("",))[0] in ("fail", "timeout")]
    line(not worse, "fstests::tmpfs_parity",
         f"fail on rramfs, pass on tmpfs: {' '.join(worse)}")
    stale = [t for t in selected if t in exp and res["rramfs"].get(t, ("",))[0] != "fail"
             and t in res["rramfs"]]
    line(not stale, "fstests::expected_failures_current",
         f"listed in expected-failures but did not fail: {' '.join(stale)}")

    # The table: every selected test, both columns (result and seconds in
    # the guest), and why they differ.
    rows, counts = [], {fs: {} for fs in FS}
    for t in selected:
        cols = []
        for fs in FS:
            st, _, secs = res[fs].get(t, ("missing", "", ""))
            counts[fs][st] = counts[fs].get(st, 0) + 1
            cols.append(f"{st} {secs}".strip())
        a, b = (res[fs].get(t, ("missing",))[0] for fs in FS)
        why = ""
        if a == "fail" and t in exp:
            why = exp[t]
        elif a != b:
            why = res["rramfs"].get(t, ("", ""))[1] or res["tmpfs"].get(t, ("", ""))[1]
        elif a == "notrun":
            why = res["rramfs"][t][1]
        rows.append((t, cols[0], cols[1], why))
    with open(report, "w") as f:
        for fs in FS:
            c = counts[fs]
            f.write(f"{fs}: " + ", ".join(f"{c[k]} {k}" for k in sorted(c)) + "\n")
        f.write(f"\n{'test':<14} {'rramfs':<12} {'tmpfs':<12} note\n")
        for t, a, b, why in rows:
            f.write(f"{t:<14} {a:<12} {b:<12} {why}\n")
    sys.exit(1 if failed else 0)


main()
