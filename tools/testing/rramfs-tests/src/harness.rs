//! A tiny test runner: each test runs in a forked child (a crash or hang
//! in one cannot take the others down), with a timeout, and prints one
//! result line.  The run ends with `N passed, N failed, N skipped`.

use std::time::Duration;

/// What a test concluded.
pub enum Outcome {
    Pass,
    Fail(String),
    Skip(String),
}

/// A test's result: `Err` fails it with a message.
pub type TestResult = Result<(), String>;

/// One named test.
pub struct Test {
    pub name: &'static str,
    pub run: fn() -> TestResult,
    /// Seconds before the test is declared hung (TCG is ~100x slower).
    pub timeout: u64,
}

/// A test's name without the crate's module prefix: `group::test`.
pub const fn short_name(full: &'static str) -> &'static str {
    let prefix = b"rramfs_tests::tests::";
    let b = full.as_bytes();
    let mut i = 0;
    while i < prefix.len() {
        if i >= b.len() || b[i] != prefix[i] {
            return full;
        }
        i += 1;
    }
    let (_, rest) = b.split_at(prefix.len());
    match core::str::from_utf8(rest) {
        Ok(s) => s,
        Err(_) => full,
    }
}

/// Marks a test as skipped with a reason: `return skip("why")`.
pub fn skip(reason: &str) -> TestResult {
    Err(format!("SKIP:{reason}"))
}

fn run_one(t: &Test) -> Outcome {
    // SAFETY: The runner is single-threaded when it forks.
    let pid = unsafe { libc::fork() };
    if pid < 0 {
        return Outcome::Fail("fork failed".into());
    }
    if pid == 0 {
        let code = match std::panic::catch_unwind(t.run) {
            Ok(Ok(())) => 0,
            Ok(Err(msg)) => {
                // The child reports its message through a file, the exit
                // code says which kind.
                let _ = std::fs::write(msg_path(), &msg);
                if msg.starts_with("SKIP:") {
                    77
                } else {
                    1
                }
            }
            Err(p) => {
                let what = p
                    .downcast_ref::<String>()
                    .map(String::as_str)
                    .or_else(|| p.downcast_ref::<&str>().copied())
                    .unwrap_or("?");
                let _ = std::fs::write(msg_path(), format!("panicked: {what}"));
                1
            }
        };
        // SAFETY: Leaves the child without running the parent's atexit work.
        unsafe { libc::_exit(code) };
    }
    let deadline = std::time::Instant::now() + Duration::from_secs(t.timeout);
    loop {
        let mut status = 0;
        // SAFETY: `pid` is our child.
        let r = unsafe { libc::waitpid(pid, &mut status, libc::WNOHANG) };
        if r == pid {
            let msg = std::fs::read_to_string(msg_path_of(pid as u32)).unwrap_or_default();
            let _ = std::fs::remove_file(msg_path_of(pid as u32));
            if libc::WIFSIGNALED(status) {
                return Outcome::Fail(format!("killed by signal {}", libc::WTERMSIG(status)));
            }
            return match libc::WEXITSTATUS(status) {
                0 => Outcome::Pass,
                77 => Outcome::Skip(msg.trim_start_matches("SKIP:").into()),
                _ => Outcome::Fail(msg),
            };
        }
        if std::time::Instant::now() > deadline {
            // SAFETY: `pid` is our child.
            unsafe { libc::kill(pid, libc::SIGKILL) };
            return Outcome::Fail(format!("timed out after {}s (hung?)", t.timeout));
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn msg_path() -> String {
    msg_path_of(std::process::id())
}

fn msg_path_of(pid: u32) -> String {
    format!("/tmp/rramfs-test-msg.{pid}")
}

/// The tests whose names match `filters` (all if empty): a name, a group
/// (`dio`), or a name prefix up to an underscore.
pub fn select<'a>(tests: &'a [Test], filters: &[String]) -> Vec<&'a Test> {
    tests
        .iter()
        .filter(|t| {
            filters.is_empty()
                || filters.iter().any(|x| {
                    t.name == x
                        || t.name.starts_with(&format!("{x}_"))
                        || t.name.starts_with(&format!("{x}::"))
                })
        })
        .collect()
}

/// Runs the tests whose names match `filters` (all if empty); returns
/// (passed, failed, skipped).
pub fn run(tests: &[Test], filters: &[String]) -> (usize, usize, usize) {
    let (mut p, mut f, mut s) = (0, 0, 0);
    for t in select(tests, filters) {
        match run_one(t) {
            Outcome::Pass => {
                p += 1;
                println!("PASS {}", t.name);
            }
            Outcome::Fail(m) => {
                f += 1;
                println!("FAIL {}: {}", t.name, m);
            }
            Outcome::Skip(m) => {
                s += 1;
                println!("SKIP {}: {}", t.name, m);
            }
        }
    }
    (p, f, s)
}

/// Fails the test unless `cond`, with a formatted message.
#[macro_export]
macro_rules! ensure {
    ($cond:expr, $($fmt:tt)*) => {
        if !$cond {
            return Err(format!("{}:{}: {}", file!(), line!(), format!($($fmt)*)));
        }
    };
}

/// Fails the test unless `a == b`.
#[macro_export]
macro_rules! ensure_eq {
    ($a:expr, $b:expr) => {{
        let (a, b) = (&$a, &$b);
        if a != b {
            return Err(format!("{}:{}: {} == {:?}, expected {:?}", file!(), line!(), stringify!($a), a, b));
        }
    }};
    ($a:expr, $b:expr, $($fmt:tt)*) => {{
        let (a, b) = (&$a, &$b);
        if a != b {
            return Err(format!("{}:{}: {} == {:?}, expected {:?}: {}", file!(), line!(), stringify!($a), a, b, format!($($fmt)*)));
        }
    }};
}

/// Tests that go wrong on purpose, so that the harness's own tests can see
/// each kind of wrong make `make check` fail.  Never part of a real run.
pub fn selftests() -> Vec<Test> {
    fn passes() -> TestResult {
        Ok(())
    }
    fn fails() -> TestResult {
        Err("failing on purpose".into())
    }
    fn hangs() -> TestResult {
        loop {
            std::thread::sleep(Duration::from_secs(60));
        }
    }
    fn kills_runner() -> TestResult {
        // SAFETY: Kills our parent, the runner, as a crash would.
        unsafe { libc::kill(libc::getppid(), libc::SIGKILL) };
        Ok(())
    }
    fn skips() -> TestResult {
        skip("skipping on purpose")
    }
    let t = |name, run, timeout| Test { name, run, timeout };
    vec![
        t("selftest::passes", passes, 10),
        t("selftest::fails", fails, 10),
        t("selftest::hangs", hangs, 2),
        t("selftest::skips", skips, 10),
        t("selftest::kills_runner", kills_runner, 10),
        t("selftest::after_the_kill", passes, 10),
    ]
}
