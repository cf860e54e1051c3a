//! `fa-lab figure`: runs a paper figure's experiment (docs/math.md §7) and writes one
//! SVG per panel (`DIR/<id>-<panel>.svg`), the aggregated data as
//! `DIR/<id>.json` (the `FigureData`) and `DIR/<id>.csv` (long format:
//! `panel,series,x,mean,sd,n`). `fa-lab figure all` makes every figure.
//! `fa-lab figure all --preset quick --out docs/gallery` regenerates the gallery.
//! Every file records its provenance (FA Lab's version and commit, the page
//! link that gives the same numbers, each run's fingerprint): SVG `<metadata>`,
//! CSV `#` lines, a JSON `provenance` field — as the page's exports do.
//!
//! Runs are independent, so they go to `--jobs` threads (default: every
//! core), longest first; results are put back in the experiment's order before
//! `aggregate`, so the output is the same bits whatever the number of threads.
//! A run that starts as another (fig7's FA epochs before each switch) is
//! forked from it instead of computed from the start, with the same bits.

use std::fs;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

use fa_lab::data::Mnist15;
use fa_lab::describe::describe_panel;
use fa_lab::experiments::{Branch, ExperimentId, FigureData, Params, Preset, RunResult, RunSpec, RunState, aggregate};
use fa_lab::export::svg_with_metadata;
use fa_lab::link::figure_query;
use fa_lab::plot::draw_figure;
use fa_lab::provenance::{Provenance, RunRecord};
use fa_lab::{Error, Result};
use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};
use plotters::prelude::*;

#[derive(clap::Args)]
pub struct Args {
    // The help names every figure of `ExperimentId::ALL`.
    #[arg(required_unless_present = "link", help = format!("{}, or all", ExperimentId::names()))]
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
    /// Runs computed at once, one thread each (default: the machine's cores).
    /// Any number gives the same bits.
    #[arg(long)]
    jobs: Option<usize>,
    /// No progress bar, only a line per figure.
    #[arg(long)]
    quiet: bool,
}

pub fn run(args: Args) -> Result<()> {
    let size = parse_size(&args.size)?;
    let all_params = match &args.link {
        Some(link) => {
            let query = link.rsplit_once('?').map_or(link.as_str(), |(_, q)| q);
            vec![(fa_lab::link::figure_params_from_query(query)?, query.to_string())]
        }
        None => params_from_args(&args)?,
    };
    let data = load_data(&args.data)?;
    let jobs = jobs(args.jobs)?;
    fs::create_dir_all(&args.out).map_err(|e| Error::Io(format!("{}: {e}", args.out.display())))?;
    let started_all = Instant::now();
    for (params, query) in &all_params {
        let started = Instant::now();
        let (fig, results) = run_figure(params, &data, jobs, args.quiet)?;
        let runs = Provenance::figure_runs(&results);
        let link = format!("#/figures?{}", query.trim_start_matches('?'));
        write_figure(&fig, &args.out, size, &link, &runs)?;
        eprintln!(
            "fa-lab figure {}: {} runs ({} died or diverged) in {:.1} s → {}",
            fig.experiment,
            fig.runs_done,
            fig.failed.len(),
            started.elapsed().as_secs_f64(),
            args.out.display()
        );
    }
    if all_params.len() > 1 {
        eprintln!(
            "fa-lab figure: {} figures in {:.1} s with {jobs} jobs",
            all_params.len(),
            started_all.elapsed().as_secs_f64()
        );
    }
    Ok(())
}

/// `--jobs`: at least 1; by default every core.
pub fn jobs(jobs: Option<usize>) -> Result<usize> {
    match jobs {
        Some(0) => Err(Error::InvalidParam("--jobs must be at least 1".into())),
        Some(n) => Ok(n),
        None => Ok(std::thread::available_parallelism().map_or(1, |n| n.get())),
    }
}

/// The asset at `path`, decoded.
pub fn load_data(path: &Path) -> Result<Mnist15> {
    let bytes = fs::read(path).map_err(|e| Error::Io(format!("{}: {e}", path.display())))?;
    Mnist15::from_asset(&bytes)
}

