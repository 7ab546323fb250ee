//! The test registry: one module per area.

use crate::harness::Test;

mod acl;
mod basic;
mod dio;
mod edges;
mod faults;
mod files;
mod fuzz;
mod idmap;
mod namespace;
mod options;
mod pressure;
mod race;
mod write;

/// Every test, in run order.
pub fn all() -> Vec<Test> {
    let mut v = Vec::new();
    v.extend(basic::tests());
    v.extend(write::tests());
    v.extend(options::tests());
    v.extend(namespace::tests());
    v.extend(files::tests());
    v.extend(acl::tests());
    v.extend(idmap::tests());
    v.extend(dio::tests());
    v.extend(edges::tests());
    v.extend(fuzz::tests());
    v.extend(race::tests());
    // Only the debug kernel flavor can inject faults and has the memory
    // controller (make check's debug run).
    if std::env::var("RRAMFS_FLAVOR").as_deref() == Ok("debug") {
        v.extend(faults::tests());
        v.extend(pressure::tests());
    }
    v
}

/// Declares a list of tests from functions: `tests![f1, f2 => 600]`.
#[macro_export]
macro_rules! tests {
    ($($f:ident $(=> $t:expr)?),* $(,)?) => {
        pub fn tests() -> Vec<$crate::harness::Test> {
            vec![$($crate::harness::Test {
                name: $crate::harness::short_name(concat!(module_path!(), "::", stringify!($f))),
                run: $f,
                timeout: { let _t = 300u64; $(let _t = $t;)? _t },
            }),*]
        }
    };
}
