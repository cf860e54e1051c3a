//! `fa-lab figure`: runs a paper figure's experiment (SPEC §7) and writes one
//! SVG per panel (`DIR/<id>-<panel>.svg`), the aggregated data as
//! `DIR/<id>.json` (the `FigureData`) and `DIR/<id>.csv` (long format:
//! `panel,series,x,mean,sd,n`). `fa-lab figure all` makes every figure.
//! `fa-lab figure all --preset quick --out docs/gallery` regenerates the gallery.

use std::fs;
use std::path::{Path, PathBuf};
use std::time::Instant;

use fa_lab::data::Mnist15;
use fa_lab::experiments::{ExperimentId, FigureData, Params, Preset, run_all};
use fa_lab::plot::draw_figure;
use fa_lab::{Error, Result};
use plotters::prelude::*;

#[derive(clap::Args)]
pub struct Args {
    /// fig2b, fig3, fig4, fig5, fig6, fig7, rules, or all.
    #[arg(required_unless_present = "link")]
    id: Option<String>,
    /// A page link's figure, e.g. 'fig=fig6&preset=quick&runs=3&seed=0' (the
    /// part after `#/figures?` or `#/embed?`, or the whole address); replaces
    /// the id, --preset, --runs and --seed.
    #[arg(long, conflicts_with_all = ["id", "preset", "runs", "seed"])]
    link: Option<String>,
    /// quick (seconds, same qualitative shape) or paper (the paper's runs and data).
    #[arg(long, default_value = "quick")]
    preset: String,
    /// Runs per condition (default: the preset's).
    #[arg(long)]
    runs: Option<usize>,
    /// Base seed; run i uses seed + i (default: the preset's, 0).
    #[arg(long)]
    seed: Option<u64>,
    #[arg(long, default_value = "www/data/mnist15.bin")]
    data: PathBuf,
    /// Output directory (created if missing).
    #[arg(long)]
    out: PathBuf,
    /// Panel size in pixels, WIDTHxHEIGHT.
    #[arg(long, default_value = "720x460")]
    size: String,
}

pub fn run(args: Args) -> Result<()> {
    let size = parse_size(&args.size)?;
    let all_params = match &args.link {
        Some(link) => {
            let query = link.rsplit_once('?').map_or(link.as_str(), |(_, q)| q);
            vec![fa_lab::link::figure_params_from_query(query)?]
        }
        None => params_from_args(&args)?,
    };
    let bytes = fs::read(&args.data).map_err(|e| Error::Io(format!("{}: {e}", args.data.display())))?;
    let data = Mnist15::from_asset(&bytes)?;
    fs::create_dir_all(&args.out).map_err(|e| Error::Io(format!("{}: {e}", args.out.display())))?;
    for params in &all_params {
        let started = Instant::now();
        let fig = run_figure(params, &data)?;
        write_figure(&fig, &args.out, size)?;
        eprintln!(
            "fa-lab figure {}: {} runs ({} died or diverged) in {:.1} s → {}",
            fig.experiment,
            fig.runs_done,
            fig.failed.len(),
            started.elapsed().as_secs_f64(),
            args.out.display()
        );
    }
    Ok(())
}

fn params_from_args(args: &Args) -> Result<Vec<Params>> {
    let preset: Preset = args.preset.parse()?;
    let id = args.id.as_deref().unwrap_or_default();
    let ids: Vec<ExperimentId> =
        if id.trim().eq_ignore_ascii_case("all") { ExperimentId::ALL.to_vec() } else { vec![id.parse()?] };
    let mut all_params = Vec::new();
    for id in ids {
        let mut params = id.params(preset);
        if let Some(runs) = args.runs {
            params.set_runs(runs);
        }
        if let Some(seed) = args.seed {
            params.set_seed(seed);
        }
        params.validate()?;
        all_params.push(params);
    }
    Ok(all_params)
}

fn run_figure(params: &Params, data: &Mnist15) -> Result<FigureData> {
    let total = params.runs()?.len();
    let mut done = 0;
    run_all(params, data, |r| {
        done += 1;
        let status = r.failure.as_deref().map_or("ok".to_string(), |f| format!("FAILED: {f}"));
        eprintln!(
            "  {} run {} {} (seed {}): {} steps, {status} [{done}/{total}]",
            params.id(),
            r.run,
            r.condition_name,
            r.seed,
            r.steps
        );
    })
}

fn parse_size(s: &str) -> Result<(u32, u32)> {
    let bad = || Error::InvalidParam(format!("--size must be WIDTHxHEIGHT between 200 and 4000, got {s:?}"));
    let (w, h) = s.split_once('x').ok_or_else(bad)?;
    let (w, h): (u32, u32) = (w.parse().map_err(|_| bad())?, h.parse().map_err(|_| bad())?);
    if !(200..=4000).contains(&w) || !(200..=4000).contains(&h) {
        return Err(bad());
    }
    Ok((w, h))
}

/// `<id>-<panel>.svg` per panel, `<id>.json`, `<id>.csv`.
pub fn write_figure(fig: &FigureData, out: &Path, size: (u32, u32)) -> Result<()> {
    let id = fig.experiment.name();
    for panel in &fig.panels {
        let path = out.join(format!("{id}-{}.svg", panel.key));
        {
            let area = SVGBackend::new(&path, size).into_drawing_area();
            draw_figure(&area, fig, &panel.key)?;
        }
        if !path.exists() {
            return Err(Error::Io(format!("{}: not written", path.display())));
        }
    }
    let json = serde_json::to_string_pretty(fig).map_err(|e| Error::Io(e.to_string()))?;
    let write = |name: String, text: String| {
        let path = out.join(name);
        fs::write(&path, text).map_err(|e| Error::Io(format!("{}: {e}", path.display())))
    };
    write(format!("{id}.json"), json + "\n")?;
    write(format!("{id}.csv"), fig.to_csv())
}
