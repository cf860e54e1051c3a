//! The speed view's exports: the benchmark workloads, their FLOPs, the
//! median and baselines `fa-lab bench` uses, and a per-kernel breakdown.

use super::{to_js, to_value};
use crate::bench::Extra;
use wasm_bindgen::prelude::*;

// --- benchmark exports ---
// The page's bench view (www/bench.js) times these with performance.now();
// `fa-lab bench` times the same core code (crate::bench) with Instant.

/// The benchmark workload: the paper net trained by FA on fixed synthetic data
/// (`crate::bench::FaBench`). `extra` is `step`, `metrics`, `update-angles` or `alignment`.
#[wasm_bindgen]
pub struct FaBench {
    inner: crate::bench::FaBench,
}

#[wasm_bindgen]
impl FaBench {
    #[wasm_bindgen(constructor)]
    pub fn new(extra: &str) -> Result<FaBench, JsError> {
        let extra: Extra = extra.parse().map_err(to_js)?;
        Ok(FaBench { inner: crate::bench::FaBench::new(extra).map_err(to_js)? })
    }

    /// Runs the rest of the current epoch (60 steps from a fresh bench); returns the last loss.
    pub fn epoch(&mut self) -> Result<f64, JsError> {
        self.inner.epoch().map_err(to_js)
    }

    /// Runs `n` steps; returns the last loss.
    pub fn steps(&mut self, n: u32) -> Result<f64, JsError> {
        self.inner.steps(n as usize).map_err(to_js)
    }

    /// FNV-1a of the parameters' bits (the same as `fa-lab bench` prints after as many steps).
    pub fn checksum(&self) -> String {
        self.inner.checksum()
    }

    pub fn iteration(&self) -> f64 {
        self.inner.iteration() as f64
    }
}

/// FLOPs of one benchmark epoch, counted as numpy_step.py does.
#[wasm_bindgen(js_name = benchEpochFlops)]
pub fn bench_epoch_flops() -> f64 {
    crate::bench::epoch_flops()
}

/// Steps per benchmark epoch.
#[wasm_bindgen(js_name = benchStepsPerEpoch)]
pub fn bench_steps_per_epoch() -> u32 {
    crate::bench::STEPS as u32
}

/// The workloads `FaBench` takes, the bare step first: `step`, `metrics`, `update-angles`, `alignment`.
#[wasm_bindgen(js_name = benchWorkloads)]
pub fn bench_workloads() -> Vec<String> {
    Extra::ALL.iter().map(|e| e.name().to_string()).collect()
}

/// The workload that `name`'s overhead is measured against, as `fa-lab bench --extras` does.
#[wasm_bindgen(js_name = benchBaseline)]
pub fn bench_baseline(name: &str) -> Result<String, JsError> {
    Ok(name.parse::<Extra>().map_err(to_js)?.baseline().name().to_string())
}

/// The median of epoch times (the upper one of an even count), as `fa-lab bench` takes it.
#[wasm_bindgen(js_name = benchMedian)]
pub fn bench_median(seconds: &[f64]) -> Result<f64, JsError> {
    if seconds.is_empty() {
        return Err(JsError::new("benchMedian: no times given"));
    }
    Ok(crate::bench::median(seconds))
}

/// Where an epoch of the FA step goes: `[{kind, seconds}]` per kind of kernel
/// (`crate::bench::breakdown`), timed call by call with `clock`, a JS function
/// returning milliseconds (`performance.now`). Takes two epochs (one warm-up).
#[wasm_bindgen(js_name = benchBreakdown)]
pub fn bench_breakdown(clock: &js_sys::Function) -> Result<JsValue, JsError> {
    let mut failed = None;
    let mut now = || match clock.call0(&JsValue::NULL).ok().and_then(|v| v.as_f64()) {
        Some(ms) => ms / 1e3,
        None => {
            failed.get_or_insert_with(|| JsError::new("benchBreakdown: the clock did not return a number"));
            0.0
        }
    };
    let acc = crate::bench::breakdown(&mut now);
    if let Some(e) = failed {
        return Err(e);
    }
    let rows: Vec<(&str, f64)> = crate::bench::KINDS.iter().copied().zip(acc).collect();
    to_value(&rows)
}
