//! Where an exported figure came from: FA Lab's version and commit, the link
//! that reproduces it, and the runs behind it with their fingerprints
//! ([`result_fingerprint`]). [`crate::export`] writes it into every file in
//! that format's own place, whether the page or `fa-lab figure` wrote it.

use serde::{Deserialize, Serialize};

use crate::figure::{RunResult, one_line};
use crate::hash::Fnv1a;

/// FA Lab's version (the crate's).
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
/// The git commit the build came from (`build.rs`), or "unknown".
pub const COMMIT: &str = env!("FA_LAB_COMMIT");
/// The PNG text keyword under which the provenance JSON is stored.
pub const PNG_KEYWORD: &str = "fa-lab:provenance";

/// `0.1.0+1a2b3c4d5e6f`: names one build (the page's offline cache is keyed by it).
pub fn build_id() -> String {
    format!("{VERSION}+{COMMIT}")
}

/// One run behind an export.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunRecord {
    /// What the run is: `fa seed 11`, `FA+WN run 2`.
    pub label: String,
    pub seed: u64,
    /// Steps it had taken when the export was made.
    pub steps: u64,
    /// 16 hex digits; equal fingerprints mean equal runs (natively and in the browser).
    pub fingerprint: String,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub failure: Option<String>,
}

impl RunRecord {
    /// `FA run 3`: how a record names run `run` of `condition`.
    pub fn label_of(condition: &str, run: usize) -> String {
        format!("{condition} run {run}")
    }

    /// The record of one finished experiment run.
    pub fn of(r: &RunResult) -> RunRecord {
        RunRecord {
            label: RunRecord::label_of(&r.condition_name, r.run),
            seed: r.seed,
            steps: r.steps,
            fingerprint: format!("{:016x}", result_fingerprint(r)),
            failure: r.failure.clone(),
        }
    }
}

/// Everything an exported file records about its origin.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Provenance {
    /// Always `"FA Lab"`.
    pub generator: String,
    pub version: String,
    pub commit: String,
    /// The view and query that reproduce the numbers: `#/train?rule=fa&…`, `#/figures?fig=fig2b&…`.
    pub link: String,
    /// The full address of the page the export was made on (absent for the CLI).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub address: Option<String>,
    /// Which panel: `fig2b panel a`, `training run panel loss`.
    pub panel: String,
    pub title: String,
    pub runs: Vec<RunRecord>,
    /// Where numbers that were not computed by this build came from (a stored result).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub computed: Option<String>,
}

impl Provenance {
    /// A provenance for `panel` made from `link` by `runs`, by this build.
    pub fn new(
        link: String,
        address: Option<String>,
        panel: String,
        title: String,
        runs: Vec<RunRecord>,
    ) -> Provenance {
        Provenance {
            generator: "FA Lab".into(),
            version: VERSION.into(),
            commit: COMMIT.into(),
            link,
            address,
            panel,
            title,
            runs,
            computed: None,
        }
    }

    /// The records of an experiment's finished runs, in run order.
    pub fn figure_runs(results: &[RunResult]) -> Vec<RunRecord> {
        let mut sorted: Vec<&RunResult> = results.iter().collect();
        sorted.sort_by_key(|r| (r.run, r.condition));
        sorted.into_iter().map(RunRecord::of).collect()
    }

    /// As compact JSON (the PNG chunk and SVG metadata hold this).
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).expect("a Provenance always serialises")
    }

    /// As `# key: value` lines, for the head of a CSV file.
    pub fn csv_comment(&self) -> String {
        let mut s = format!("# {} {} (commit {})\n", self.generator, self.version, self.commit);
        s.push_str(&format!("# panel: {} — {}\n", self.panel, one_line(&self.title)));
        s.push_str(&format!("# link: {}\n", self.link));
        if let Some(a) = &self.address {
            s.push_str(&format!("# address: {a}\n"));
        }
        if let Some(c) = &self.computed {
            s.push_str(&format!("# computed: {}\n", one_line(c)));
        }
        for r in &self.runs {
            s.push_str(&format!(
                "# run: {}; seed {}; {} steps; fingerprint {}",
                one_line(&r.label),
                r.seed,
                r.steps,
                r.fingerprint
            ));
            if let Some(f) = &r.failure {
                s.push_str(&format!("; failed: {}", one_line(f)));
            }
            s.push('\n');
        }
        s
    }
}

