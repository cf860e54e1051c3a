//! Stored results: the paper preset of every figure, at the paper's number of
//! runs, computed natively by `fa-lab store` and committed under `www/stored/`
//! (`<id>.json`), so a paper-preset figure or embed link draws at once instead
//! of after minutes of computing in a tab.
//!
//! A stored result is honest when each of its runs can be recomputed anywhere
//! to the same bits: it carries every run's fingerprint
//! ([`crate::provenance::result_fingerprint`]) beside the aggregated panels,
//! the link that gives its parameters (with the link version), and the FA Lab
//! version and commit it came from. The page recomputes any run in a Web
//! Worker and compares ([`StoredFigure::check_run`]); `tests/stored.rs`
//! recomputes runs of every figure natively and fails, naming
//! [`REGENERATE`], when a fingerprint differs.
//!
//! Which links a stored result serves: those whose parameters equal its own
//! (the figure's paper preset of the current link version, 30 runs, seed 0
//! for fig3). A link with other runs, another seed or an older version's
//! different preset is computed live; parameters fix the numbers, so a link
//! of any version whose parameters are equal gets the same figure.

use serde::{Deserialize, Serialize};

use crate::experiments::{ExperimentId, Params, Preset, RunSpec};
use crate::figure::{FigureData, RunResult};
use crate::link;
use crate::provenance::{self, RunRecord};
use crate::{Error, Result};

/// The file format this FA Lab writes and reads.
pub const FORMAT: u32 = 1;
/// The command that regenerates every stored result.
pub const REGENERATE: &str = "cargo run --release -- store";
/// Where the page finds the stored results, relative to itself.
pub const DIR: &str = "stored";

/// One figure's stored result.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StoredFigure {
    /// [`FORMAT`].
    pub format: u32,
    /// The figure link's query that gives these numbers (`v=2&fig=fig6&preset=paper&runs=30&seed=0`).
    pub link: String,
    /// FA Lab's version and the commit the numbers were computed at.
    pub version: String,
    pub commit: String,
    /// How it was computed (`natively by fa-lab store, 2 threads`).
    pub computed: String,
    /// Every run, in the order of [`Params::runs`] (run index, then condition).
    pub runs: Vec<RunRecord>,
    /// The aggregated panels (mean ± sd across runs), as `aggregate` made them.
    pub figure: FigureData,
}

/// A recomputed run against its stored record.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RunCheck {
    /// Which run (`FA run 3`).
    pub label: String,
    pub stored: String,
    pub recomputed: String,
    pub equal: bool,
    /// One sentence for the reader.
    pub text: String,
}

/// The link a stored result of `id` has: its paper preset, current version.
pub fn paper_query(id: ExperimentId) -> String {
    let params = id.params(Preset::Paper);
    link::figure_query(id, Preset::Paper, params.n_runs(), params.seed())
}

/// The file (relative to the page) of the stored result that would serve
/// `query`, when the link's parameters are a figure's paper preset as stored;
/// `None` for every other link (computed live).
pub fn file_for(query: &str) -> Option<String> {
    let params = link::figure_params_from_query(query).ok()?;
    let id = params.id();
    (params == id.params(Preset::Paper)).then(|| format!("{DIR}/{}.json", id.name()))
}

impl StoredFigure {
    /// The stored result of `params`' finished runs (`results` in any order;
    /// every run of `params` must be there).
    pub fn new(params: &Params, query: &str, results: &[RunResult], computed: String) -> Result<StoredFigure> {
        let specs = params.runs()?;
        let mut sorted: Vec<&RunResult> = results.iter().collect();
        sorted.sort_by_key(|r| (r.run, r.condition));
        if sorted.len() != specs.len() || sorted.iter().zip(&specs).any(|(r, s)| !same_run(r, s)) {
            return Err(Error::InvalidParam(format!(
                "a stored result needs every run of the figure: {} of {} given",
                results.len(),
                specs.len()
            )));
        }
        let stored = StoredFigure {
            format: FORMAT,
            link: query.trim_start_matches('?').to_string(),
            version: provenance::VERSION.to_string(),
            commit: provenance::COMMIT.to_string(),
            computed,
            runs: sorted.iter().map(|r| RunRecord::of(r)).collect(),
            figure: crate::experiments::aggregate(params, results)?,
        };
        stored.check()?;
        Ok(stored)
    }