/// Each figure's parameters and its page link's query.
fn params_from_args(args: &Args) -> Result<Vec<(Params, String)>> {
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
        let query = figure_query(id, preset, params.n_runs(), params.seed());
        all_params.push((params, query));
    }
    Ok(all_params)
}

/// Every run of `params` on `jobs` threads, longest first, with a progress bar
/// counting steps (so the time left weighs a 2,430-step PCA run properly).
/// Each run is computed exactly as alone; runs that start as another
/// (fig7's FA epochs before each switch, [`Branch`]) are forked from it by
/// the thread that computes it, which gives the same bits. Results are
/// aggregated in the experiment's run order, so the figure is the same bits
/// for any `jobs`. Also returns the runs' results, in run order.
pub fn run_figure(params: &Params, data: &Mnist15, jobs: usize, quiet: bool) -> Result<(FigureData, Vec<RunResult>)> {
    let checked = params.validate()?;
    let specs = checked.specs();
    let branches = checked.branches(data);
    let sizes: Vec<u64> =
        specs.iter().map(|s| RunState::new(s, data).map(|r| r.total_steps())).collect::<Result<_>>()?;
    // Steps each work item (a run with the branches forked from it) computes.
    let mut work: Vec<u64> = sizes.clone();
    for b in &branches {
        work[b.trunk] += sizes[b.branch] - b.at_step;
    }
    let forked: Vec<usize> = branches.iter().map(|b| b.branch).collect();
    let mut order: Vec<usize> = (0..specs.len()).filter(|i| !forked.contains(i)).collect();
    order.sort_by_key(|&i| std::cmp::Reverse(work[i]));

    let target = if quiet { ProgressDrawTarget::hidden() } else { ProgressDrawTarget::stderr() };
    let bars = MultiProgress::with_draw_target(target);
    let total = bars.add(ProgressBar::new(order.iter().map(|&i| work[i]).sum()));
    total.set_style(
        ProgressStyle::with_template("{prefix} {bar:30} {pos}/{len} steps, {msg}  [{elapsed} < {eta}]")
            .map_err(|e| Error::InvalidParam(e.to_string()))?,
    );
    total.set_prefix(params.id().to_string());
    total.set_message(format!("0/{} runs", specs.len()));

    let next = AtomicUsize::new(0);
    let finished = AtomicUsize::new(0);
    let results: Mutex<Vec<Option<RunResult>>> = Mutex::new(vec![None; specs.len()]);
    let first_error: Mutex<Option<Error>> = Mutex::new(None);
    let done = |i: usize, r: RunResult| {
        let n = finished.fetch_add(1, Ordering::Relaxed) + 1;
        total.set_message(format!("{n}/{} runs", specs.len()));
        let status = r.failure.as_deref().map_or("ok".to_string(), |f| format!("FAILED: {f}"));
        let line = format!(
            "  {} run {} {} (seed {}): {} steps, {status} [{n}/{}]",
            params.id(),
            r.run,
            r.condition_name,
            r.seed,
            r.steps,
            specs.len()
        );
        if quiet {
            eprintln!("{line}")
        } else {
            total.println(line);
        }
        if let Ok(mut slots) = results.lock() {
            slots[i] = Some(r);
        }
    };
    let worker = || {
        while first_error.lock().map_or(true, |e| e.is_none()) {
            let Some(&i) = order.get(next.fetch_add(1, Ordering::Relaxed)) else { break };
            let forks: Vec<_> = branches.iter().filter(|b| b.trunk == i).collect();
            let computed = RunState::new(&specs[i], data)
                .and_then(|trunk| run_with_forks(trunk, &specs, &forks, &total))
                .and_then(|(trunk, forked)| {
                    done(i, trunk);
                    for (b, state) in forked {
                        // A trunk that could not fork there (it failed first): computed alone.
                        let state = match state {
                            Some(state) => state,
                            None => RunState::new(&specs[b.branch], data)?,
                        };
                        done(b.branch, run_with_forks(state, &specs, &[], &total)?.0);
                    }
                    Ok(())
                });
            if let Err(e) = computed
                && let Ok(mut slot) = first_error.lock()
            {
                slot.get_or_insert(e);
            }
        }
    };
    std::thread::scope(|scope| {
        for _ in 0..jobs.min(order.len()).max(1) {
            scope.spawn(worker);
        }
    });
    total.finish_and_clear();
    if let Some(e) = first_error.into_inner().ok().flatten() {
        return Err(e);
    }
    let results: Vec<RunResult> = results.into_inner().unwrap_or_default().into_iter().flatten().collect();
    if results.len() != specs.len() {
        return Err(Error::InvalidParam(format!("{} of {} runs finished", results.len(), specs.len())));
    }
    Ok((aggregate(params, &results)?, results))
}

