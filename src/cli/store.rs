//! `fa-lab store`: computes the paper preset of every figure (or one), at the
//! paper's number of runs, on every core, and writes the stored results the
//! page draws at once (`www/stored/<id>.json`, see `fa_lab::stored`). With
//! defaults this is the one command that regenerates all of them:
//! `cargo run --release -- store`. It prints each file's size and the total.
//! `--gallery docs/gallery/paper` also draws the figures there.

use std::fs;
use std::path::PathBuf;
use std::time::Instant;

use fa_lab::experiments::{ExperimentId, Preset};
use fa_lab::stored::{StoredFigure, paper_query};
use fa_lab::{Error, Result};

use super::figure::{jobs, load_data, run_figure, write_svgs};

/// The gallery's panel size (`fa-lab figure`'s default).
const GALLERY_SIZE: (u32, u32) = (720, 460);

#[derive(clap::Args)]
pub struct Args {
    // The help names every figure of `ExperimentId::ALL`.
    #[arg(default_value = "all", help = format!("{}, or all", ExperimentId::names()))]
    id: String,
    #[arg(long, default_value = "www/data/mnist15.bin")]
    data: PathBuf,
    /// Where the page serves them from.
    #[arg(long, default_value = "www/stored")]
    out: PathBuf,
    /// Runs computed at once, one thread each (default: the machine's cores).
    /// Any number gives the same bits.
    #[arg(long)]
    jobs: Option<usize>,
    /// Also draw each figure's panels into this folder, an SVG each with its
    /// provenance, as `fa-lab figure` does (the data is the stored JSON), e.g.
    /// `docs/gallery/paper`.
    #[arg(long)]
    gallery: Option<PathBuf>,
    /// Check instead of write: recompute the stored runs (or only `--run K`)
    /// and compare each fingerprint with the stored one; fails if any differs.
    #[arg(long)]
    check: bool,
    /// With --gallery: draw the stored results as they are, computing nothing
    /// (after a change to the drawing only).
    #[arg(long, requires = "gallery", conflicts_with = "check")]
    redraw: bool,
    /// With --check: only run K (0-based, in the stored file's order).
    #[arg(long, requires = "check")]
    run: Option<usize>,
    /// No progress bar, only a line per run.
    #[arg(long)]
    quiet: bool,
}

pub fn run(args: Args) -> Result<()> {
    let ids: Vec<ExperimentId> =
        if args.id.trim().eq_ignore_ascii_case("all") { ExperimentId::ALL.to_vec() } else { vec![args.id.parse()?] };
    let data = load_data(&args.data)?;
    if args.check {
        return check(&args, &ids, &data);
    }
    if args.redraw {
        return redraw(&args, &ids);
    }
    let jobs = jobs(args.jobs)?;
    fs::create_dir_all(&args.out).map_err(|e| Error::Io(format!("{}: {e}", args.out.display())))?;
    let started_all = Instant::now();
    let mut total_bytes = 0;
    for id in ids {
        let started = Instant::now();
        let params = id.params(Preset::Paper);
        let (figure, results) = run_figure(&params, &data, jobs, args.quiet)?;
        let threads = if jobs == 1 { "1 thread".to_string() } else { format!("{jobs} threads") };
        let computed =
            format!("natively by fa-lab store ({} {}, {threads})", std::env::consts::ARCH, std::env::consts::OS);
        let stored = StoredFigure::new(&params, &paper_query(id), &results, computed)?;
        let json = stored.to_json();
        let path = args.out.join(format!("{}.json", id.name()));
        fs::write(&path, &json).map_err(|e| Error::Io(format!("{}: {e}", path.display())))?;
        total_bytes += json.len();
        if let Some(dir) = &args.gallery {
            fs::create_dir_all(dir).map_err(|e| Error::Io(format!("{}: {e}", dir.display())))?;
            let link = format!("#/figures?{}", stored.link);
            write_svgs(&figure, dir, GALLERY_SIZE, &link, &stored.runs)?;
        }
        eprintln!(
            "fa-lab store {}: {} runs ({} died or diverged) in {:.1} s → {} ({} bytes)",
            id.name(),
            results.len(),
            stored.figure.failed.len(),
            started.elapsed().as_secs_f64(),
            path.display(),
            json.len()
        );
    }
    eprintln!(
        "fa-lab store: {total_bytes} bytes ({:.2} MB) in {:.1} s with {jobs} jobs",
        total_bytes as f64 / 1e6,
        started_all.elapsed().as_secs_f64()
    );
    Ok(())
}

/// The stored result of `id` in `args.out`, read and checked.
fn read_stored(args: &Args, id: ExperimentId) -> Result<StoredFigure> {
    let path = args.out.join(format!("{}.json", id.name()));
    let text = fs::read_to_string(&path).map_err(|e| Error::Io(format!("{}: {e}", path.display())))?;
    StoredFigure::parse(&text)
}

/// `--redraw`: the gallery drawn from the stored results.
fn redraw(args: &Args, ids: &[ExperimentId]) -> Result<()> {
    let dir = args.gallery.as_ref().ok_or_else(|| Error::InvalidParam("--redraw needs --gallery DIR".into()))?;
    fs::create_dir_all(dir).map_err(|e| Error::Io(format!("{}: {e}", dir.display())))?;
    for &id in ids {
        let stored = read_stored(args, id)?;
        write_svgs(&stored.figure, dir, GALLERY_SIZE, &format!("#/figures?{}", stored.link), &stored.runs)?;
        eprintln!("fa-lab store {id}: drawn from the stored result into {}", dir.display());
    }
    Ok(())
}

/// `--check`: each figure's stored runs recomputed natively, one by one.
fn check(args: &Args, ids: &[ExperimentId], data: &fa_lab::data::Mnist15) -> Result<()> {
    let mut differ = 0;
    for &id in ids {
        let stored = read_stored(args, id)?;
        let specs = stored.specs()?;
        let chosen: Vec<usize> = match args.run {
            Some(k) if k >= specs.len() => {
                return Err(Error::InvalidParam(format!("--run {k}: {id} has runs 0 to {}", specs.len() - 1)));
            }
            Some(k) => vec![k],
            None => (0..specs.len()).collect(),
        };
        for k in chosen {
            let started = Instant::now();
            let result = fa_lab::experiments::run_one(&specs[k], data)?;
            let c = stored.check_run(k, &result)?;
            differ += usize::from(!c.equal);
            println!("{id} run {k}: {} ({:.1} s)", c.text, started.elapsed().as_secs_f64());
        }
    }
    if differ > 0 {
        return Err(Error::CorruptData(format!("{differ} recomputed runs differ from the stored ones")));
    }
    Ok(())
}
