//! `fa-lab figure --jobs N` spreads runs over threads; the figure must be the
//! same bits as the library's one-thread `run_all`, for any N, and record the
//! same runs (fingerprints) in its provenance.

use std::path::Path;
use std::process::Command;

use fa_lab::data::Mnist15;
use fa_lab::experiments::{ExperimentId, Preset, run_all};
use fa_lab::provenance::RunRecord;

#[test]
fn figure_jobs_give_the_bits_of_one_thread() {
    let exe = env!("CARGO_BIN_EXE_fa-lab");
    let data_path = Path::new(env!("CARGO_MANIFEST_DIR")).join("www/data/mnist15.bin");
    let base = std::env::temp_dir().join(format!("fa-lab-jobs-test-{}", std::process::id()));
    // fig4 mixes conditions of different lengths, so threads finish out of order.
    let mut params = ExperimentId::Fig4.params(Preset::Quick);
    params.set_runs(2);
    params.set_seed(5);
    let data = Mnist15::from_asset(&std::fs::read(&data_path).unwrap()).unwrap();
    let mut runs = Vec::new();
    let figure = run_all(&params, &data, |r| runs.push(RunRecord::of(r))).unwrap();
    // The figure's own JSON, every float as serde writes it (f32 settings unwidened).
    let reference = serde_json::to_string_pretty(&figure).unwrap();
    let reference = reference.strip_suffix("\n}").unwrap();
    let fingerprints: Vec<String> = runs.iter().map(|r| r.fingerprint.clone()).collect();
    for jobs in ["1", "3"] {
        let out = base.join(jobs);
        let run = Command::new(exe)
            .args(["figure", "fig4", "--preset", "quick", "--runs", "2", "--seed", "5", "--quiet", "--jobs", jobs])
            .arg("--data")
            .arg(&data_path)
            .arg("--out")
            .arg(&out)
            .output()
            .unwrap();
        assert!(run.status.success(), "{}", String::from_utf8_lossy(&run.stderr));
        // The file is the figure's JSON with a provenance field; compared as text, so every float's bits count.
        let text = std::fs::read_to_string(out.join("fig4.json")).unwrap();
        let provenance = serde_json::from_str::<serde_json::Value>(&text).unwrap()["provenance"].clone();
        assert!(
            text.starts_with(reference) && text[reference.len()..].starts_with(",\n  \"provenance\": {"),
            "--jobs {jobs} differs from run_all"
        );
        let recorded: Vec<&str> =
            provenance["runs"].as_array().unwrap().iter().map(|r| r["fingerprint"].as_str().unwrap()).collect();
        assert_eq!(recorded, fingerprints, "--jobs {jobs}: the provenance's runs");
    }
    let zero = Command::new(exe).args(["figure", "fig4", "--jobs", "0", "--out"]).arg(&base).output().unwrap();
    assert_eq!(zero.status.code(), Some(2), "{}", String::from_utf8_lossy(&zero.stderr));
    std::fs::remove_dir_all(&base).unwrap();
}
