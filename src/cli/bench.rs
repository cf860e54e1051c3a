//! `fa-lab bench`: times an FA epoch of the paper net (225-50-50-50-50-50,
//! batch 1000, 60 steps), single thread, on synthetic data with a fixed seed:
//!
//! - the real [`Network::step`] with `Rule::Feedback` (the headline figure,
//!   compared with numpy), and the per-iteration metrics
//!   ([`fa_lab::metrics::iter_metrics`]) timed separately as overhead;
//! - the same step written directly with the kernels (what
//!   `../shared/bench/numpy_step.py` does), to show the network's own overhead.
//!
//! `--numpy` runs that numpy script in the same command and prints the ratio.
//!
//! wasm: the same kernels compile to simd128 (`cargo build --release --lib
//! --target wasm32-unknown-unknown`); timing them needs a JS host (the web
//! harness), which calls the same step in a loop.

use std::process::Command;
use std::time::Instant;

use fa_lab::kernels::{self, Path};
use fa_lab::metrics;
use fa_lab::net::{NetConfig, Network, Rule};
use fa_lab::{Error, Result};

const SIZES: [usize; 6] = [225, 50, 50, 50, 50, 50];
const BATCH: usize = 1000;
const STEPS: usize = 60;
const ETA: f32 = 1e-3;

#[derive(clap::Args)]
pub struct Args {
    /// Number of timed epochs (the median is reported), 1..=1000.
    #[arg(long, default_value_t = 5)]
    epochs: usize,
    /// Also run the numpy yardstick (needs python3 + numpy) and print the ratio.
    #[arg(long)]
    numpy: bool,
    /// The numpy script to run with --numpy.
    #[arg(long, default_value = "../shared/bench/numpy_step.py")]
    numpy_script: String,
    /// Kernel path: scalar, sse2, avx2, avx512 (default: the fastest available).
    #[arg(long)]
    path: Option<String>,
    /// Also print the time per kernel kind (one extra epoch, timed per call).
    #[arg(long)]
    breakdown: bool,
}

/// Kernel kinds timed by --breakdown.
const KINDS: [&str; 5] = ["forward gemm_nn", "bias_tanh_relu", "backward gemm_nn (δB)", "gemm_tn_acc (ΔW)", "deriv, col_sum, rest"];

/// Accumulates wall time per kernel kind when enabled.
struct Timer {
    on: bool,
    last: Instant,
    acc: [f64; 5],
}

impl Timer {
    fn lap(&mut self, kind: usize) {
        if self.on {
            let now = Instant::now();
            self.acc[kind] += (now - self.last).as_secs_f64();
            self.last = now;
        }
    }
}

/// Multiply–add FLOPs of one FA step, counted as numpy_step.py does.
fn step_flops() -> f64 {
    SIZES
        .windows(2)
        .enumerate()
        .map(|(i, w)| 2.0 * (BATCH * w[0] * w[1]) as f64 * if i == 0 { 2.0 } else { 3.0 })
        .sum()
}

/// Deterministic uniform [0, 1) generator (synthetic data only).
struct Lcg(u64);
impl Lcg {
    fn next(&mut self) -> f32 {
        self.0 = self.0.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        (self.0 >> 40) as f32 / (1u64 << 24) as f32
    }
    /// Roughly N(0, 0.1²) (sum of 4 uniforms, rescaled).
    fn normal01(&mut self) -> f32 {
        let s: f32 = (0..4).map(|_| self.next()).sum::<f32>() - 2.0;
        s * 0.1 * 3.0f32.sqrt()
    }
}

/// The paper net with FA feedback, and buffers reused across steps.
struct FaNet {
    w: Vec<Vec<f32>>,
    b: Vec<Vec<f32>>,
    fb: Vec<Vec<f32>>,
    acts: Vec<Vec<f32>>,
    delta: Vec<f32>,
    back: Vec<f32>,
    bias_upd: Vec<f32>,
}