    /// A stored result's file as fetched (bytes) as the text [`Self::parse`]
    /// reads: the page hands the bytes over, which costs a copy, where a
    /// JavaScript string costs a character-by-character encoding.
    pub fn text(bytes: &[u8]) -> Result<&str> {
        std::str::from_utf8(bytes)
            .map_err(|e| Error::CorruptData(format!("the stored result cannot be used: it is not UTF-8 text ({e})")))
    }

    /// Reads a stored result, checking that it is whole and consistent: its
    /// link gives its figure's parameters and it has a record for every run.
    pub fn parse(text: &str) -> Result<StoredFigure> {
        let bad = |m: String| Error::CorruptData(format!("the stored result cannot be used: {m}"));
        let other_format = |f: u64| bad(format!("it has format {f}; this FA Lab reads format {FORMAT}"));
        // One pass over the text when it reads (this runs on the page's main thread). When it
        // does not, the format number is looked at first, skimming past the rest, so that an
        // older format is named as such rather than as whichever field it lacks.
        let stored: StoredFigure = match serde_json::from_str(text) {
            Ok(stored) => stored,
            Err(e) => {
                #[derive(Deserialize)]
                struct Format {
                    format: Option<serde_json::Value>,
                }
                let head: Format =
                    serde_json::from_str(text).map_err(|e| bad(format!("it is not valid JSON ({e})")))?;
                return Err(match head.format.as_ref().map(|f| f.as_u64()) {
                    Some(Some(f)) if f == FORMAT as u64 => bad(format!("{e}")),
                    Some(Some(f)) => other_format(f),
                    _ => bad("it has no format number".into()),
                });
            }
        };
        if stored.format != FORMAT {
            return Err(other_format(stored.format.into()));
        }
        stored.check().map_err(|e| bad(e.to_string()))?;
        Ok(stored)
    }

    fn check(&self) -> Result<()> {
        let params = link::figure_params_from_query(&self.link)?;
        if params != self.figure.params {
            return Err(Error::CorruptData(format!("its link {:?} does not give its figure's parameters", self.link)));
        }
        let specs = params.runs()?;
        if self.runs.len() != specs.len() {
            return Err(Error::CorruptData(format!("it records {} runs of {}", self.runs.len(), specs.len())));
        }
        for (record, spec) in self.runs.iter().zip(&specs) {
            let label = RunRecord::label_of(&spec.condition_name, spec.run);
            if record.label != label || record.seed != spec.seed || !is_fingerprint(&record.fingerprint) {
                return Err(Error::CorruptData(format!("its record of {label} does not match that run")));
            }
        }
        if self.figure.runs_done != specs.len() || self.figure.runs_total != specs.len() {
            return Err(Error::CorruptData(format!(
                "its figure aggregates {} of {} runs",
                self.figure.runs_done,
                specs.len()
            )));
        }
        Ok(())
    }

    /// Whether `query`'s figure is this one (equal parameters give equal numbers).
    pub fn serves(&self, query: &str) -> bool {
        link::figure_params_from_query(query).is_ok_and(|p| p == self.figure.params)
    }

    /// The figure's runs, in the order of [`StoredFigure::runs`].
    pub fn specs(&self) -> Result<Vec<RunSpec>> {
        self.figure.params.runs()
    }

