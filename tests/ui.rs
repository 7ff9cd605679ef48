//! Compile-fail tests of `#[derive(InitWeights)]`: one mistake per file under `tests/ui/`, with
//! the compiler's expected output next to it. Refresh with `TRYBUILD=overwrite cargo test --test ui`
//! and review the `.stderr` diff like code.

#[test]
fn ui() {
    let t = trybuild::TestCases::new();
    t.compile_fail("tests/ui/*.rs");
}