impl FaNet {
    fn new(rng: &mut Lcg) -> FaNet {
        let mut draw = |len: usize| (0..len).map(|_| rng.normal01()).collect::<Vec<f32>>();
        let pairs: Vec<(usize, usize)> = SIZES.windows(2).map(|w| (w[0], w[1])).collect();
        FaNet {
            w: pairs.iter().map(|&(a, c)| draw(a * c)).collect(),
            b: pairs.iter().map(|&(_, c)| draw(c)).collect(),
            fb: pairs.iter().map(|&(a, c)| draw(c * a)).collect(),
            acts: SIZES[1..].iter().map(|&n| vec![0.0; BATCH * n]).collect(),
            delta: vec![0.0; BATCH * 50],
            back: vec![0.0; BATCH * 50],
            bias_upd: vec![0.0; 50],
        }
    }

    /// One FA step on x (BATCH×225), y (BATCH×50); `acts[l]` holds L_{l+1}.
    fn step(&mut self, x: &[f32], y: &[f32], tm: &mut Timer) {
        let d = SIZES.len() - 1;
        tm.last = Instant::now();
        for l in 0..d {
            let (lower, upper) = self.acts.split_at_mut(l);
            let input: &[f32] = if l == 0 { x } else { &lower[l - 1] };
            let z = &mut upper[0];
            kernels::gemm_nn(BATCH, SIZES[l], SIZES[l + 1], input, &self.w[l], z);
            tm.lap(0);
            kernels::bias_tanh_relu(z, &self.b[l]);
            tm.lap(1);
        }
        // δ_d = −E ⊙ f'(Z_d) = (Y* − Y) ⊙ f'
        let out = &self.acts[d - 1];
        let n_out = SIZES[d];
        self.delta.resize(BATCH * n_out, 0.0);
        for ((dv, &o), &t) in self.delta.iter_mut().zip(out).zip(y) {
            *dv = t - o;
        }
        kernels::mul_tanh_relu_deriv(&mut self.delta, out);
        for l in (0..d).rev() {
            let (n_in, n_next) = (SIZES[l], SIZES[l + 1]);
            let input: &[f32] = if l == 0 { x } else { &self.acts[l - 1] };
            if l > 0 {
                self.back.resize(BATCH * n_in, 0.0);
                tm.lap(4);
                kernels::gemm_nn(BATCH, n_next, n_in, &self.delta, &self.fb[l], &mut self.back);
                tm.lap(2);
                kernels::mul_tanh_relu_deriv(&mut self.back, input);
            }
            tm.lap(4);
            kernels::gemm_tn_acc(n_in, BATCH, n_next, ETA, input, &self.delta, &mut self.w[l]);
            tm.lap(3);
            self.bias_upd.resize(n_next, 0.0);
            kernels::col_sum(BATCH, n_next, ETA, &self.delta, &mut self.bias_upd);
            for (b, &u) in self.b[l].iter_mut().zip(&self.bias_upd) {
                *b = *b + u;
            }
            std::mem::swap(&mut self.delta, &mut self.back);
        }
        tm.lap(4);
    }
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    v[v.len() / 2]
}

/// Runs the numpy yardstick; Ok(None) when python3 or numpy is missing.
fn numpy_epoch(script: &str, epochs: usize) -> Result<Option<(f64, String)>> {
    if !std::path::Path::new(script).is_file() {
        return Err(Error::InvalidParam(format!("--numpy-script {script:?} is not a file")));
    }
    let out = Command::new("python3")
        .arg(script)
        .arg(epochs.to_string())
        .env("OPENBLAS_NUM_THREADS", "1")
        .env("OMP_NUM_THREADS", "1")
        .output();
    let out = match out {
        Ok(o) if o.status.success() => o,
        Ok(o) => {
            eprintln!("numpy: skipped ({})", String::from_utf8_lossy(&o.stderr).lines().last().unwrap_or("failed"));
            return Ok(None);
        }
        Err(e) => {
            eprintln!("numpy: skipped (python3: {e})");
            return Ok(None);
        }
    };
    let text = String::from_utf8_lossy(&out.stdout).trim().to_string();
    // "numpy X FA epoch: 0.2000 s (median of 5), ..."
    let secs = text
        .split("epoch:")
        .nth(1)
        .and_then(|r| r.split_whitespace().next())
        .and_then(|s| s.parse::<f64>().ok())
        .ok_or_else(|| Error::Io(format!("cannot read the numpy script's output: {text:?}")))?;
    Ok(Some((secs, text)))
}