    /// Compares run `index` (of [`StoredFigure::specs`]), recomputed, with its record.
    pub fn check_run(&self, index: usize, result: &RunResult) -> Result<RunCheck> {
        let record = self.runs.get(index).ok_or_else(|| {
            Error::InvalidParam(format!("run {index} does not exist: the stored result has {} runs", self.runs.len()))
        })?;
        let spec = &self.specs()?[index];
        if !same_run(result, spec) {
            return Err(Error::InvalidParam(format!("the result given is not {}", record.label)));
        }
        let recomputed = RunRecord::of(result).fingerprint;
        let equal = recomputed == record.fingerprint;
        let text = if equal {
            format!("{}: fingerprint {recomputed} recomputed here equals the stored one.", record.label)
        } else {
            format!(
                "{}: fingerprint {recomputed} recomputed here differs from the stored {} — this FA Lab computes \
                 different numbers from the ones stored (regenerate them with `{REGENERATE}`).",
                record.label, record.fingerprint
            )
        };
        Ok(RunCheck { label: record.label.clone(), stored: record.fingerprint.clone(), recomputed, equal, text })
    }

    /// Where the figure came from, for the label over its panels.
    pub fn origin(&self) -> String {
        let per = self.figure.params.n_runs();
        let total = self.runs.len();
        let each = if total == per { String::new() } else { format!(" per condition ({total} in all)") };
        let commit: String = self.commit.chars().take(12).collect();
        format!(
            "Stored result: {per} runs{each}, computed {} from FA Lab {} (commit {commit}), link version {}.",
            self.computed,
            self.version,
            link::link_version(&self.link).unwrap_or(1)
        )
    }

    /// The provenance of panel `panel` of the stored figure: the numbers'
    /// version and commit, and every run's fingerprint.
    pub fn provenance(&self, panel: &str, address: Option<String>) -> Result<provenance::Provenance> {
        let p = self
            .figure
            .panel(panel)
            .ok_or_else(|| Error::InvalidParam(format!("{} has no panel {panel:?}", self.figure.experiment.name())))?;
        let mut prov = provenance::Provenance::new(
            format!("#/figures?{}", self.link),
            address,
            format!("{} panel {}", self.figure.experiment, p.key),
            p.title.clone(),
            self.runs.clone(),
        );
        prov.version = self.version.clone();
        prov.commit = self.commit.clone();
        prov.computed =
            Some(format!("stored result, computed {}; drawn by FA Lab {}", self.computed, provenance::build_id()));
        Ok(prov)
    }

    /// Compact JSON, as committed.
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).expect("a StoredFigure always serialises") + "\n"
    }
}

fn same_run(r: &RunResult, s: &RunSpec) -> bool {
    r.run == s.run && r.condition == s.condition && r.seed == s.seed && r.condition_name == s.condition_name
}

fn is_fingerprint(s: &str) -> bool {
    s.len() == 16 && s.bytes().all(|b| b.is_ascii_hexdigit())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_figures_paper_preset_has_a_stored_file() {
        assert_eq!(file_for(&paper_query(ExperimentId::Fig6)).as_deref(), Some("stored/fig6.json"));
        assert_eq!(file_for("v=2&fig=fig6&preset=paper").as_deref(), Some("stored/fig6.json"));
        assert_eq!(file_for("v=2&fig=fig6&preset=paper&panel=b").as_deref(), Some("stored/fig6.json"));
        assert_eq!(file_for("v=2&fig=fig6&preset=paper&runs=5"), None);
        assert_eq!(file_for("v=2&fig=fig6&preset=paper&seed=1"), None);
        assert_eq!(file_for("v=2&fig=fig6&preset=quick"), None);
        // Version 1's fig6 paper preset differs (FA+WN's η), so it is computed live.
        assert_eq!(file_for("fig=fig6&preset=paper"), None);
        assert_eq!(file_for("fig=nonsense"), None);
    }

    #[test]
    fn a_stored_file_is_read_as_utf8_text_or_refused_saying_so() {
        assert_eq!(StoredFigure::text("{\"η\": 1}".as_bytes()).unwrap(), "{\"η\": 1}");
        let e = StoredFigure::text(&[b'{', 0xff, b'}']).unwrap_err().to_string();
        assert!(e.contains("stored result cannot be used") && e.contains("not UTF-8"), "{e}");
        // What the page then hands to the parser fails as damaged JSON, not as a panic.
        assert!(StoredFigure::parse(StoredFigure::text(b"{").unwrap()).is_err());
    }
}
