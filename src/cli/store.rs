//! `fa-lab store`: computes the paper preset of every figure (or one), at the
//! paper's number of runs, on every core, and writes the stored results the
//! page draws at once (`www/stored/<id>.json`, see `fa_lab::stored`). With
//! defaults this is the one command that regenerates all of them:
//! `cargo run --release -- store`. It prints each file's size and the total.

use std::fs;
use std::path::PathBuf;
use std::time::Instant;

use fa_lab::experiments::{ExperimentId, Preset};
use fa_lab::stored::{StoredFigure, paper_query};
use fa_lab::{Error, Result};

use super::figure::{jobs, load_data, run_figure};

#[derive(clap::Args)]
pub struct Args {
    /// fig2b, fig3, fig4, fig5, fig6, fig7, rules, or all.
    #[arg(default_value = "all")]
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
    /// No progress bar, only a line per run.
    #[arg(long)]
    quiet: bool,
}

pub fn run(args: Args) -> Result<()> {
    let ids: Vec<ExperimentId> =
        if args.id.trim().eq_ignore_ascii_case("all") { ExperimentId::ALL.to_vec() } else { vec![args.id.parse()?] };
    let data = load_data(&args.data)?;
    let jobs = jobs(args.jobs)?;
    fs::create_dir_all(&args.out).map_err(|e| Error::Io(format!("{}: {e}", args.out.display())))?;
    let started_all = Instant::now();
    let mut total_bytes = 0;
    for id in ids {
        let started = Instant::now();
        let params = id.params(Preset::Paper);
        let (_, results) = run_figure(&params, &data, jobs, args.quiet)?;
        let threads = if jobs == 1 { "1 thread".to_string() } else { format!("{jobs} threads") };
        let computed =
            format!("natively by fa-lab store ({} {}, {threads})", std::env::consts::ARCH, std::env::consts::OS);
        let stored = StoredFigure::new(&params, &paper_query(id), &results, computed)?;
        let json = stored.to_json();
        let path = args.out.join(format!("{}.json", id.name()));
        fs::write(&path, &json).map_err(|e| Error::Io(format!("{}: {e}", path.display())))?;
        total_bytes += json.len();
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
