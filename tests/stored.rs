//! The stored results (`www/stored/`, `fa_lab::stored`) are honest: each is
//! the current paper preset of its figure, whole and consistent, and runs of
//! every figure recomputed here give the stored fingerprints bit for bit. A
//! change to the numerics fails here until the results are regenerated (with
//! `fa_lab::stored::REGENERATE`) in the same commit.

mod common;

use std::path::PathBuf;

use fa_lab::experiments::{ExperimentId, Preset, RunState, aggregate, run_one};
use fa_lab::stored::{REGENERATE, StoredFigure, file_for, paper_query};

fn path(id: ExperimentId) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("www/stored").join(format!("{}.json", id.name()))
}

fn text(id: ExperimentId) -> String {
    std::fs::read_to_string(path(id))
        .unwrap_or_else(|e| panic!("{}: {e} — make the stored results with `{REGENERATE}`", path(id).display()))
}

fn stored(id: ExperimentId) -> StoredFigure {
    StoredFigure::parse(&text(id)).unwrap_or_else(|e| panic!("{id}: {e} — regenerate with `{REGENERATE}`"))
}

/// The runs to recompute: the cheapest of every condition (fewest steps;
/// `all` recomputes every run).
fn recompute(id: ExperimentId, all: bool) {
    let stored = stored(id);
    let data = common::mnist();
    assert!(
        stored.serves(&paper_query(id)),
        "{id}: the stored result is for {:?}, but the paper preset is now {:?} — regenerate with `{REGENERATE}`",
        stored.link,
        paper_query(id)
    );
    let specs = stored.specs().unwrap();
    let mut chosen: Vec<usize> = Vec::new();
    if all {
        chosen = (0..specs.len()).collect();
    } else {
        let steps: Vec<u64> = specs.iter().map(|s| RunState::new(s, data).unwrap().total_steps()).collect();
        let cheapest = (0..specs.len()).min_by_key(|&i| (steps[i], i)).unwrap();
        chosen.push(cheapest);
    }
    let mut results = Vec::new();
    for &k in &chosen {
        let result = run_one(&specs[k], data).unwrap();
        let check = stored.check_run(k, &result).unwrap();
        assert!(check.equal, "{id}: {}", check.text);
        results.push(result);
    }
    if all {
        // The stored panels are the aggregate of exactly these runs.
        let figure = aggregate(&stored.figure.params, &results).unwrap();
        assert!(figure == stored.figure, "{id}: the stored panels differ from the recomputed runs' aggregate");
    }
}

#[test]
fn every_figure_has_a_stored_result_of_its_current_paper_preset() {
    for id in ExperimentId::ALL {
        let stored = stored(id);
        assert_eq!(stored.figure.experiment, id);
        assert_eq!(stored.figure.params, id.params(Preset::Paper), "{id}: regenerate with `{REGENERATE}`");
        assert_eq!(file_for(&stored.link).as_deref(), Some(format!("stored/{}.json", id.name()).as_str()));
        assert_eq!(stored.runs.len(), stored.specs().unwrap().len());
        // The same panels, each of the kind the figure draws now.
        let empty = aggregate(&stored.figure.params, &[]).unwrap();
        let shape =
            |f: &fa_lab::figure::FigureData| f.panels.iter().map(|p| (p.key.clone(), p.kind)).collect::<Vec<_>>();
        assert_eq!(shape(&stored.figure), shape(&empty), "{id}: regenerate with `{REGENERATE}`");
    }
}

#[test]
fn fig2b_recomputed_whole_gives_the_stored_runs_and_panels() {
    recompute(ExperimentId::Fig2b, true);
}

/// Every figure, a new one too: its cheapest stored run, recomputed, gives
/// the stored fingerprint (two figures at a time, one per core).
#[test]
fn a_run_of_every_figure_recomputed_gives_its_stored_fingerprint() {
    let ids: Vec<ExperimentId> = ExperimentId::ALL.into_iter().filter(|&id| id != ExperimentId::Fig2b).collect();
    for pair in ids.chunks(2) {
        std::thread::scope(|s| {
            for &id in pair {
                s.spawn(move || recompute(id, false));
            }
        });
    }
}

#[test]
fn a_changed_run_is_caught() {
    let stored = stored(ExperimentId::Fig2b);
    let specs = stored.specs().unwrap();
    let mut result = run_one(&specs[0], common::mnist()).unwrap();
    assert!(stored.check_run(0, &result).unwrap().equal);
    // One value, one bit off: the fingerprint differs, and the message says how to fix it.
    let y = &mut result.curves[0].y;
    let last = y.len() - 1;
    y[last] = f64::from_bits(y[last].to_bits() ^ 1);
    let check = stored.check_run(0, &result).unwrap();
    assert!(!check.equal);
    assert!(check.text.contains(REGENERATE), "{}", check.text);
    // Another run's result is not compared with this record.
    assert!(stored.check_run(1, &result).is_err());
}

#[test]
fn damaged_stored_results_are_refused_with_a_reason() {
    let good = text(ExperimentId::Fig2b);
    let cases: Vec<(String, &str)> = vec![
        (good[..good.len() / 2].to_string(), "not valid JSON"),
        (good.replacen("\"format\":1", "\"format\":9", 1), "format 9"),
        (good.replacen("\"format\":1,", "", 1), "no format"),
        // The link no longer gives the figure's parameters.
        (good.replacen("runs=10", "runs=9", 1), "does not give"),
        (good.replacen("\"label\":\"auto run 0\"", "\"label\":\"auto run 7\"", 1), "does not match"),
        (good.replacen("\"fingerprint\":\"", "\"fingerprint\":\"zz", 1), "does not match"),
    ];
    for (text, expect) in cases {
        let err = StoredFigure::parse(&text).unwrap_err().to_string();
        assert!(err.contains("stored result cannot be used") && err.contains(expect), "{expect:?}: {err}");
    }
    let ok = StoredFigure::parse(&good).unwrap();
    assert!(ok.serves("v=2&fig=fig2b&preset=paper"));
    assert!(!ok.serves("v=2&fig=fig2b&preset=paper&seed=1"));
    assert!(!ok.serves("v=2&fig=fig3&preset=paper"));
}

/// The Read view computes fig2b without the data set (before it has
/// downloaded): a run started without data is the stored run, bit for bit,
/// and a figure that trains on the data refuses to start without it.
#[test]
fn a_run_that_needs_no_data_starts_without_it_and_gives_the_stored_run() {
    let fig2b = stored(ExperimentId::Fig2b);
    let specs = fig2b.specs().unwrap();
    for k in [0, specs.len() - 1] {
        let mut run = RunState::without_data(&specs[k]).unwrap();
        let result = loop {
            if let Some(result) = run.advance(500).unwrap() {
                break result;
            }
        };
        let check = fig2b.check_run(k, &result).unwrap();
        assert!(check.equal, "{}", check.text);
    }
    let fig3 = stored(ExperimentId::Fig3).specs().unwrap();
    let err = RunState::without_data(&fig3[0]).err().expect("fig3 needs the data").to_string();
    assert!(err.contains("needs the data"), "{err}");
}
