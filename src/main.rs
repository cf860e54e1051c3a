//! `fa-lab`, the native command line (see README): prepares the data asset,
//! trains, benchmarks. Everything numerical lives in the library.

#[cfg(not(target_arch = "wasm32"))]
mod cli;

#[cfg(not(target_arch = "wasm32"))]
fn main() {
    std::process::exit(cli::main());
}

#[cfg(target_arch = "wasm32")]
fn main() {}
