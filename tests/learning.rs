//! The paper's network learns 15×15 MNIST (docs/math.md §1, §6) with the default step
//! sizes, and `fa-lab train` writes what it promises. Needs the committed asset
//! `www/data/mnist15.bin`. Each training test runs 20 epochs of 60 steps.

use std::path::Path;
use std::process::Command;
use std::time::Instant;

use fa_lab::data::Mnist15;
use fa_lab::net::Rule;
use fa_lab::train::{TrainConfig, Trainer};

fn mnist() -> Mnist15 {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("www/data/mnist15.bin");
    let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    Mnist15::from_asset(&bytes).unwrap()
}

/// Trains the paper net for 20 epochs and returns the test accuracy after each epoch.
fn train_paper_net(rule: Rule) -> Vec<f64> {
    let data = mnist();
    let started = Instant::now();
    let mut trainer = Trainer::new(TrainConfig::paper(rule, 0).validate().unwrap(), &data).unwrap();
    while !trainer.is_done() {
        trainer.step().unwrap();
        if trainer.is_epoch_boundary() {
            trainer.epoch_end().unwrap();
        }
    }
    let acc = trainer.test_accuracies().to_vec();
    eprintln!("{rule}: test accuracy per epoch {acc:.4?} in {:.1} s", started.elapsed().as_secs_f64());
    assert_eq!(acc.len(), 20);
    acc
}

#[test]
fn backprop_reaches_95_percent_in_20_epochs() {
    let acc = train_paper_net(Rule::Backprop);
    assert!(acc[19] >= 0.95, "BP: {acc:?}");
}

#[test]
fn feedback_alignment_reaches_85_percent_in_20_epochs() {
    let acc = train_paper_net(Rule::Feedback);
    assert!(acc[19] >= 0.85, "FA: {acc:?}");
}

/// `fa-lab train` writes a CSV row per iteration under its header — with the
/// test accuracy on the rows that end an epoch, empty elsewhere — and a summary
/// whose fingerprint, accuracies and link match the same run done through the
/// library (FA with WN and no --lr takes FA+WN's own η).
#[test]
fn cli_train_writes_metrics_and_summary() {
    let out = std::env::temp_dir().join(format!("fa-lab-cli-train-{}", std::process::id()));
    let status = Command::new(env!("CARGO_BIN_EXE_fa-lab"))
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args(["train", "--rule", "fa", "--epochs", "2", "--seed", "3", "--n-train", "2000"])
        .args(["--update-angles", "--wn", "--gamma", "1.5", "--shuffle", "--label-shuffle", "0.5", "--quiet", "--out"])
        .arg(&out)
        .status()
        .unwrap();
    assert!(status.success());
    let csv = std::fs::read_to_string(out.join("metrics.csv")).unwrap();
    let lines: Vec<&str> = csv.lines().collect();
    let header: Vec<&str> = lines[0].split(',').collect();
    assert_eq!(header[..4], ["iter", "epoch", "loss", "align_1"]);
    assert_eq!(header.len(), 3 + 4 + 5 + 4 + 5 + 4 + 1, "{header:?}");
    let last_update = header.iter().position(|&c| c == "update_angle_4").unwrap();
    assert_eq!(header.last(), Some(&"test_accuracy"));
    assert_eq!(lines.len(), 1 + 2 * 2, "two epochs of two batches of 1000");
    for (k, line) in lines[1..].iter().enumerate() {
        let cols: Vec<&str> = line.split(',').collect();
        assert_eq!(cols.len(), header.len());
        assert_eq!(cols[0], k.to_string());
        assert_eq!(cols[last_update], "0", "FA's last-layer update angle is 0");
    }
    let csv_accuracy: Vec<&str> = lines[1..].iter().map(|l| l.rsplit(',').next().unwrap()).collect();
    assert_eq!((csv_accuracy[0], csv_accuracy[2]), ("", ""), "no test accuracy inside an epoch");
    let summary: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("summary.json")).unwrap()).unwrap();

    let mut cfg = TrainConfig::paper(Rule::Feedback, 3);
    cfg.epochs = 2;
    cfg.n_train = Some(2000);
    cfg.update_angles = true;
    cfg.net.weight_norm = Some(1.5);
    cfg.net.eta = fa_lab::versions::FA_WN_ETA;
    cfg.shuffle = true;
    cfg.label_shuffle = 0.5;
    let mut trainer = Trainer::new(cfg.validate().unwrap(), &mnist()).unwrap();
    while !trainer.is_done() {
        trainer.step().unwrap();
        if trainer.is_epoch_boundary() {
            trainer.epoch_end().unwrap();
        }
    }
    assert_eq!(summary["status"], "ok");
    assert_eq!(summary["fingerprint"], format!("{:016x}", trainer.fingerprint()));
    let accs: Vec<f64> = summary["test_accuracy"].as_array().unwrap().iter().map(|v| v.as_f64().unwrap()).collect();
    assert_eq!(accs, trainer.test_accuracies());
    let at_epoch_ends: Vec<f64> = [csv_accuracy[1], csv_accuracy[3]].iter().map(|v| v.parse().unwrap()).collect();
    assert_eq!(at_epoch_ends, accs, "metrics.csv's test accuracy is the summary's, at each epoch's last step");
    let link = summary["link"].as_str().unwrap();
    assert_eq!(fa_lab::link::train_config_from_query(link).unwrap(), *trainer.config(), "{link}");
    std::fs::remove_dir_all(&out).unwrap();
}
