// napi's linker setup is only needed for the Node addon; a plain `cargo build` skips it.
fn main() {
    #[cfg(feature = "node")]
    napi_build::setup();
}