/// `state`'s run to its end, reporting its steps to `bar` and forking each
/// of `forks` (none for a run that is no trunk) from it at its step on the
/// way; returns its result and the forked states (`None`: not forked).
#[allow(clippy::type_complexity)]
fn run_with_forks<'b>(
    mut state: RunState,
    specs: &[RunSpec],
    forks: &[&'b Branch],
    bar: &ProgressBar,
) -> Result<(RunResult, Vec<(&'b Branch, Option<RunState>)>)> {
    const CHUNK: u64 = 16;
    let mut forked: Vec<(&Branch, Option<RunState>)> = Vec::new();
    // A forked run's steps before the fork are its trunk's, already counted.
    let mut reported = state.steps();
    loop {
        let next_fork = forks.get(forked.len()).map(|b| b.at_step);
        let chunk = next_fork.map_or(CHUNK, |at| at.saturating_sub(state.steps()).clamp(1, CHUNK));
        let result = state.advance(chunk as usize)?;
        bar.inc(state.steps() - reported);
        reported = state.steps();
        while let Some(b) = forks.get(forked.len())
            && (result.is_some() || state.steps() >= b.at_step)
        {
            let fork = if result.is_none() { state.fork(b, &specs[b.branch]) } else { None };
            match &fork {
                Some(f) => debug_assert_eq!(f.steps(), b.at_step),
                // Computed alone from its first step: its prefix was not counted.
                None => bar.inc_length(b.at_step),
            }
            forked.push((b, fork));
        }
        if let Some(r) = result {
            return Ok((r, forked));
        }
    }
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

fn write(out: &Path, name: String, text: String) -> Result<()> {
    let path = out.join(name);
    fs::write(&path, text).map_err(|e| Error::Io(format!("{}: {e}", path.display())))
}

fn provenance(link: &str, runs: &[RunRecord], panel: String, title: &str) -> Provenance {
    Provenance::new(link.to_string(), None, panel, title.to_string(), runs.to_vec())
}

/// `<id>-<panel>.svg` per panel, with its provenance.
pub fn write_svgs(fig: &FigureData, out: &Path, size: (u32, u32), link: &str, runs: &[RunRecord]) -> Result<()> {
    let id = fig.experiment.name();
    for panel in &fig.panels {
        let mut svg = String::new();
        {
            let area = SVGBackend::with_string(&mut svg, size).into_drawing_area();
            draw_figure(&area, fig, &panel.key)?;
        }
        let prov = provenance(link, runs, format!("{id} panel {}", panel.key), &panel.title);
        let svg = svg_with_metadata(&svg, &panel.title, &describe_panel(panel, None), &prov)?;
        write(out, format!("{id}-{}.svg", panel.key), svg)?;
    }
    Ok(())
}

/// `<id>-<panel>.svg` per panel, `<id>.json`, `<id>.csv`, each with its provenance.
pub fn write_figure(fig: &FigureData, out: &Path, size: (u32, u32), link: &str, runs: &[RunRecord]) -> Result<()> {
    let id = fig.experiment.name();
    write_svgs(fig, out, size, link, runs)?;
    let prov = provenance(link, runs, format!("{id} (every panel)"), &fig.title);
    // Serialised straight from the types (not through serde_json::Value), so
    // an f32 setting prints as written (0.001), not widened to f64.
    #[derive(serde::Serialize)]
    struct FigureFile<'a> {
        #[serde(flatten)]
        figure: &'a FigureData,
        provenance: &'a Provenance,
    }
    let json = serde_json::to_string_pretty(&FigureFile { figure: fig, provenance: &prov })
        .map_err(|e| Error::Io(e.to_string()))?;
    write(out, format!("{id}.json"), json + "\n")?;
    write(out, format!("{id}.csv"), prov.csv_comment() + &fig.to_csv())
}
