//! A paper figure as the page holds it: [`FigureRuns`], opened from a figure
//! link (parsed and checked once), with the runs it asks for and the results
//! that have come in — or a stored result standing in for them.
//!
//! Results come one at a time, in any order, as workers finish them; they are
//! kept in run order and aggregated when the figure is next looked at, so the
//! figure drawn from some of a figure's runs is the one `fa-lab figure`
//! aggregates from the same runs. What an export of a panel cites is decided
//! here: a live figure's link and the fingerprints of its finished runs; a
//! stored figure's own link, version, commit and every stored run
//! ([`StoredFigure::provenance`]). A figure recomputed from a stored one
//! compares each run with its stored fingerprint as it finishes and sums up
//! what it found ([`FigureRuns::comparison`]).

use std::cell::OnceCell;

use serde::Serialize;

use crate::checked::Checked;
use crate::experiments::{self, Params, RunSpec};
use crate::figure::{FigureData, Panel, RunResult};
use crate::link;
use crate::provenance::{Provenance, RunRecord};
use crate::stored::{RunCheck, StoredFigure};
use crate::{Error, Result};

/// A figure opened from a link: computed here as runs finish, or stored.
#[derive(Debug)]
pub struct FigureRuns {
    /// The link it was opened from, without `?`: a live figure's exports cite it.
    query: String,
    params: Checked<Params>,
    specs: Vec<RunSpec>,
    source: Source,
    /// The conditions shown ([`FigureRuns::show_conditions`]); `None`: all of them.
    shown: Option<Vec<String>>,
    /// The figure with only those, made when first looked at.
    view: OnceCell<FigureData>,
}

#[derive(Debug)]
enum Source {
    Stored(StoredFigure),
    Live(Live),
}

#[derive(Debug)]
struct Live {
    /// The finished runs, in run order (that of [`FigureRuns::specs`]).
    results: Vec<RunResult>,
    /// Their aggregate, made when first looked at after a result came in.
    figure: OnceCell<FigureData>,
    /// The stored result this figure recomputes: each run is compared with it.
    reference: Option<Box<StoredFigure>>,
    /// What those comparisons found: the runs that gave their stored fingerprint, and what differed.
    equal: usize,
    differ: Vec<String>,
}

/// What the runs recomputed from a stored figure found, in a sentence.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Comparison {
    pub compared: usize,
    pub differ: usize,
    pub text: String,
}

/// One entry of the list of a figure's runs: its index and how a person names it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RunChoice {
    pub value: String,
    pub label: String,
}

impl FigureRuns {
    /// The figure a link describes, with no run finished yet.
    pub fn from_link(query: &str) -> Result<FigureRuns> {
        let params = link::figure_params_from_query(query)?.validate()?;
        Ok(FigureRuns::live(query, params, None))
    }

    /// A stored result (`www/stored/<id>.json`) read for the figure link
    /// `query`; an error says why when the file is damaged or is another figure.
    pub fn from_stored(text: &str, query: &str) -> Result<FigureRuns> {
        let stored = StoredFigure::parse(text)?;
        if !stored.serves(query) {
            return Err(Error::InvalidParam(format!(
                "the stored result is for {:?}, not for this link's settings",
                stored.link
            )));
        }
        let params = stored.figure.params.validate()?;
        let source = Source::Stored(stored);
        Ok(FigureRuns { query: bare(query), specs: params.specs(), params, source, shown: None, view: OnceCell::new() })
    }

    fn live(query: &str, params: Checked<Params>, reference: Option<Box<StoredFigure>>) -> FigureRuns {
        let live = Live { results: Vec::new(), figure: OnceCell::new(), reference, equal: 0, differ: Vec::new() };
        let source = Source::Live(live);
        FigureRuns { query: bare(query), specs: params.specs(), params, source, shown: None, view: OnceCell::new() }
    }

