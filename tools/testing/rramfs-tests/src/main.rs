//! rramfs scenario tests.  Run inside the test VM, as root, with rramfs.ko
//! inserted:
//!
//!     rramfs-tests                 # every test
//!     rramfs-tests NAME...         # tests named NAME, or in group NAME
//!     rramfs-tests --list [NAME...]  # the names those would run
//!     rramfs-tests --fuzz SEED OPS   # the model-checked fuzzer, one seed
//!
//! A selection that matches no test exits 2, with `--list` too: a filter
//! with a typo must not pass by running nothing.  The exit code is 0 only
//! if every selected test ran and none failed.
//!
//! Each test mounts its own rramfs instance and asserts on data, errno and
//! the superblock's counters, never on time.
//!
//! With `RRAMFS_TESTS_SELFTEST=1`, a `selftest` group is added whose tests
//! go wrong on purpose (fail, hang, kill the runner), for the harness's own
//! tests (tools/testing/harness-selftest.sh); they touch no filesystem.

mod fuzz;
mod harness;
mod tests;
mod util;

fn main() {
    let mut args: Vec<String> = std::env::args().skip(1).collect();
    let mut all = tests::all();
    if std::env::var_os("RRAMFS_TESTS_SELFTEST").is_some() {
        all.extend(harness::selftests());
    }
    if args.first().map(String::as_str) == Some("--fuzz") {
        let num = |i: usize, d: u64| args.get(i).and_then(|a| a.parse().ok()).unwrap_or(d);
        let (seed, ops) = (num(1, 1), num(2, 2000) as usize);
        match fuzz::run(seed, ops) {
            Ok(()) => println!("PASS fuzz::seed_{seed} ({ops} operations)"),
            Err(e) => {
                println!("FAIL fuzz::seed_{seed}: {e}");
                std::process::exit(1);
            }
        }
        return;
    }
    if let Some(i) = args.iter().position(|a| a == "--list") {
        args.remove(i);
        let chosen = harness::select(&all, &args);
        if chosen.is_empty() {
            eprintln!("no test matches {args:?}");
            std::process::exit(2);
        }
        for t in chosen {
            println!("{}", t.name);
        }
        return;
    }
    let (p, f, s) = harness::run(&all, &args);
    if p + f + s == 0 {
        eprintln!("no test matches {args:?}");
        std::process::exit(2);
    }
    println!("{p} passed, {f} failed, {s} skipped");
    std::process::exit(if f == 0 { 0 } else { 1 });
}
