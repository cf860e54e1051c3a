//! `fa-lab figure --jobs N` spreads runs over threads; the figure must be the
//! same bits as the library's one-thread `run_all`, for any N, and record the
//! same runs (fingerprints) in its provenance.

use std::path::{Path, PathBuf};
use std::process::Command;

use fa_lab::data::Mnist15;
use fa_lab::experiments::{ExperimentId, Params, Preset, run_all};
use fa_lab::provenance::RunRecord;

/// `fa-lab figure` with `args` and each of `jobs` gives the bits of `run_all(params)`.
fn same_as_run_all(params: &Params, args: &[&str], jobs: &[&str], out: &Path) {
    let exe = env!("CARGO_BIN_EXE_fa-lab");
    let data_path = Path::new(env!("CARGO_MANIFEST_DIR")).join("www/data/mnist15.bin");
    let data = Mnist15::from_asset(&std::fs::read(&data_path).unwrap()).unwrap();
    let mut runs = Vec::new();
    let figure = run_all(params, &data, |r| runs.push(RunRecord::of(r))).unwrap();
    // The figure's own JSON, every float as serde writes it (f32 settings unwidened).
    let reference = serde_json::to_string_pretty(&figure).unwrap();
    let reference = reference.strip_suffix("\n}").unwrap();
    let fingerprints: Vec<String> = runs.iter().map(|r| r.fingerprint.clone()).collect();
    let id = params.id().name();
    for jobs in jobs {
        let out = out.join(jobs);
        let run = Command::new(exe)
            .arg("figure")
            .args(args)
            .args(["--quiet", "--jobs", jobs])
            .arg("--data")
            .arg(&data_path)
            .arg("--out")
            .arg(&out)
            .output()
            .unwrap();
        assert!(run.status.success(), "{}", String::from_utf8_lossy(&run.stderr));
        // The file is the figure's JSON with a provenance field; compared as text, so every float's bits count.
        let text = std::fs::read_to_string(out.join(format!("{id}.json"))).unwrap();
        let provenance = serde_json::from_str::<serde_json::Value>(&text).unwrap()["provenance"].clone();
        assert!(
            text.starts_with(reference) && text[reference.len()..].starts_with(",\n  \"provenance\": {"),
            "{id} --jobs {jobs} differs from run_all"
        );
        let recorded: Vec<&str> =
            provenance["runs"].as_array().unwrap().iter().map(|r| r["fingerprint"].as_str().unwrap()).collect();
        assert_eq!(recorded, fingerprints, "{id} --jobs {jobs}: the provenance's runs");
    }
}

fn scratch(name: &str) -> PathBuf {
    std::env::temp_dir().join(format!("fa-lab-jobs-test-{name}-{}", std::process::id()))
}

#[test]
fn figure_jobs_give_the_bits_of_one_thread() {
    let base = scratch("fig4");
    // fig4 mixes conditions of different lengths, so threads finish out of order.
    let mut params = ExperimentId::Fig4.params(Preset::Quick);
    params.set_runs(2);
    params.set_seed(5);
    same_as_run_all(&params, &["fig4", "--preset", "quick", "--runs", "2", "--seed", "5"], &["1", "3"], &base);
    let exe = env!("CARGO_BIN_EXE_fa-lab");
    let zero = Command::new(exe).args(["figure", "fig4", "--jobs", "0", "--out"]).arg(&base).output().unwrap();
    assert_eq!(zero.status.code(), Some(2), "{}", String::from_utf8_lossy(&zero.stderr));
    std::fs::remove_dir_all(&base).unwrap();
}

/// fig7's switched runs are forked from the run with the largest `T` after
/// their `T` epochs of FA (computed once): the figure and every run's
/// fingerprint are still those of each run computed alone.
#[test]
fn fig7_runs_forked_from_a_shared_prefix_give_the_bits_of_runs_computed_alone() {
    let base = scratch("fig7");
    // Version 1's quick preset: 6 epochs of 30 steps, T = 0, 1, 3, 6; two branches per run index.
    let link = "fig=fig7&preset=quick&runs=2&seed=3";
    let params = fa_lab::link::figure_params_from_query(link).unwrap();
    let data_path = Path::new(env!("CARGO_MANIFEST_DIR")).join("www/data/mnist15.bin");
    let data = Mnist15::from_asset(&std::fs::read(&data_path).unwrap()).unwrap();
    let branches = params.validate().unwrap().branches(&data);
    let specs = params.runs().unwrap();
    let pairs: Vec<(String, String, u64)> = branches
        .iter()
        .map(|b| (specs[b.trunk].condition_name.clone(), specs[b.branch].condition_name.clone(), b.at_step))
        .collect();
    let expect = |t: &str, b: &str, at| (t.to_string(), b.to_string(), at);
    assert_eq!(
        pairs,
        [expect("T6", "T1", 30), expect("T6", "T3", 90), expect("T6", "T1", 30), expect("T6", "T3", 90)],
        "the forks"
    );
    same_as_run_all(&params, &["--link", link], &["1", "2"], &base);
    std::fs::remove_dir_all(&base).unwrap();
}