    /// The same figure with no run finished, to be computed here; a stored
    /// figure's runs are then compared with their stored fingerprints.
    pub fn recompute(&self) -> FigureRuns {
        let reference = match &self.source {
            Source::Stored(stored) => Some(Box::new(stored.clone())),
            Source::Live(live) => live.reference.clone(),
        };
        let mut again = FigureRuns::live(&self.query, self.params.clone(), reference);
        again.shown = self.shown.clone();
        again
    }

    /// Shows only the conditions named in `shown` (all of them for `None`):
    /// the panels, their descriptions, tables and exports leave the others
    /// out ([`FigureData::only_conditions`]); a name the figure does not have is refused.
    pub fn show_conditions(&mut self, shown: Option<Vec<String>>) -> Result<()> {
        let conditions = self.params.conditions();
        if let Some(unknown) = shown.iter().flatten().find(|c| !conditions.contains(c)) {
            return Err(Error::InvalidParam(format!(
                "{} has no condition {unknown:?} (it has {})",
                self.params.id(),
                conditions.join(", ")
            )));
        }
        self.shown = shown;
        self.view = OnceCell::new();
        Ok(())
    }

    /// The link it was opened from (no `?`).
    pub fn query(&self) -> &str {
        &self.query
    }

    pub fn params(&self) -> &Params {
        &self.params
    }

    /// Every run the figure asks for; each can go to its own worker.
    pub fn specs(&self) -> &[RunSpec] {
        &self.specs
    }

    pub fn is_stored(&self) -> bool {
        matches!(self.source, Source::Stored(_))
    }

    /// For a stored figure: where its numbers came from, in a sentence.
    pub fn origin(&self) -> Option<String> {
        match &self.source {
            Source::Stored(stored) => Some(stored.origin()),
            Source::Live(_) => None,
        }
    }

    /// The runs as a list to pick from: `FA run 3 (seed 3)`, valued by index.
    pub fn run_choices(&self) -> Vec<RunChoice> {
        let choice = |(i, s): (usize, &RunSpec)| RunChoice {
            value: i.to_string(),
            label: format!("{} (seed {})", RunRecord::label_of(&s.condition_name, s.run), s.seed),
        };
        self.specs.iter().enumerate().map(choice).collect()
    }

    /// Runs the figure's numbers come from so far (all of them for a stored figure).
    pub fn runs_done(&self) -> usize {
        match &self.source {
            Source::Stored(_) => self.specs.len(),
            Source::Live(live) => live.results.len(),
        }
    }

    /// Takes the result of run `index` (of [`FigureRuns::specs`]). A figure
    /// recomputed from a stored one compares it with the stored record and
    /// returns what it found.
    pub fn add_result(&mut self, index: usize, result: RunResult) -> Result<Option<RunCheck>> {
        let spec = self.spec(index)?;
        if !same_run(&result, spec) {
            return Err(Error::InvalidParam(format!("the result given is not run {index} of the figure")));
        }
        let Source::Live(live) = &mut self.source else {
            return Err(Error::InvalidParam("a stored figure takes no results: recompute it first".into()));
        };
        let at = match live.results.binary_search_by_key(&(result.run, result.condition), |r| (r.run, r.condition)) {
            Ok(_) => return Err(Error::InvalidParam(format!("run {index} of the figure came in twice"))),
            Err(at) => at,
        };
        let check = live.reference.as_ref().map(|stored| stored.check_run(index, &result)).transpose()?;
        if let Some(check) = &check {
            if check.equal {
                live.equal += 1;
            } else {
                live.differ.push(check.text.clone());
            }
        }
        live.results.insert(at, result);
        live.figure = OnceCell::new();
        self.view = OnceCell::new();
        Ok(check)
    }

    /// Run `index` recomputed here against its stored record (a stored
    /// figure, or one recomputed from it), leaving the figure as it is.
    pub fn check_run(&self, index: usize, result: &RunResult) -> Result<RunCheck> {
        self.spec(index)?;
        match &self.source {
            Source::Stored(stored) => stored.check_run(index, result),
            Source::Live(Live { reference: Some(stored), .. }) => stored.check_run(index, result),
            Source::Live(_) => Err(Error::InvalidParam("this figure has no stored result to compare with".into())),
        }
    }

