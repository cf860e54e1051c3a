//! FA Lab: feedback alignment (BP-TRW) as a numerical core that runs natively
//! and in the browser.
//!
//! Everything except [`web`] is plain Rust with no web dependency, so `cargo test`
//! exercises it natively and the same code compiles unchanged to wasm32 + simd128.
//! `docs/math.md` is the authority on the math; module docs cite its sections
//! (`docs/math.md §n`).

pub mod align;
pub mod bench;
pub mod checked;
pub mod codes;
pub mod data;
pub mod describe;
pub mod error;
pub mod experiments;
pub mod export;
pub mod figure;
pub mod figure_runs;
pub mod form;
pub mod hash;
pub mod history;
pub mod kernels;
pub mod link;
pub mod live;
pub mod metrics;
pub mod net;
pub mod pca;
pub mod plot;
pub mod provenance;
pub mod read;
pub mod rng;
pub mod stored;
pub mod train;
pub mod versions;

#[cfg(target_arch = "wasm32")]
pub mod web;

pub use error::{Error, Result};
