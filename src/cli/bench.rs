//! `fa-lab bench`: times an FA epoch of the paper net (225-50-50-50-50-50,
//! batch 1000, 60 steps), single thread, on synthetic data with a fixed seed —
//! the workload of [`fa_lab::bench`], which the page's bench view (`#/bench`,
//! `www/bench.js`) runs in the browser too, so both sides time the same code:
//!
//! - the real [`fa_lab::net::Network::step`] with `Rule::Feedback` (the headline
//!   figure, compared with numpy);
//! - the per-step bookkeeping on top (`--extras`): per-iteration metrics, the
//!   update angles (BP reference pass + angles) and the alignment tracker
//!   ([`fa_lab::align::AlignmentTracker::observe`]), each as a slowdown;
//! - the same step written directly with the kernels (what
//!   `scripts/numpy_step.py` does), to show the network's own overhead.
//!
//! `--numpy` runs that numpy script in the same command and prints the ratio;
//! `--json` prints one JSON object instead of text (for `scripts/bench.sh`).

use std::process::Command;
use std::time::Instant;

use fa_lab::bench::{self as core, BATCH, Extra, FaBench, KINDS, KernelStep, STEPS, SyntheticData, median};
use fa_lab::kernels::{self, Path};
use fa_lab::{Error, Result};

#[derive(clap::Args)]
pub struct Args {
    /// Number of timed epochs (the median is reported), 1..=1000.
    #[arg(long, default_value_t = 5)]
    epochs: usize,
    /// Also run the numpy yardstick (needs python3 + numpy) and print the ratio.
    #[arg(long)]
    numpy: bool,
    /// The numpy script to run with --numpy.
    #[arg(long, default_value = "scripts/numpy_step.py")]
    numpy_script: String,
    /// Kernel path: scalar, sse2, avx2, avx512 (default: the fastest available).
    #[arg(long)]
    path: Option<String>,
    /// Also print the time per kernel kind (one extra epoch, timed per call).
    #[arg(long)]
    breakdown: bool,
    /// Also time the per-step bookkeeping: metrics, update angles, alignment tracker.
    #[arg(long)]
    extras: bool,
    /// Print one JSON object (seconds, GFLOP/s, ratios) instead of text.
    #[arg(long)]
    json: bool,
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

/// Times `epochs` epochs of a fresh [`FaBench`] after one untimed warm-up
/// epoch; returns the per-epoch seconds and the checksum after the warm-up.
fn time_bench(extra: Extra, epochs: usize) -> Result<(Vec<f64>, String)> {
    let mut b = FaBench::new(extra)?;
    b.epoch()?;
    let checksum = b.checksum();
    let mut times = Vec::with_capacity(epochs);
    for _ in 0..epochs {
        let t0 = Instant::now();
        b.epoch()?;
        times.push(t0.elapsed().as_secs_f64());
    }
    Ok((times, checksum))
}

pub fn run(args: Args) -> Result<()> {
    if !(1..=1000).contains(&args.epochs) {
        return Err(Error::InvalidParam(format!("--epochs must be in 1..=1000, got {}", args.epochs)));
    }
    if let Some(name) = &args.path {
        kernels::set_path(Path::from_name(name)?)?;
    }
    let path = kernels::active_path();
    let gflops = |t: f64| core::epoch_flops() / t / 1e9;
    let say = |line: String| {
        if !args.json {
            println!("{line}");
        }
    };

    // The real network's FA step (headline).
    let (step_times, checksum) = time_bench(Extra::None, args.epochs)?;
    let med = median(&step_times);
    say(format!(
        "fa-lab FA epoch (Network::step, paper net 225-50-50-50-50-50, batch {BATCH}, {STEPS} steps, kernel path {}): {med:.4} s (median of {}), {:.1} GFLOP/s, {:.2} ms/step; checksum after 1 epoch {checksum}",
        path.name(),
        args.epochs,
        gflops(med),
        med / STEPS as f64 * 1e3,
    ));

    // The per-step bookkeeping, each on a fresh bench, interleaved with fresh
    // plain-step timings so that the ratios compare like with like on a noisy machine.
    let mut extras = Vec::new();
    if args.extras {
        let mut per: Vec<(Extra, Vec<f64>)> = Extra::ALL.iter().map(|&e| (e, Vec::new())).collect();
        for _ in 0..args.epochs.clamp(3, 7) {
            for (e, v) in per.iter_mut() {
                v.extend(time_bench(*e, 1)?.0);
            }
        }
        let med_of = |e: Extra| median(&per.iter().find(|(x, _)| *x == e).unwrap().1);
        for e in [Extra::Metrics, Extra::UpdateAngles, Extra::Alignment] {
            let (t, base) = (med_of(e), med_of(e.baseline()));
            say(format!(
                "  + {:<14} {t:.4} s/epoch vs {} {base:.4} s: +{:.1}% ({:.2} ms/step)",
                e.name(),
                e.baseline().name(),
                100.0 * (t / base - 1.0),
                (t - base) / STEPS as f64 * 1e3
            ));
            extras.push(format!(
                "\"{}\": {{\"seconds\": {t}, \"baseline\": \"{}\", \"baseline_seconds\": {base}, \"overhead\": {}}}",
                e.name(),
                e.baseline().name(),
                t / base - 1.0
            ));
        }
    }

    // The same step written directly with the kernels.
    let data = SyntheticData::new(core::SEED);
    let (x0, y0) = data.batch(0);
    let mut net = KernelStep::new(core::SEED);
    net.step(x0, y0); // warm-up
    let mut times = Vec::with_capacity(args.epochs);
    for _ in 0..args.epochs {
        let t0 = Instant::now();
        for s in 0..STEPS {
            let (xb, yb) = data.batch(s);
            net.step(xb, yb);
        }
        times.push(t0.elapsed().as_secs_f64());
    }
    let med_k = median(&times);
    say(format!(
        "fa-lab FA epoch (kernels only, same step inline): {med_k:.4} s (median of {}), {:.1} GFLOP/s{}",
        args.epochs,
        gflops(med_k),
        if net.weights_finite() { "" } else { " [weights not finite!]" }
    ));
    let mut kinds = Vec::new();
    if args.breakdown {
        let t0 = Instant::now();
        let acc = core::breakdown(&mut || t0.elapsed().as_secs_f64());
        let total: f64 = acc.iter().sum();
        for (name, t) in KINDS.iter().zip(acc) {
            say(format!("  {name:<24} {:7.2} ms/epoch  {:5.1}%", t * 1e3, 100.0 * t / total));
            kinds.push(format!("\"{name}\": {t}"));
        }
    }
    let mut np_secs = None;
    if args.numpy
        && let Some((np, text)) = numpy_epoch(&args.numpy_script, args.epochs)?
    {
        say(text);
        say(format!("ratio fa-lab / numpy: {:.3}", med / np));
        np_secs = Some(np);
    }
    if args.json {
        let num = |v: Option<f64>| v.map_or("null".to_string(), |v| v.to_string());
        println!(
            "{{\"path\": \"{}\", \"epochs\": {}, \"epoch_seconds\": {:?}, \"median_seconds\": {med}, \"gflops\": {}, \"checksum\": \"{checksum}\", \"kernels_only_seconds\": {med_k}, \"numpy_seconds\": {}, \"ratio_numpy\": {}, \"extras\": {{{}}}, \"breakdown\": {{{}}}}}",
            path.name(),
            args.epochs,
            step_times,
            gflops(med),
            num(np_secs),
            num(np_secs.map(|np| med / np)),
            extras.join(", "),
            kinds.join(", ")
        );
    }
    Ok(())
}