    /// For a figure recomputed from a stored one, once a run has been
    /// compared: how many gave their stored fingerprint, in a sentence.
    pub fn comparison(&self) -> Option<Comparison> {
        let Source::Live(live @ Live { reference: Some(_), .. }) = &self.source else { return None };
        let compared = live.equal + live.differ.len();
        if compared == 0 {
            return None;
        }
        let text = if live.differ.is_empty() {
            format!(
                "All {compared} recomputed runs give the stored fingerprints: this figure is the stored one, bit for bit."
            )
        } else {
            format!(
                "{} of {compared} recomputed runs differ from the stored ones: {}",
                live.differ.len(),
                live.differ.join(" ")
            )
        };
        Some(Comparison { compared, differ: live.differ.len(), text })
    }

    /// The figure as shown: [`FigureRuns::full_figure`] with only the conditions shown.
    pub fn figure(&self) -> &FigureData {
        match &self.shown {
            None => self.full_figure(),
            Some(shown) => {
                self.view.get_or_init(|| self.full_figure().only_conditions(&self.params.conditions(), shown))
            }
        }
    }

    /// The whole figure: the stored one, or the aggregate of the runs finished so far.
    pub fn full_figure(&self) -> &FigureData {
        match &self.source {
            Source::Stored(stored) => &stored.figure,
            Source::Live(live) => {
                live.figure.get_or_init(|| experiments::aggregate_checked(&self.params, &live.results))
            }
        }
    }

    /// Panel `key` of the figure.
    pub fn panel(&self, key: &str) -> Result<&Panel> {
        let figure = self.figure();
        figure.panel(key).ok_or_else(|| {
            let keys: Vec<&str> = figure.panels.iter().map(|p| p.key.as_str()).collect();
            Error::InvalidParam(format!("{} has no panel {key:?} (it has {})", figure.experiment, keys.join(", ")))
        })
    }

    /// The figure's panels as `(key, title)`, in the order they are drawn.
    pub fn panel_choices(&self) -> Vec<(String, String)> {
        self.figure().panels.iter().map(|p| (p.key.clone(), p.title.clone())).collect()
    }

    /// The provenance of panel `key`: a live figure's link, this build and the
    /// fingerprints of its finished runs; a stored figure's stored provenance.
    pub fn provenance(&self, key: &str, address: Option<String>) -> Result<Provenance> {
        let panel = self.panel(key)?;
        match &self.source {
            Source::Stored(stored) => stored.provenance(key, address),
            Source::Live(live) => Ok(Provenance::new(
                format!("#/figures?{}", self.query),
                address,
                format!("{} panel {}", self.params.id(), panel.key),
                panel.title.clone(),
                live.results.iter().map(RunRecord::of).collect(),
            )),
        }
    }

    /// Run `index` of [`FigureRuns::specs`].
    pub fn spec(&self, index: usize) -> Result<&RunSpec> {
        self.specs.get(index).ok_or_else(|| {
            Error::InvalidParam(format!("run {index} does not exist: the figure has {} runs", self.specs.len()))
        })
    }
}

fn bare(query: &str) -> String {
    query.trim().trim_start_matches('?').to_string()
}

