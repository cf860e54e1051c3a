//! Argument parsing for `fa-lab`. Each subcommand lives in its own file and
//! returns a process exit code; clap exits with code 2 on bad arguments.

use clap::{Parser, Subcommand};

mod bench;
mod figure;
mod prepare;
mod store;
mod train;

#[derive(Parser)]
#[command(name = "fa-lab", version, about = "FA Lab: feedback alignment on 15×15 MNIST, natively")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Build the 15×15 MNIST asset from the raw IDX files (docs/math.md §6).
    PrepareMnist(prepare::Args),
    /// Train one network and write metrics.csv and summary.json.
    Train(train::Args),
    /// Time an FA epoch of the paper net (60 steps of 1000), single thread.
    Bench(bench::Args),
    /// Run a paper figure's experiment (or all) and write SVG per panel, JSON and CSV.
    Figure(figure::Args),
    /// Compute every figure's paper preset natively and write the stored results the page draws at once.
    Store(store::Args),
}

/// Runs the command line and returns the process exit code.
pub fn main() -> i32 {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::PrepareMnist(args) => prepare::run(args),
        Command::Train(args) => train::run(args),
        Command::Bench(args) => bench::run(args),
        Command::Figure(args) => figure::run(args),
        Command::Store(args) => store::run(args),
    };
    match result {
        Ok(()) => 0,
        Err(e) => {
            eprintln!("fa-lab: {e}");
            match e {
                fa_lab::Error::InvalidParam(_) => 2,
                _ => 1,
            }
        }
    }
}