/// FNV-1a-64 of everything a run recorded (its identity, curves, PCA data and
/// failure), bit for bit: two runs with equal fingerprints gave equal numbers.
pub fn result_fingerprint(r: &RunResult) -> u64 {
    let mut h = Fnv1a::new();
    for v in [r.run as u64, r.condition as u64, r.seed, r.steps] {
        h.bytes(&v.to_le_bytes());
    }
    hash_str(&mut h, &r.condition_name);
    for c in &r.curves {
        hash_str(&mut h, &c.key);
        hash_f64s(&mut h, &c.x);
        hash_f64s(&mut h, &c.y);
    }
    if let Some(p) = &r.pca {
        for v in [&p.a, &p.b, &p.loss, &p.explained] {
            hash_f64s(&mut h, v);
        }
        for path in &p.paths {
            hash_str(&mut h, &path.label);
            path.points.iter().for_each(|&(a, b)| hash_f64s(&mut h, &[a, b]));
        }
    }
    hash_str(&mut h, r.failure.as_deref().unwrap_or(""));
    for at in [r.failed_at, r.died_at] {
        h.bytes(&at.map_or(u64::MAX, |s| s).to_le_bytes());
    }
    h.value()
}

/// Length-prefixed, so `["ab", "c"]` and `["a", "bc"]` differ.
fn hash_str(h: &mut Fnv1a, s: &str) {
    h.bytes(&(s.len() as u64).to_le_bytes());
    h.bytes(s.as_bytes());
}

fn hash_f64s(h: &mut Fnv1a, v: &[f64]) {
    h.bytes(&(v.len() as u64).to_le_bytes());
    v.iter().for_each(|x| h.bytes(&x.to_bits().to_le_bytes()));
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::figure::Curve;

    /// A provenance record to write into test files.
    pub(crate) fn prov() -> Provenance {
        let run = RunRecord {
            label: "FA run 0".into(),
            seed: 3,
            steps: 10,
            fingerprint: "0123456789abcdef".into(),
            failure: None,
        };
        Provenance::new(
            "#/figures?fig=fig2b&seed=3".into(),
            None,
            "fig2b panel a".into(),
            "A <title> & more".into(),
            vec![run],
        )
    }

    // A 1×1 RGBA PNG written by another encoder (Python's zlib + struct), byte for byte.

    #[test]
    fn result_fingerprints_see_every_recorded_number() {
        let r = RunResult {
            run: 0,
            condition: 1,
            condition_name: "FA".into(),
            seed: 3,
            steps: 2,
            curves: vec![Curve { key: "loss".into(), x: vec![1.0, 2.0], y: vec![3.0, 2.5] }],
            pca: None,
            failure: None,
            failed_at: None,
            died_at: None,
            revived_at: None,
        };
        let base = result_fingerprint(&r);
        assert_eq!(base, result_fingerprint(&r.clone()));
        let mut moved = r.clone();
        moved.curves[0].y[1] = f64::from_bits(2.5f64.to_bits() + 1);
        let mut reseeded = r.clone();
        reseeded.seed = 4;
        let mut failed = r.clone();
        failed.failure = Some("dead".into());
        let mut died = r.clone();
        died.died_at = Some(1);
        for other in [moved, reseeded, failed, died] {
            assert_ne!(base, result_fingerprint(&other));
        }
        let records = Provenance::figure_runs(&[r]);
        assert_eq!(records[0].fingerprint, format!("{base:016x}"));
        assert_eq!(records[0].label, "FA run 0");
    }
}
