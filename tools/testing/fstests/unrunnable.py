#!/usr/bin/env python3
"""Which fstests tests cannot run on a RAM filesystem, read from their sources.

    unrunnable.py XFSTESTS TEST... (or test names on stdin)

For each test (generic/NNN), prints the first requirement in its own
source that neither rramfs nor tmpfs meets, or "-" when it has none (the
test may run: run it).  The list below is what fstests' helpers check and
both filesystems lack: reflink, dedupe, encryption, verity, shutdown,
device-mapper targets, a log or real device, DAX, swap files, delayed
allocation, a journal, disk quotas, and the xfs_io commands neither
implements (FIEMAP, collapse/insert range, exchange-range, atomic
updates).  A reading, not a run: the result of a run decides (make
fstests), this says which tests are worth running.
"""
import re
import sys

UNMET = {
    "_require_scratch_reflink", "_require_test_reflink", "_require_cp_reflink",
    "_require_scratch_dedupe", "_require_test_dedupe",
    "_require_scratch_encryption", "_require_scratch_inlinecrypt",
    "_require_scratch_verity", "_require_fsverity_builtin_signatures",
    "_require_fsverity_corruption", "_require_fsverity_dump_metadata",
    "_require_scratch_shutdown", "_require_dm_target", "_require_logdev",
    "_require_local_device", "_require_dax_iflag",
    "_require_scratch_dax_mountopt", "_require_scratch_swapfile",
    "_require_scratch_delalloc", "_require_metadata_journaling",
    "_require_quota", "_require_xfs_quota",
    # A block device, SCSI debug or zoned loop devices, discard (FITRIM),
    # FIBMAP, defrag, freeze, shutdown, atomic writes, log-writes,
    # in-place overwrites (read with FIEMAP), extent size hints, a known
    # timestamp range, an ACL entry limit, labels, a 16 TB dm device,
    # arbitrary byte names: neither filesystem has them (every such test
    # run was "not run" on both).
    "_require_block_device", "_require_scsi_debug", "_require_zloop",
    "_require_batched_discard", "_require_fibmap", "_require_defrag",
    "_require_freeze", "_require_xfs_io_shutdown",
    "_require_scratch_write_atomic",
    "_require_scratch_write_atomic_multi_fsblock",
    "_require_log_writes", "_require_log_writes_dax_mountopt",
    "_require_inplace_writes", "_require_scratch_extsize",
    "_require_timestamp_range", "_require_acl_get_max",
    "_require_label_get_max", "_require_dmhugedisk",
    "_require_names_are_bytes",
}
UNMET_XFS_IO = {
    "fiemap", "fcollapse", "finsert", "exchangerange", "swapext", "reflink",
    "dedupe", "funshare", "fsmap", "startupdate", "commitupdate",
}
REQ = re.compile(r"^\s*(_require_[a-z0-9_]+)(.*)$")
XFS_IO = re.compile(r'\s+"?([a-z_]+)')


def unmet(path):
    """The first requirement of the test at `path` that neither meets."""
    with open(path, errors="replace") as f:
        for line in f:
            m = REQ.match(line)
            if not m:
                continue
            name, rest = m.groups()
            if name in UNMET:
                return name
            if name == "_require_xfs_io_command":
                c = XFS_IO.match(rest)
                if c and c.group(1) in UNMET_XFS_IO:
                    return f'_require_xfs_io_command "{c.group(1)}"'
    return "-"


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    tests = sys.argv[2:] or sys.stdin.read().split()
    for t in tests:
        print(f"{t} {unmet(f'{sys.argv[1]}/tests/{t}')}")


if __name__ == "__main__":
    main()
