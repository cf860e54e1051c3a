//! `fa-lab train`: one training run, written as `DIR/metrics.csv` (a row per
//! iteration, with the test accuracy on the rows where it is measured) and
//! `DIR/summary.json` (config, its link, per-epoch test accuracy, final
//! metrics, fingerprint).

use std::fs;
use std::io::{BufWriter, Write};
use std::path::PathBuf;
use std::time::Instant;

use fa_lab::checked::Checked;
use fa_lab::data::Mnist15;
use fa_lab::metrics::IterMetrics;
use fa_lab::net::{Activation, NetConfig, Rule};
use fa_lab::train::{IterRecord, TrainConfig, Trainer};
use fa_lab::versions;
use fa_lab::{Error, Result};
use indicatif::{ProgressBar, ProgressStyle};
use serde::Serialize;

#[derive(clap::Args)]
pub struct Args {
    // The help names every rule of `Rule::ALL`.
    #[arg(long, default_value = "fa", help = format!("Learning rule: {}", Rule::spellings()))]
    rule: String,
    /// Kolen–Pollack's per-step decay (with --rule kp).
    #[arg(long)]
    kp_decay: Option<f32>,
    #[arg(long, default_value_t = 20)]
    epochs: usize,
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Learning rate η (loss summed over the batch); default: the rule's own
    /// (FA with WN has its own, 5e-4).
    #[arg(long, allow_negative_numbers = true)]
    lr: Option<f32>,
    /// Weight normalisation (docs/math.md §3) with norm --gamma.
    #[arg(long)]
    wn: bool,
    /// WN's column norm γ (implies --wn); default 1.
    #[arg(long, allow_negative_numbers = true)]
    gamma: Option<f32>,
    /// Permute the sample order at the start of every epoch.
    #[arg(long)]
    shuffle: bool,
    /// Fraction of training labels permuted among themselves once, in [0, 1].
    #[arg(long, default_value_t = 0.0, allow_negative_numbers = true)]
    label_shuffle: f64,
    /// Also record ∠(ΔW^rule, ΔW^BP) per layer (a second backward pass each step).
    #[arg(long)]
    update_angles: bool,
    /// Layer widths, input first.
    #[arg(long, value_delimiter = ',', default_value = "225,50,50,50,50,50")]
    sizes: Vec<usize>,
    #[arg(long, default_value_t = 1000)]
    batch: usize,
    /// Train on the first N training images only.
    #[arg(long)]
    n_train: Option<usize>,
    /// Linear units instead of tanh∘ReLU.
    #[arg(long)]
    linear: bool,
    /// A page link's settings, e.g. 'rule=fa&epochs=5&seed=3' (the part after
    /// `#/train?`); replaces every other training flag.
    #[arg(long, conflicts_with_all = ["rule", "kp_decay", "epochs", "seed", "lr", "wn", "gamma", "shuffle", "label_shuffle", "update_angles", "sizes", "batch", "n_train", "linear"])]
    link: Option<String>,
    #[arg(long, default_value = "www/data/mnist15.bin")]
    data: PathBuf,
    /// Output directory (created if missing).
    #[arg(long)]
    out: PathBuf,
    /// No progress bar.
    #[arg(long)]
    quiet: bool,
}

impl Args {
    fn config(&self) -> Result<Checked<TrainConfig>> {
        if let Some(query) = &self.link {
            let query = query.rsplit_once("#/train?").map_or(query.as_str(), |(_, q)| q);
            return fa_lab::link::train_config_from_query(query);
        }
        let mut rule: Rule = self.rule.parse()?;
        if let Some(decay) = self.kp_decay {
            rule = rule.with_kp_decay(decay).ok_or_else(|| Error::InvalidParam("--kp-decay needs --rule kp".into()))?;
        }
        let weight_norm = (self.wn || self.gamma.is_some()).then_some(self.gamma.unwrap_or(1.0));
        let cfg = TrainConfig {
            net: NetConfig {
                sizes: self.sizes.clone(),
                rule,
                eta: self.lr.unwrap_or(versions::default_eta(rule, weight_norm, versions::CURRENT)),
                weight_norm,
                activation: if self.linear { Activation::Linear } else { Activation::TanhRelu },
                use_bias: true,
            },
            epochs: self.epochs,
            batch: self.batch,
            shuffle: self.shuffle,
            label_shuffle: self.label_shuffle,
            update_angles: self.update_angles,
            seed: self.seed,
            n_train: self.n_train,
            control_feedback: versions::train_defaults(rule, self.seed, versions::CURRENT).control_feedback,
        };
        cfg.validate()
    }
}