fn same_run(r: &RunResult, s: &RunSpec) -> bool {
    r.run == s.run && r.condition == s.condition && r.seed == s.seed && r.condition_name == s.condition_name
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::experiments::{ExperimentId, Preset};
    use crate::figure::Curve;
    use crate::stored;

    const LINK: &str = "v=2&fig=fig2b&preset=quick&runs=2&seed=4";

    /// A made-up result for `spec` of fig2b: its angle is `value` at steps 1 and 2.
    fn result(spec: &RunSpec, value: f64) -> RunResult {
        let angle = Curve { key: format!("{}/angle", spec.condition_name), x: vec![1.0, 2.0], y: vec![value, value] };
        RunResult {
            run: spec.run,
            condition: spec.condition,
            condition_name: spec.condition_name.clone(),
            seed: spec.seed,
            steps: 10,
            curves: vec![angle],
            pca: None,
            failure: None,
            failed_at: None,
            died_at: None,
            revived_at: None,
        }
    }

    #[test]
    fn a_link_is_checked_once_and_lists_its_runs() {
        let figure = FigureRuns::from_link(&format!("?{LINK}")).unwrap();
        assert_eq!(figure.query(), LINK);
        assert_eq!(figure.specs().len(), 8, "2 runs of fig2b's 4 conditions");
        assert!(!figure.is_stored() && figure.origin().is_none());
        let choices = figure.run_choices();
        assert_eq!((choices[1].value.as_str(), choices[5].value.as_str()), ("1", "5"));
        assert!(choices[4].label.ends_with("run 1 (seed 5)"), "{}", choices[4].label);
        let err = FigureRuns::from_link("v=2&fig=fig2b&runs=0").unwrap_err().to_string();
        assert!(err.contains("runs"), "{err}");
        assert!(FigureRuns::from_link("fig=fig9").is_err());
        // The panels exist before any run, empty.
        assert_eq!(figure.figure().runs_done, 0);
        assert!(!figure.panel_choices().is_empty());
        assert!(figure.panel("zz").unwrap_err().to_string().contains("has no panel \"zz\""));
    }

    #[test]
    fn results_in_any_order_aggregate_as_in_run_order() {
        let mut figure = FigureRuns::from_link(LINK).unwrap();
        let specs = figure.specs().to_vec();
        let order = [5, 0, 7, 2, 1, 6, 3, 4];
        let results: Vec<RunResult> = specs.iter().enumerate().map(|(i, s)| result(s, i as f64 * 0.1)).collect();
        for (n, &i) in order.iter().enumerate() {
            assert_eq!(figure.add_result(i, results[i].clone()).unwrap(), None, "no stored result to compare with");
            assert_eq!(figure.runs_done(), n + 1);
            // What is drawn is what `aggregate` makes of the same runs in run order.
            let mut done: Vec<usize> = order[..=n].to_vec();
            done.sort();
            let in_order: Vec<RunResult> = done.iter().map(|&k| results[k].clone()).collect();
            assert_eq!(*figure.figure(), experiments::aggregate(&specs[0].params, &in_order).unwrap());
        }
        assert!(figure.figure().panels.iter().all(|p| p.series.iter().all(|s| s.n == [2, 2])), "every run is in");
        assert!(figure.add_result(3, results[3].clone()).unwrap_err().to_string().contains("twice"));
        assert!(figure.add_result(2, results[3].clone()).is_err(), "run 3's result is not run 2's");
        assert!(figure.add_result(8, results[3].clone()).is_err());
        assert!(figure.check_run(0, &results[0]).is_err(), "nothing stored to check against");
        assert_eq!(figure.comparison(), None);
        // A live figure's export cites its link and every finished run, in run order.
        let key = figure.panel_choices()[0].0.clone();
        let prov = figure.provenance(&key, None).unwrap();
        assert_eq!(prov.link, format!("#/figures?{LINK}"));
        assert_eq!(prov.panel, format!("fig2b panel {key}"));
        assert_eq!(prov.runs, results.iter().map(RunRecord::of).collect::<Vec<_>>());
    }

    #[test]
    fn a_stored_figure_checks_runs_and_its_recomputation_compares_every_one() {
        let query = stored::paper_query(ExperimentId::Fig2b);
        let params = ExperimentId::Fig2b.params(Preset::Paper);
        let specs = params.runs().unwrap();
        let results: Vec<RunResult> = specs.iter().enumerate().map(|(i, s)| result(s, i as f64)).collect();
        let text = StoredFigure::new(&params, &query, &results, "in a test".into()).unwrap().to_json();
        assert!(FigureRuns::from_stored(&text, "v=2&fig=fig2b&preset=paper&runs=3").is_err(), "another figure");
        let stored = FigureRuns::from_stored(&text, "v=2&fig=fig2b&preset=paper").unwrap();
        assert!(stored.is_stored() && stored.origin().unwrap().starts_with("Stored result:"));
        assert_eq!(stored.runs_done(), specs.len());
        assert!(stored.check_run(3, &results[3]).unwrap().equal);
        assert!(!stored.check_run(3, &result(&specs[3], 0.5)).unwrap().equal);
        // A stored figure's export cites the stored numbers.
        let prov = stored.provenance(&stored.panel_choices()[0].0, None).unwrap();
        assert!(prov.computed.unwrap().starts_with("stored result"));

        let mut live = stored.recompute();
        assert!(!live.is_stored() && live.runs_done() == 0 && live.comparison().is_none());
        assert_eq!(live.add_result(2, results[2].clone()).unwrap().map(|c| c.equal), Some(true));
        assert_eq!(live.add_result(0, result(&specs[0], 0.5)).unwrap().map(|c| c.equal), Some(false));
        let comparison = live.comparison().unwrap();
        assert_eq!((comparison.compared, comparison.differ), (2, 1));
        assert!(
            comparison.text.starts_with("1 of 2 recomputed runs differ from the stored ones: "),
            "{}",
            comparison.text
        );
        for i in (1..specs.len()).filter(|&i| i != 2) {
            live.add_result(i, results[i].clone()).unwrap();
        }
        assert_eq!(live.comparison().unwrap().differ, 1);
        let mut again = stored.recompute();
        for (i, r) in results.iter().enumerate() {
            again.add_result(i, r.clone()).unwrap();
        }
        assert!(again.comparison().unwrap().text.starts_with(&format!("All {} recomputed runs give", specs.len())));
        // Recomputed from the same runs, it is the stored figure, number for number.
        assert_eq!(again.figure(), stored.figure());
    }

    #[test]
    fn showing_some_conditions_leaves_the_others_out_of_every_panel() {
        let text =
            |id: &str| std::fs::read_to_string(format!("{}/www/stored/{id}.json", env!("CARGO_MANIFEST_DIR"))).unwrap();
        let mut fig5 = FigureRuns::from_stored(&text("fig5"), &stored::paper_query(ExperimentId::Fig5)).unwrap();
        let whole = fig5.figure().clone();
        fig5.show_conditions(Some(vec!["p0".into(), "p1".into()])).unwrap();
        let keys = |f: &FigureRuns, panel: &str| -> Vec<String> {
            f.panel(panel).unwrap().series.iter().map(|s| s.key.clone()).collect()
        };
        assert_eq!(keys(&fig5, "d"), ["p0/accuracy", "p1/accuracy"]);
        assert_eq!(
            keys(&fig5, "a"),
            keys(&FigureRuns::from_stored(&text("fig5"), "v=2&fig=fig5&preset=paper").unwrap(), "a")
        );
        assert!(fig5.figure().stalled.is_empty(), "the stalled runs are at p = 0.25 and 0.75");
        assert_eq!(fig5.panel("d").unwrap().failures.len(), 1, "p = 1's dead networks stay");
        assert_eq!(*fig5.full_figure(), whole, "the whole figure is kept");
        fig5.show_conditions(Some(vec!["p0.5".into()])).unwrap();
        assert!(fig5.panel("d").unwrap().failures.is_empty());
        fig5.show_conditions(None).unwrap();
        assert_eq!(*fig5.figure(), whole);
        let err = fig5.show_conditions(Some(vec!["p2".into()])).unwrap_err().to_string();
        assert!(err.contains("no condition \"p2\"") && err.contains("p0.75"), "{err}");
        // A panel left with no series is not drawn at all.
        let mut fig3 = FigureRuns::from_stored(&text("fig3"), &stored::paper_query(ExperimentId::Fig3)).unwrap();
        fig3.show_conditions(Some(vec!["shuffled".into()])).unwrap();
        let panels: Vec<String> = fig3.panel_choices().into_iter().map(|(key, _)| key).collect();
        assert_eq!(panels, ["c-early", "c-late"]);
    }
}