pub fn run(args: Args) -> Result<()> {
    if !(1..=1000).contains(&args.epochs) {
        return Err(Error::InvalidParam(format!("--epochs must be in 1..=1000, got {}", args.epochs)));
    }
    if let Some(name) = &args.path {
        kernels::set_path(Path::from_name(name)?)?;
    }
    let path = kernels::active_path();
    let mut rng = Lcg(0x5EED);
    let n_train = BATCH * STEPS;
    let x: Vec<f32> = (0..n_train * SIZES[0]).map(|_| rng.next()).collect();
    let mut y = vec![0.0f32; n_train * SIZES[5]];
    for r in 0..n_train {
        let j = (rng.next() * SIZES[5] as f32) as usize % SIZES[5];
        y[r * SIZES[5] + j] = 1.0;
    }
    let batch = |s: usize| {
        (
            &x[s * BATCH * SIZES[0]..(s + 1) * BATCH * SIZES[0]],
            &y[s * BATCH * SIZES[5]..(s + 1) * BATCH * SIZES[5]],
        )
    };

    // The real network's FA step (headline), then the metrics per iteration.
    let mut cfg = NetConfig::paper(Rule::Feedback);
    cfg.eta = ETA;
    let mut real = Network::new(cfg, 0x5EED)?;
    let (x0, y0) = batch(0);
    real.step(x0, y0, BATCH)?; // warm-up
    let (mut times, mut metric_times) = (Vec::new(), Vec::new());
    for _ in 0..args.epochs {
        let (mut t_step, mut t_metrics) = (0.0, 0.0);
        for s in 0..STEPS {
            let (xb, yb) = batch(s);
            let t0 = Instant::now();
            let st = real.step(xb, yb, BATCH)?;
            let t1 = Instant::now();
            std::hint::black_box(metrics::iter_metrics(&real, st.loss));
            t_step += (t1 - t0).as_secs_f64();
            t_metrics += t1.elapsed().as_secs_f64();
        }
        times.push(t_step);
        metric_times.push(t_metrics);
    }
    let med = median(times);
    let med_metrics = median(metric_times);
    let gflops = |t: f64| STEPS as f64 * step_flops() / t / 1e9;
    println!(
        "fa-lab FA epoch (Network::step, paper net 225-50-50-50-50-50, batch {BATCH}, {STEPS} steps, kernel path {}): {med:.4} s (median of {}), {:.1} GFLOP/s, {:.2} ms/step",
        path.name(),
        args.epochs,
        gflops(med),
        med / STEPS as f64 * 1e3,
    );
    println!(
        "  per-iteration metrics (iter_metrics): +{:.4} s/epoch ({:.1}% of the step time)",
        med_metrics,
        100.0 * med_metrics / med
    );

    // The same step written directly with the kernels.
    let mut net = FaNet::new(&mut rng);
    let mut tm = Timer { on: false, last: Instant::now(), acc: [0.0; 5] };
    net.step(x0, y0, &mut tm); // warm-up
    let mut times = Vec::with_capacity(args.epochs);
    for _ in 0..args.epochs {
        let t0 = Instant::now();
        for s in 0..STEPS {
            let (xb, yb) = batch(s);
            net.step(xb, yb, &mut tm);
        }
        times.push(t0.elapsed().as_secs_f64());
    }
    let med_k = median(times);
    let finite = net.w.iter().flatten().all(|v| v.is_finite());
    println!(
        "fa-lab FA epoch (kernels only, same step inline): {med_k:.4} s (median of {}), {:.1} GFLOP/s{}",
        args.epochs,
        gflops(med_k),
        if finite { "" } else { " [weights not finite!]" }
    );
    if args.breakdown {
        tm.on = true;
        for s in 0..STEPS {
            let (xb, yb) = batch(s);
            net.step(xb, yb, &mut tm);
        }
        let total: f64 = tm.acc.iter().sum();
        for (name, t) in KINDS.iter().zip(tm.acc) {
            println!("  {name:<24} {:7.2} ms/epoch  {:5.1}%", t * 1e3, 100.0 * t / total);
        }
    }
    if args.numpy {
        if let Some((np, text)) = numpy_epoch(&args.numpy_script, args.epochs)? {
            println!("{text}");
            println!("ratio fa-lab / numpy: {:.3}", med / np);
        }
    }
    Ok(())
}