pub fn run(args: Args) -> Result<()> {
    let cfg = args.config()?;
    let bytes = fs::read(&args.data).map_err(|e| Error::Io(format!("{}: {e}", args.data.display())))?;
    let data = Mnist15::from_asset(&bytes)?;
    let mut trainer = Trainer::new(cfg.clone(), &data)?;
    fs::create_dir_all(&args.out).map_err(|e| Error::Io(format!("{}: {e}", args.out.display())))?;
    let csv_path = args.out.join("metrics.csv");
    let file = fs::File::create(&csv_path).map_err(|e| Error::Io(format!("{}: {e}", csv_path.display())))?;
    let mut csv = BufWriter::new(file);
    let depth = cfg.net.sizes.len() - 1;
    writeln!(csv, "{}", csv_header(depth, cfg.update_angles))?;

    let total = (trainer.steps_per_epoch() * cfg.epochs) as u64;
    let bar = if args.quiet { ProgressBar::hidden() } else { ProgressBar::new(total) };
    bar.set_style(
        ProgressStyle::with_template("{bar:30} {pos}/{len} it  epoch {prefix}  {msg}  [{elapsed} < {eta}]")
            .map_err(|e| Error::InvalidParam(e.to_string()))?,
    );
    let started = Instant::now();
    let mut last: Option<IterRecord> = None;
    let mut failure = None;
    while !trainer.is_done() {
        match trainer.advance(1) {
            Ok(records) => {
                for record in records {
                    writeln!(csv, "{}", csv_row(&record))?;
                    bar.set_message(format!("loss {:.2}", record.metrics.loss));
                    bar.set_prefix(format!("{}", record.epoch + 1));
                    bar.inc(1);
                    if let Some(acc) = record.test_accuracy {
                        bar.println(format!("epoch {:>3}: test accuracy {:.2} %", record.epoch + 1, 100.0 * acc));
                    }
                    last = Some(record);
                }
            }
            Err(e) => {
                failure = Some(e);
                break;
            }
        }
    }
    bar.finish_and_clear();
    csv.flush()?;

    let summary = Summary {
        config: &cfg,
        link: fa_lab::link::train_config_to_query(&cfg),
        seed: cfg.seed,
        status: failure.as_ref().map_or("ok".to_string(), |e| e.to_string()),
        iterations: trainer.iteration(),
        epochs_completed: trainer.epoch(),
        test_accuracy: trainer.test_accuracies(),
        last: last.as_ref().map(|r| &r.metrics),
        fingerprint: format!("{:016x}", trainer.fingerprint()),
        seconds: started.elapsed().as_secs_f64(),
    };
    let summary_path = args.out.join("summary.json");
    let text = serde_json::to_string_pretty(&summary).map_err(|e| Error::Io(e.to_string()))?;
    fs::write(&summary_path, text + "\n").map_err(|e| Error::Io(format!("{}: {e}", summary_path.display())))?;
    if let Some(e) = failure {
        return Err(e);
    }
    eprintln!(
        "fa-lab train: {} iterations in {:.1} s, final test accuracy {:.2} %, fingerprint {:016x}; wrote {}",
        trainer.iteration(),
        started.elapsed().as_secs_f64(),
        100.0 * trainer.test_accuracies().last().copied().unwrap_or(f64::NAN),
        trainer.fingerprint(),
        args.out.display()
    );
    Ok(())
}

/// `summary.json`. Serialised straight from this struct (not through
/// `serde_json::Value`) so f32 fields such as `eta` print as written.
#[derive(Serialize)]
struct Summary<'a> {
    config: &'a TrainConfig,
    /// The run as a link of the current version (`fa-lab train --link`, the page's `#/train?`).
    link: String,
    seed: u64,
    /// "ok", or the error that stopped the run.
    status: String,
    iterations: u64,
    epochs_completed: usize,
    /// Per epoch, fractions in [0, 1].
    test_accuracy: &'a [f64],
    /// The metrics of the last iteration.
    #[serde(rename = "final")]
    last: Option<&'a IterMetrics>,
    fingerprint: String,
    seconds: f64,
}

/// `iter,epoch,loss,align_1..,norm_0..,fb_update_angle_1..[,update_angle_0..,signal_angle_1..],test_accuracy`
/// (`signal_angle_l`: the error-signal angle `∠(δ_l^rule, δ_l^BP)`);
/// `test_accuracy` (a fraction) is on the rows that end an epoch, empty elsewhere.
fn csv_header(depth: usize, update_angles: bool) -> String {
    let mut cols = vec!["iter".to_string(), "epoch".into(), "loss".into()];
    cols.extend((1..depth).map(|l| format!("align_{l}")));
    cols.extend((0..depth).map(|l| format!("norm_{l}")));
    cols.extend((1..depth).map(|l| format!("fb_update_angle_{l}")));
    if update_angles {
        cols.extend((0..depth).map(|l| format!("update_angle_{l}")));
        cols.extend((1..depth).map(|l| format!("signal_angle_{l}")));
    }
    cols.push("test_accuracy".into());
    cols.join(",")
}

fn csv_row(record: &IterRecord) -> String {
    let IterMetrics {
        loss,
        weight_alignment_deg,
        weight_norm,
        feedback_update_angle_deg,
        update_angle_deg,
        signal_angle_deg,
    } = &record.metrics;
    let mut cols = vec![record.iteration.to_string(), record.epoch.to_string(), loss.to_string()];
    cols.extend(weight_alignment_deg[1..].iter().map(f64::to_string));
    cols.extend(weight_norm.iter().map(f64::to_string));
    cols.extend(feedback_update_angle_deg[1..].iter().map(f64::to_string));
    if let Some(angles) = update_angle_deg {
        cols.extend(angles.iter().map(f64::to_string));
    }
    if let Some(angles) = signal_angle_deg {
        cols.extend(angles[1..].iter().map(f64::to_string));
    }
    cols.push(record.test_accuracy.map_or(String::new(), |a| a.to_string()));
    cols.join(",")
}
