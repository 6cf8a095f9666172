// napi's linker setup is only needed for the Node addon; a plain `cargo build` skips it. Without a
// `rerun-if` line Cargo reruns this script (and rebuilds the crate) when any file of the package
// changes, docs included.
fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    #[cfg(feature = "node")]
    napi_build::setup();
}
