//! rramfs scenario tests.  Run inside the test VM, as root, with rramfs.ko
//! inserted:
//!
//!     rramfs-tests            # every test
//!     rramfs-tests NAME...    # tests named NAME, or in group NAME
//!     rramfs-tests --list
//!
//! Each test mounts its own rramfs instance and asserts on data, errno and
//! the superblock's counters, never on time.

mod harness;
mod tests;
mod util;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let all = tests::all();
    if args.iter().any(|a| a == "--list") {
        for t in &all {
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
