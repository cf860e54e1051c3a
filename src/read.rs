//! The Read view's argument as data: which figure each of its sections draws
//! ([`READINGS`], in the order the page shows them), the one control that
//! matters there ([`Choice`]), what the paper claims in FA Lab's words, and
//! what FA Lab finds ([`Finding`]), every number computed here from the
//! figure's data, so a regenerated stored result rewrites the text.
//!
//! Each number carries its [`Source`] — the panel, the series and the
//! statistic it is — which the page writes beside it, so a reader (and the
//! end-to-end test, which recomputes each one from the stored JSON) can find
//! where it came from. Presentation: it reads [`FigureData`] only.

use serde::Serialize;

use crate::experiments::{ExperimentId, Preset};
use crate::figure::{FigureData, Series};
use crate::link;
use crate::stored;
use crate::{Error, Result};

/// A series' mean or its standard deviation across runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Stat {
    Mean,
    Sd,
}

/// What a failure count counts ([`crate::figure::FailureCount`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Failed {
    /// Networks dead to the end.
    Died,
    /// Networks whose outputs were all zero for a while, then alive again.
    Revived,
    /// The median step at which they died.
    MedianStep,
}

/// Where a number comes from, computed over a figure's data.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Source {
    /// A series' mean or sd at `x`; `None`: at its last point.
    Value {
        panel: String,
        series: String,
        x: Option<f64>,
        stat: Stat,
    },
    /// The last x of a series (its number of steps).
    LastX {
        panel: String,
        series: String,
    },
    /// The mean of a series' means over `from ..= to`.
    MeanOver {
        panel: String,
        series: String,
        from: f64,
        to: f64,
    },
    /// How much more aligned (lower) a series is at each of `orders` than
    /// its neighbours: the mean of the means over `o−5..o−1` and over
    /// `o+1..o+5`, averaged, minus the mean at `o`; averaged over `orders`.
    OrderGap {
        panel: String,
        series: String,
        orders: Vec<f64>,
    },
    /// One of the panel's failure counts for `condition` (0 when none failed).
    Failures {
        panel: String,
        condition: String,
        count: Failed,
    },
    /// The share of the variance (percent) principal component `component` explains.
    Explained {
        panel: String,
        component: usize,
    },
    /// Runs per condition.
    Runs,
    Difference {
        of: Box<Source>,
        minus: Box<Source>,
    },
    Ratio {
        of: Box<Source>,
        to: Box<Source>,
    },
    Sum {
        of: Vec<Source>,
    },
    Min {
        of: Vec<Source>,
    },
    Max {
        of: Vec<Source>,
    },
}

impl Source {
    /// The value of this source in `figure`; an error names what is missing.
    pub fn value(&self, figure: &FigureData) -> Result<f64> {
        let values = |of: &[Source]| of.iter().map(|s| s.value(figure)).collect::<Result<Vec<f64>>>();
        Ok(match self {
            Source::Value { panel, series, x, stat } => {
                let s = series_of(figure, panel, series)?;
                let i = match x {
                    None => s.x.len().checked_sub(1).ok_or_else(|| missing(panel, series, "no points"))?,
                    Some(x) => {
                        index_of(s, *x).ok_or_else(|| missing(panel, series, &format!("no point at x = {x}")))?
                    }
                };
                match stat {
                    Stat::Mean => s.mean[i],
                    Stat::Sd => s.sd[i],
                }
            }
            Source::LastX { panel, series } => {
                *series_of(figure, panel, series)?.x.last().ok_or_else(|| missing(panel, series, "no points"))?
            }
            Source::MeanOver { panel, series, from, to } => {
                let s = series_of(figure, panel, series)?;
                mean_over(s, *from, *to)
                    .ok_or_else(|| missing(panel, series, &format!("no points in {from}..={to}")))?
            }
            Source::OrderGap { panel, series, orders } => {
                let s = series_of(figure, panel, series)?;
                let gap = |o: f64| -> Option<f64> {
                    let around = (mean_over(s, o - 5.0, o - 1.0)? + mean_over(s, o + 1.0, o + 5.0)?) / 2.0;
                    Some(around - s.mean[index_of(s, o)?])
                };
                let gaps = orders.iter().map(|&o| gap(o)).collect::<Option<Vec<f64>>>();
                let gaps = gaps.ok_or_else(|| missing(panel, series, "no points around an order"))?;
                mean(&gaps)
            }
            Source::Failures { panel, condition, count } => {
                let p = figure.panel(panel).ok_or_else(|| missing(panel, "", "no such panel"))?;
                match (p.failures.iter().find(|f| &f.condition == condition), count) {
                    (None, _) => 0.0,
                    (Some(f), Failed::Died) => f.died as f64,
                    (Some(f), Failed::Revived) => f.revived as f64,
                    (Some(f), Failed::MedianStep) => f.median_step,
                }
            }
            Source::Explained { panel, component } => {
                let pca = figure.panel(panel).and_then(|p| p.pca.as_ref());
                let share = pca.and_then(|pca| pca.explained.get(*component));
                100.0 * share.ok_or_else(|| missing(panel, "", "no principal component there"))?
            }
            Source::Runs => figure.params.n_runs() as f64,
            Source::Difference { of, minus } => of.value(figure)? - minus.value(figure)?,
            Source::Ratio { of, to } => of.value(figure)? / to.value(figure)?,
            Source::Sum { of } => values(of)?.iter().sum(),
            Source::Min { of } => values(of)?.into_iter().fold(f64::INFINITY, f64::min),
            Source::Max { of } => values(of)?.into_iter().fold(f64::NEG_INFINITY, f64::max),
        })
    }
}

fn series_of<'a>(figure: &'a FigureData, panel: &str, series: &str) -> Result<&'a Series> {
    let p = figure.panel(panel).ok_or_else(|| missing(panel, series, "no such panel"))?;
    p.series.iter().find(|s| s.key == series).ok_or_else(|| missing(panel, series, "no such series"))
}

fn missing(panel: &str, series: &str, what: &str) -> Error {
    Error::InvalidParam(format!("the Read view's number from panel {panel:?} series {series:?}: {what}"))
}

fn index_of(s: &Series, x: f64) -> Option<usize> {
    s.x.iter().position(|&v| v == x)
}

fn mean(v: &[f64]) -> f64 {
    v.iter().sum::<f64>() / v.len() as f64
}

fn mean_over(s: &Series, from: f64, to: f64) -> Option<f64> {
    let v: Vec<f64> = s.x.iter().zip(&s.mean).filter(|(x, _)| (from..=to).contains(*x)).map(|(_, m)| *m).collect();
    (!v.is_empty()).then(|| mean(&v))
}

/// A number in a finding: its value, as shown (rounded, with its unit), and where it came from.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Number {
    pub value: f64,
    pub shown: String,
    pub decimals: usize,
    pub source: Source,
}

/// A piece of a finding: words, or a number.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub enum Part {
    Text(String),
    Number(Number),
}

/// One sentence of what FA Lab finds.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Finding {
    pub parts: Vec<Part>,
}

impl Finding {
    /// The sentence as text.
    pub fn text(&self) -> String {
        self.parts
            .iter()
            .map(|p| match p {
                Part::Text(t) => t.as_str(),
                Part::Number(n) => n.shown.as_str(),
            })
            .collect()
    }
}

/// Writes a finding: words and numbers in turn, each number computed from the figure.
struct Says<'a> {
    figure: &'a FigureData,
    parts: Vec<Part>,
}

impl<'a> Says<'a> {
    fn new(figure: &'a FigureData) -> Says<'a> {
        Says { figure, parts: Vec::new() }
    }

    fn t(&mut self, text: &str) -> &mut Self {
        self.parts.push(Part::Text(text.to_string()));
        self
    }

    /// A number with `decimals` decimals and `unit` (`°`, ` %`, or nothing).
    fn n(&mut self, source: Source, decimals: usize, unit: &str) -> Result<&mut Self> {
        let value = source.value(self.figure)?;
        let rounded = format!("{value:.decimals$}");
        // −0.0 rounds to "-0.0"; a reader sees 0.
        let rounded = if rounded.trim_start_matches('-').chars().all(|c| c == '0' || c == '.') {
            rounded.trim_start_matches('-').to_string()
        } else {
            rounded.replace('-', "−")
        };
        self.parts.push(Part::Number(Number { value, shown: format!("{rounded}{unit}"), decimals, source }));
        Ok(self)
    }

    /// `mean ± sd` of a series at its last point.
    fn pm(&mut self, panel: &str, series: &str, decimals: usize, unit: &str) -> Result<&mut Self> {
        self.n(last(panel, series), decimals, "")?.t(" ± ").n(last_sd(panel, series), decimals, unit)
    }

    /// Numbers of `sources` separated by `, `, the unit after the last one.
    fn list(&mut self, sources: Vec<Source>, decimals: usize, unit: &str) -> Result<&mut Self> {
        let n = sources.len();
        for (i, s) in sources.into_iter().enumerate() {
            if i > 0 {
                self.t(", ");
            }
            self.n(s, decimals, if i + 1 == n { unit } else { "" })?;
        }
        Ok(self)
    }

    /// The smallest and largest of `sources` as `a–b`.
    fn range(&mut self, sources: Vec<Source>, decimals: usize, unit: &str) -> Result<&mut Self> {
        self.n(Source::Min { of: sources.clone() }, decimals, "")?.t("–").n(Source::Max { of: sources }, decimals, unit)
    }

    fn done(&mut self) -> Finding {
        Finding { parts: std::mem::take(&mut self.parts) }
    }
}

fn last(panel: &str, series: &str) -> Source {
    Source::Value { panel: panel.into(), series: series.into(), x: None, stat: Stat::Mean }
}

fn last_sd(panel: &str, series: &str) -> Source {
    Source::Value { panel: panel.into(), series: series.into(), x: None, stat: Stat::Sd }
}

fn at(panel: &str, series: &str, x: f64) -> Source {
    Source::Value { panel: panel.into(), series: series.into(), x: Some(x), stat: Stat::Mean }
}

fn last_x(panel: &str, series: &str) -> Source {
    Source::LastX { panel: panel.into(), series: series.into() }
}

fn failures(panel: &str, condition: &str, count: Failed) -> Source {
    Source::Failures { panel: panel.into(), condition: condition.into(), count }
}

fn order_gap(panel: &str, series: &str, orders: &[f64]) -> Source {
    Source::OrderGap { panel: panel.into(), series: series.into(), orders: orders.to_vec() }
}

fn diff(of: Source, minus: Source) -> Source {
    Source::Difference { of: Box::new(of), minus: Box::new(minus) }
}

/// `series(l)` for each of `layers`.
fn layers(range: std::ops::RangeInclusive<usize>, source: impl Fn(usize) -> Source) -> Vec<Source> {
    range.map(source).collect()
}

/// A control of a reading: which of the figure's conditions its panels show.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Choice {
    /// What the control chooses (`Condition`).
    pub label: &'static str,
    pub options: Vec<ChoiceOption>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ChoiceOption {
    pub label: &'static str,
    /// The conditions shown (names of the experiment's conditions).
    pub conditions: Vec<&'static str>,
}

fn choice(label: &'static str, options: &[(&'static str, &[&'static str])]) -> Option<Choice> {
    let options = options.iter().map(|&(label, conditions)| ChoiceOption { label, conditions: conditions.to_vec() });
    Some(Choice { label, options: options.collect() })
}

/// One figure in the Read view: the section it illustrates, its panels and
/// control, the paper's claim and FA Lab's findings.
pub struct Reading {
    /// Unique among the readings (`fig5`, `differ-fig5`).
    pub id: &'static str,
    /// The Read view section it belongs to (its anchor: `#/read?s=labels`).
    pub section: &'static str,
    pub experiment: ExperimentId,
    /// The panels drawn, in order (those the control leaves empty are not).
    pub panels: &'static [&'static str],
    /// The paper's claim, in FA Lab's words.
    pub claim: &'static str,
    /// Whether the page can compute the figure's quick preset beside the stored result (in about a second, without the data).
    pub computes_live: bool,
    choice: fn() -> Option<Choice>,
    finds: fn(&FigureData) -> Result<Vec<Finding>>,
}

/// A reading as the page takes it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ReadingInfo {
    pub id: &'static str,
    pub section: &'static str,
    pub figure: &'static str,
    pub title: &'static str,
    /// The figure link of the stored result (its paper preset, current version).
    pub query: String,
    /// The stored result's file, relative to the page.
    pub file: String,
    pub panels: &'static [&'static str],
    pub claim: &'static str,
    pub choice: Option<Choice>,
    /// The quick preset's link, when the page computes it live ([`Reading::computes_live`]).
    pub live: Option<String>,
}

impl Reading {
    pub fn info(&self) -> ReadingInfo {
        let query = stored::paper_query(self.experiment);
        let file = stored::file_for(&query).unwrap_or_default();
        ReadingInfo {
            id: self.id,
            section: self.section,
            figure: self.experiment.name(),
            title: self.experiment.title(),
            query,
            file,
            panels: self.panels,
            claim: self.claim,
            choice: (self.choice)(),
            live: self.computes_live.then(|| {
                let params = self.experiment.params(Preset::Quick);
                link::figure_query(self.experiment, Preset::Quick, params.n_runs(), params.seed())
            }),
        }
    }

    /// What FA Lab finds in `figure` (this reading's figure, all conditions).
    pub fn findings(&self, figure: &FigureData) -> Result<Vec<Finding>> {
        if figure.experiment != self.experiment {
            return Err(Error::InvalidParam(format!(
                "the reading {} is about {}, not {}",
                self.id, self.experiment, figure.experiment
            )));
        }
        (self.finds)(figure)
    }
}

/// Section 1's run: FA on the paper's network and data, seed 0, with the
/// angle of each update to BP's; a fixed link (version 2), so it steps the same way for good.
pub const TRICK_LINK: &str = "v=2&rule=fa&epochs=2&seed=0&angles=1";

/// The hidden layers of section 1's network, whose error signals it shows (`1..d`).
pub fn trick_layers() -> Vec<usize> {
    let depth = link::train_config_from_query(TRICK_LINK).map_or(0, |cfg| cfg.net.sizes.len() - 1);
    (1..depth).collect()
}

/// The reading `id`.
pub fn reading(id: &str) -> Result<&'static Reading> {
    READINGS.iter().find(|r| r.id == id).ok_or_else(|| {
        let ids: Vec<&str> = READINGS.iter().map(|r| r.id).collect();
        Error::InvalidParam(format!("the Read view has no reading {id:?} (it has {})", ids.join(", ")))
    })
}

/// Every reading, in the order of the page. Section `beyond` lists the
/// figures beyond the paper: a new one is one more entry here.
pub static READINGS: &[Reading] = &[
    Reading {
        id: "trick",
        section: "trick",
        experiment: ExperimentId::Fig6,
        panels: &["b"],
        claim: "With random feedback in place of the transposed weights, the network still learns, and the angle \
                between each forward matrix and its feedback shrinks as it does.",
        computes_live: false,
        choice: || {
            choice(
                "Show",
                &[
                    ("FA, and a B that BP never uses", &["fa", "bp"]),
                    ("FA with and without weight normalisation", &["fa", "fa_wn", "bp"]),
                ],
            )
        },
        finds: trick,
    },
    Reading {
        id: "fig2b",
        section: "why",
        experiment: ExperimentId::Fig2b,
        panels: &["b"],
        claim: "In a two-layer net whose output error is handed in from outside, W₁ turns towards B₁ᵀ when \
                activity repeats over time (autocorrelation), when the error follows the activity \
                (cross-correlation), or both; with signals independent from step to step it stays at right angles.",
        computes_live: true,
        choice: || {
            choice(
                "Condition",
                &[
                    ("all four", &["auto", "cross", "both", "none"]),
                    ("autocorrelation", &["auto"]),
                    ("cross-correlation", &["cross"]),
                    ("both", &["both"]),
                    ("neither", &["none"]),
                ],
            )
        },
        finds: fig2b,
    },
    Reading {
        id: "fig3",
        section: "orders",
        experiment: ExperimentId::Fig3,
        panels: &["b-early", "b-late", "c-early", "c-late"],
        claim: "With the samples in a fixed order, the alignment terms whose order is a multiple of 60 (one epoch \
                of 60 minibatches) are closer to B_lᵀ than the rest, a little early in training and more later; \
                shuffling the order every epoch removes the difference; early on, terms of every order are aligned.",
        computes_live: false,
        choice: || choice("Sample order", &[("fixed", &["fixed"]), ("shuffled every epoch", &["shuffled"])]),
        finds: fig3,
    },
    Reading {
        id: "fig4",
        section: "distortions",
        experiment: ExperimentId::Fig4,
        panels: &["a", "b"],
        claim: "A copy of the weights moved only by the linearised alignment terms (eq. 8) aligns with B_lᵀ \
                better than the real, non-linear network does, and it aligns just as well with a fresh random \
                matrix put in B's place: the terms carry whatever matrix they are given.",
        computes_live: false,
        choice: || None,
        finds: fig4,
    },
    Reading {
        id: "fig5",
        section: "labels",
        experiment: ExperimentId::Fig5,
        panels: &["a", "b", "c", "d"],
        claim: "The more labels are shuffled, the less the weights align (earlier layers less than later ones) \
                and the worse the loss and the accuracy; even with every label shuffled, the terms of order 60 \
                still align.",
        computes_live: false,
        choice: || {
            choice(
                "Shuffled fraction p",
                &[
                    ("all five", &["p0", "p0.25", "p0.5", "p0.75", "p1"]),
                    ("p = 0.25 beside p = 0", &["p0", "p0.25"]),
                    ("p = 0.5 beside p = 0", &["p0", "p0.5"]),
                    ("p = 0.75 beside p = 0", &["p0", "p0.75"]),
                    ("p = 1 beside p = 0", &["p0", "p1"]),
                ],
            )
        },
        finds: fig5,
    },
    Reading {
        id: "fig6",
        section: "weights",
        experiment: ExperimentId::Fig6,
        panels: &["a", "b", "c", "d", "e", "accuracy"],
        claim: "Under FA the weights grow all the time, later layers more; W_l aligns with B_lᵀ, better with \
                weight normalisation; FA's updates point within 90° of BP's, less so in earlier layers (the \
                last layer's are BP's); and BP and FA, started from one point, end in different minima, FA's \
                with the higher loss.",
        computes_live: false,
        choice: || None,
        finds: fig6,
    },
    Reading {
        id: "fig7",
        section: "switch",
        experiment: ExperimentId::Fig7,
        panels: &["loss", "accuracy"],
        claim: "A network trained by FA for T epochs and then switched to BP gets stuck where the gradient is \
                zero, instead of going on to BP's lower loss.",
        computes_live: false,
        choice: || {
            choice(
                "Switch after",
                &[
                    ("every T", &["T0", "T2", "T5", "T10", "T20"]),
                    ("T = 2, beside BP and FA alone", &["T0", "T2", "T20"]),
                    ("T = 5, beside BP and FA alone", &["T0", "T5", "T20"]),
                    ("T = 10, beside BP and FA alone", &["T0", "T10", "T20"]),
                ],
            )
        },
        finds: fig7,
    },
    Reading {
        id: "rules",
        section: "beyond",
        experiment: ExperimentId::Rules,
        panels: &["accuracy", "update", "alignment", "loss"],
        claim: "(Not in the paper.) Other ways to send the error back: direct feedback alignment (DFA) sends \
                the output error straight to every layer; sign-symmetry uses the signs of the forward weights; \
                Kolen–Pollack lets B learn the transposed updates, with a decay, until it mirrors W.",
        computes_live: false,
        choice: || None,
        finds: rules,
    },
    Reading {
        id: "feedback",
        section: "beyond",
        experiment: ExperimentId::Feedback,
        panels: &["accuracy", "alignment-1", "signal-1", "loss"],
        claim: "(Not in the paper.) What the feedback path must be: a B drawn afresh at every step, sparse or \
                rescaled feedback, feedback that shares W's signs, a B that starts partly aligned, and the \
                control that trains only the output layer. The literature reports that B must stay fixed, that \
                sparse feedback still aligns, that signs matter more than magnitudes, and that an aligned start \
                aligns faster.",
        computes_live: false,
        choice: || {
            choice(
                "Show",
                &[
                    (
                        "every feedback path",
                        &["bp", "fa", "redrawn", "shallow", "sparse", "scaled", "concordant", "aligned"],
                    ),
                    ("FA against its controls", &["bp", "fa", "redrawn", "shallow"]),
                    ("FA's B changed", &["fa", "sparse", "scaled", "concordant", "aligned"]),
                ],
            )
        },
        finds: feedback,
    },
    Reading {
        id: "differ-fig3",
        section: "differ",
        experiment: ExperimentId::Fig3,
        panels: &["b-early"],
        claim: "Early in training, the alignment terms of every order are aligned with B_lᵀ.",
        computes_live: false,
        choice: || None,
        finds: differ_fig3,
    },
    Reading {
        id: "differ-fig5",
        section: "differ",
        experiment: ExperimentId::Fig5,
        panels: &["d"],
        claim: "The more labels are shuffled, the worse the network performs.",
        computes_live: false,
        choice: || None,
        finds: differ_fig5,
    },
    Reading {
        id: "differ-fig6d",
        section: "differ",
        experiment: ExperimentId::Fig6,
        panels: &["d"],
        claim: "FA's updates ΔW_l align with B_lᵀ, more so with weight normalisation.",
        computes_live: false,
        choice: || None,
        finds: differ_fig6d,
    },
    Reading {
        id: "differ-fig7",
        section: "differ",
        experiment: ExperimentId::Fig7,
        panels: &["accuracy"],
        claim: "Switching from FA to BP gets the network stuck.",
        computes_live: false,
        choice: || choice("Switch after", &[("T = 2, beside BP and FA alone", &["T0", "T2", "T20"])]),
        finds: differ_fig7,
    },
    Reading {
        id: "differ-fig2b",
        section: "differ",
        experiment: ExperimentId::Fig2b,
        panels: &["b"],
        claim: "Auto- and cross-correlation together align the weights better than autocorrelation alone.",
        computes_live: false,
        choice: || None,
        finds: differ_fig2b,
    },
];

fn trick(f: &FigureData) -> Result<Vec<Finding>> {
    let mut s = Says::new(f);
    s.t("Over ").n(last_x("b", "fa/align/1"), 0, "")?.t(" steps (").n(Source::Runs, 0, "")?;
    s.t(" runs), ∠(W_l, B_lᵀ) under FA falls from ");
    s.range(layers(1..=4, |l| at("b", &format!("fa/align/{l}"), 0.0)), 1, "°")?.t(" to ");
    s.range(layers(1..=4, |l| last("b", &format!("fa/align/{l}"))), 1, "°")?;
    s.t(" (W₁…W₄), the later layers most; the B that BP draws and never uses ends at ");
    s.pm("b", "bp/align/mean", 1, "°")?.t(". Test accuracy: FA ").pm("accuracy", "fa/accuracy", 1, " %")?;
    s.t(", BP ").pm("accuracy", "bp/accuracy", 1, " %")?.t(".");
    Ok(vec![s.done()])
}

fn fig2b(f: &FigureData) -> Result<Vec<Finding>> {
    let mut s = Says::new(f);
    s.t("Over ").n(Source::Runs, 0, "")?.t(" runs of ").n(last_x("b", "auto/angle"), 0, "")?;
    s.t(" steps, ∠(W₁, B₁ᵀ) ends at ").pm("b", "auto/angle", 1, "°")?.t(" with autocorrelation, ");
    s.pm("b", "cross/angle", 1, "°")?.t(" with cross-correlation, ").pm("b", "both/angle", 1, "°")?;
    s.t(" with both and ").pm("b", "none/angle", 1, "°")?.t(" with neither.");
    Ok(vec![s.done()])
}

const EPOCH_ORDERS: [f64; 2] = [60.0, 120.0];

fn fig3_gaps(panel: &str, condition: &str, when: &str) -> Vec<Source> {
    layers(1..=4, |l| order_gap(panel, &format!("{condition}/order/{when}/{l}"), &EPOCH_ORDERS))
}

fn fig3_mean(when: &str) -> Vec<Source> {
    let panel = format!("b-{when}");
    layers(1..=4, |l| Source::MeanOver {
        panel: panel.clone(),
        series: format!("fixed/order/{when}/{l}"),
        from: 1.0,
        to: 130.0,
    })
}

fn fig3(f: &FigureData) -> Result<Vec<Finding>> {
    let mut s = Says::new(f);
    s.t("Late in training (").n(Source::Runs, 0, "")?.t(" runs), orders 60 and 120 are ");
    s.range(fig3_gaps("b-late", "fixed", "late"), 1, "°")?;
    s.t(" more aligned than their five neighbours on each side (layers 1–4) with the samples in a fixed order; ");
    s.t("shuffled every epoch, ").range(fig3_gaps("c-late", "shuffled", "late"), 1, "°")?.t(".");
    let late = s.done();
    s.t("Early in training the gap is ").range(fig3_gaps("b-early", "fixed", "early"), 1, "°")?;
    s.t(", and the mean angle over all orders is ").range(fig3_mean("early"), 1, "°")?.t(".");
    Ok(vec![late, s.done()])
}

fn fig4(f: &FigureData) -> Result<Vec<Finding>> {
    let mut s = Says::new(f);
    s.t("After ").n(last_x("a", "fa/real/1"), 0, "")?.t(" steps (").n(Source::Runs, 0, "")?;
    s.t(" runs), ∠(W_l, B_lᵀ) of the real network is ");
    s.list(layers(1..=4, |l| last("a", &format!("fa/real/{l}"))), 1, "°")?
        .t(" for W₁…W₄; the linearised copy W̃_l reaches ");
    s.list(layers(1..=4, |l| last("a", &format!("fa/disturbed/{l}"))), 1, "°")?;
    s.t(", and the copy whose terms carry a fresh B_new reaches ");
    s.list(layers(1..=4, |l| last("b", &format!("fa/disturbed_new/{l}"))), 1, "°")?.t(" against B_newᵀ.");
    Ok(vec![s.done()])
}

const FRACTIONS: [(&str, f64); 5] = [("p0", 0.0), ("p0.25", 0.25), ("p0.5", 0.5), ("p0.75", 0.75), ("p1", 1.0)];

fn fig5(f: &FigureData) -> Result<Vec<Finding>> {
    let mut s = Says::new(f);
    s.t("Final ∠(W₁, B₁ᵀ) for p = 0, 0.25, 0.5, 0.75 and 1 (").n(Source::Runs, 0, "")?.t(" runs each): ");
    s.list(FRACTIONS.iter().map(|(_, p)| at("a", "final_align/1", *p)).collect(), 1, "°")?;
    s.t("; for W₄ it goes from ").n(at("a", "final_align/4", 0.0), 1, "°")?.t(" to ");
    s.n(at("a", "final_align/4", 1.0), 1, "°")?.t(".");
    let align = s.done();
    s.t("Test accuracy at the end: ");
    s.list(FRACTIONS.iter().map(|(c, _)| last("d", &format!("{c}/accuracy"))).collect(), 1, " %")?;
    s.t("; final training loss ");
    s.list(FRACTIONS.iter().map(|(c, _)| last("b", &format!("{c}/loss"))).collect(), 0, "")?.t(".");
    let accuracy = s.done();
    s.t("At the last step the order-60 term is ").n(order_gap("c", "p1/order/late/1", &[60.0]), 1, "°")?;
    s.t(" more aligned than its neighbours with every label shuffled (");
    s.n(order_gap("c", "p0/order/late/1", &[60.0]), 1, "°")?.t(" with none). With every label shuffled, ");
    s.n(failures("d", "p1", Failed::Died), 0, "")?.t(" networks stay dead to the end and ");
    s.n(failures("d", "p1", Failed::Revived), 0, "")?.t(" recover after their outputs were all zero.");
    Ok(vec![align, accuracy, s.done()])
}

fn fig6(f: &FigureData) -> Result<Vec<Finding>> {
    let mut s = Says::new(f);
    let growth = |l: usize| Source::Ratio {
        of: Box::new(last("a", &format!("fa/norm/{l}"))),
        to: Box::new(at("a", &format!("fa/norm/{l}"), 0.0)),
    };
    s.t("Over ")
        .n(last_x("a", "fa/norm/0"), 0, "")?
        .t(" steps (")
        .n(Source::Runs, 0, "")?
        .t(" runs) ‖W_l‖ grows by a factor ");
    s.list(layers(0..=4, growth), 2, "")?.t(" for W₀…W₄.");
    let norms = s.done();
    s.t("Final ∠(W_l, B_lᵀ) for W₁…W₄: FA ");
    s.list(layers(1..=4, |l| last("b", &format!("fa/align/{l}"))), 1, "°")?.t("; with weight normalisation ");
    s.list(layers(1..=4, |l| last("b", &format!("fa_wn/align/{l}"))), 1, "°")?.t(", lower by ");
    let wn_gain = |l: usize| diff(last("b", &format!("fa/align/{l}")), last("b", &format!("fa_wn/align/{l}")));
    s.range(layers(1..=4, wn_gain), 1, "°")?.t(". A B that BP draws and never uses stays at ");
    s.pm("b", "bp/align/mean", 1, "°")?.t(".");
    let align = s.done();
    s.t("∠(ΔW^FA, ΔW^BP) at the end, W₀…W₄: ");
    s.list(layers(0..=4, |l| last("c", &format!("fa/update/{l}"))), 1, "°")?.t("; under DFA ");
    s.list(layers(0..=4, |l| last("c-dfa", &format!("dfa/update/{l}"))), 1, "°")?;
    s.t(". ∠(B_lᵀ, ΔW_l): FA ").range(layers(1..=4, |l| last("d", &format!("fa/fbupdate/{l}"))), 1, "°")?;
    s.t(", FA+WN ").range(layers(1..=4, |l| last("d", &format!("fa_wn/fbupdate/{l}"))), 1, "°")?.t(".");
    let updates = s.done();
    s.t("The first principal component of the two paths explains ");
    s.n(Source::Explained { panel: "e".into(), component: 0 }, 0, " %")?.t(" of their variance, the second ");
    s.n(Source::Explained { panel: "e".into(), component: 1 }, 0, " %")?.t(". Test accuracy at the end: BP ");
    s.pm("accuracy", "bp/accuracy", 1, " %")?.t(", DFA ").pm("accuracy", "dfa/accuracy", 1, " %")?;
    s.t(", FA+WN ").pm("accuracy", "fa_wn/accuracy", 1, " %")?.t(", FA ");
    s.pm("accuracy", "fa/accuracy", 1, " %")?.t(".");
    Ok(vec![norms, align, updates, s.done()])
}

fn fig7(f: &FigureData) -> Result<Vec<Finding>> {
    let mut s = Says::new(f);
    s.t("Switched to BP after 5 or 10 epochs, ").n(failures("loss", "T5", Failed::Died), 0, "")?.t(" and ");
    s.n(failures("loss", "T10", Failed::Died), 0, "")?.t(" of ").n(Source::Runs, 0, "")?;
    s.t(" networks die (median steps ").n(failures("loss", "T5", Failed::MedianStep), 0, "")?.t(" and ");
    s.n(failures("loss", "T10", Failed::MedianStep), 0, "")?.t(") and end at ");
    s.n(last("accuracy", "T5/accuracy"), 1, " %")?.t(", chance. BP alone reaches ");
    s.pm("accuracy", "T0/accuracy", 1, " %")?.t(", FA alone ").pm("accuracy", "T20/accuracy", 1, " %")?.t(".");
    Ok(vec![s.done()])
}

const RULES: [(&str, &str); 5] =
    [("bp", "BP"), ("kp", "Kolen–Pollack"), ("sign", "sign-symmetry"), ("dfa", "DFA"), ("fa", "FA")];

fn rules(f: &FigureData) -> Result<Vec<Finding>> {
    let mut s = Says::new(f);
    s.t("Test accuracy after ").n(last_x("accuracy", "bp/accuracy"), 0, "")?.t(" epochs (");
    s.n(Source::Runs, 0, "")?.t(" runs): ");
    for (i, (key, name)) in RULES.iter().enumerate() {
        s.t(if i == 0 { "" } else { ", " }).t(name).t(" ").pm("accuracy", &format!("{key}/accuracy"), 1, " %")?;
    }
    s.t(".");
    let accuracy = s.done();
    s.t("Their updates' angle to BP's at the end: ");
    for (i, (key, name)) in RULES[1..].iter().enumerate() {
        s.t(if i == 0 { "" } else { ", " }).t(name).t(" ").n(last("update", &format!("{key}/update/mean")), 1, "°")?;
    }
    s.t(". ∠(W_l, feedbackᵀ): ");
    for (i, (key, name)) in [("kp", "Kolen–Pollack"), ("sign", "sign-symmetry"), ("fa", "FA")].iter().enumerate() {
        s.t(if i == 0 { "" } else { ", " }).t(name).t(" ").n(
            last("alignment", &format!("{key}/align/mean")),
            1,
            "°",
        )?;
    }
    s.t("; BP's unused B ").pm("alignment", "bp/align/mean", 1, "°")?.t(".");
    Ok(vec![accuracy, s.done()])
}

const FEEDBACK: [(&str, &str); 8] = [
    ("bp", "BP"),
    ("fa", "FA"),
    ("redrawn", "B redrawn"),
    ("shallow", "output layer only"),
    ("sparse", "sparse B"),
    ("scaled", "scaled B"),
    ("concordant", "sign-concordant B"),
    ("aligned", "aligned start"),
];

fn feedback(f: &FigureData) -> Result<Vec<Finding>> {
    let mut s = Says::new(f);
    s.t("Test accuracy after ").n(last_x("accuracy", "fa/accuracy"), 0, "")?.t(" epochs (");
    s.n(Source::Runs, 0, "")?.t(" runs each): ");
    for (i, (key, name)) in FEEDBACK.iter().enumerate() {
        s.t(if i == 0 { "" } else { ", " }).t(name).t(" ").pm("accuracy", &format!("{key}/accuracy"), 1, " %")?;
    }
    s.t(".");
    let accuracy = s.done();
    s.t("∠(W₁, B₁ᵀ) at the end: ");
    for (i, (key, name)) in FEEDBACK[1..].iter().enumerate() {
        s.t(if i == 0 { "" } else { ", " }).t(name).t(" ").n(last("alignment-1", &format!("{key}/align/1")), 1, "°")?;
    }
    s.t("; BP's unused B ").n(last("alignment-1", "bp/align/1"), 1, "°")?.t(".");
    Ok(vec![accuracy, s.done()])
}

fn differ_fig3(f: &FigureData) -> Result<Vec<Finding>> {
    let mut s = Says::new(f);
    s.t("FA Lab finds the early terms near right angles: early in training the mean over all orders is ");
    s.range(fig3_mean("early"), 1, "°")?.t(" (layers 1–4, ").n(Source::Runs, 0, "")?;
    s.t(" runs), and orders 60 and 120 stand out by only ").range(fig3_gaps("b-early", "fixed", "early"), 1, "°")?;
    s.t(". Late in training they stand out by ").range(fig3_gaps("b-late", "fixed", "late"), 1, "°")?.t(".");
    Ok(vec![s.done()])
}

fn differ_fig5(f: &FigureData) -> Result<Vec<Finding>> {
    let mut s = Says::new(f);
    s.t("Test accuracy is ");
    s.list(FRACTIONS[..3].iter().map(|(c, _)| last("d", &format!("{c}/accuracy"))).collect(), 1, " %")?;
    s.t(" for p = 0, 0.25 and 0.5 — no worse — and only then falls, to ");
    s.n(last("d", "p0.75/accuracy"), 1, " %")?.t(" and ").n(last("d", "p1/accuracy"), 1, " %")?;
    s.t(". Loss and alignment do follow p all the way (section 5).");
    Ok(vec![s.done()])
}

fn differ_fig6d(f: &FigureData) -> Result<Vec<Finding>> {
    let mut s = Says::new(f);
    s.t("Real but small: under FA ∠(B_lᵀ, ΔW_l) ends at ");
    s.range(layers(1..=4, |l| last("d", &format!("fa/fbupdate/{l}"))), 1, "°")?;
    s.t(", a degree or two short of a right angle; weight normalisation lowers it to ");
    s.range(layers(1..=4, |l| last("d", &format!("fa_wn/fbupdate/{l}"))), 1, "°")?.t(".");
    Ok(vec![s.done()])
}

fn differ_fig7(f: &FigureData) -> Result<Vec<Finding>> {
    let died = failures("accuracy", "T2", Failed::Died);
    let revived = failures("accuracy", "T2", Failed::Revived);
    let mut s = Says::new(f);
    s.t("Not always, and not for good: switched after 2 epochs, ");
    s.n(Source::Sum { of: vec![died.clone(), revived.clone()] }, 0, "")?.t(" of ").n(Source::Runs, 0, "")?;
    s.t(" networks have all outputs zero at some step, but only ").n(died, 0, "")?.t(" stay dead; ");
    s.n(revived, 0, "")?.t(" recover, and with the others they end at ");
    s.pm("accuracy", "T2/accuracy", 1, " %")?.t(". The collapse also depends on the step size BP takes after ");
    s.t("the switch, which the paper does not give (the panel's footnote says what a smaller one does).");
    Ok(vec![s.done()])
}

fn differ_fig2b(f: &FigureData) -> Result<Vec<Finding>> {
    let mut s = Says::new(f);
    s.t("Both together (").pm("b", "both/angle", 1, "°")?.t(") align no more than autocorrelation alone (");
    s.pm("b", "auto/angle", 1, "°")?.t("); cross-correlation alone aligns most, to ");
    s.pm("b", "cross/angle", 1, "°")?.t(".");
    Ok(vec![s.done()])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::figure::{Panel, Series};
    use crate::stored::StoredFigure;

    fn series(key: &str, x: &[f64], mean: &[f64]) -> Series {
        Series {
            key: key.into(),
            label: key.into(),
            colour: 0,
            dashed: false,
            x: x.to_vec(),
            mean: mean.to_vec(),
            sd: vec![0.5; x.len()],
            n: vec![3; x.len()],
        }
    }

    fn figure(panels: Vec<Panel>) -> FigureData {
        let params = ExperimentId::Fig3.params(Preset::Quick);
        FigureData {
            experiment: ExperimentId::Fig3,
            title: String::new(),
            params,
            runs_total: 1,
            runs_done: 1,
            failed: Vec::new(),
            stalled: Vec::new(),
            panels,
        }
    }

    #[test]
    fn sources_compute_what_they_say() {
        // Orders 1..=130 at 90°, except 60 at 80° and 120 at 84°.
        let x: Vec<f64> = (1..=130).map(f64::from).collect();
        let y: Vec<f64> = x
            .iter()
            .map(|&o| {
                if o == 60.0 {
                    80.0
                } else if o == 120.0 {
                    84.0
                } else {
                    90.0
                }
            })
            .collect();
        let f = figure(vec![Panel::lines("p", "t", "x", "y", vec![series("s", &x, &y)])]);
        let v = |s: Source| s.value(&f).unwrap();
        assert_eq!(v(last("p", "s")), 90.0);
        assert_eq!(v(at("p", "s", 60.0)), 80.0);
        assert_eq!(v(last_sd("p", "s")), 0.5);
        assert_eq!(v(last_x("p", "s")), 130.0);
        assert_eq!(v(order_gap("p", "s", &[60.0])), 10.0);
        assert_eq!(v(order_gap("p", "s", &EPOCH_ORDERS)), 8.0, "(10 + 6) / 2");
        let all = Source::MeanOver { panel: "p".into(), series: "s".into(), from: 1.0, to: 130.0 };
        assert!((v(all) - (90.0 * 130.0 - 16.0) / 130.0).abs() < 1e-12);
        assert_eq!(v(diff(at("p", "s", 1.0), at("p", "s", 60.0))), 10.0);
        assert_eq!(v(Source::Min { of: vec![at("p", "s", 60.0), at("p", "s", 120.0)] }), 80.0);
        assert_eq!(v(Source::Max { of: vec![at("p", "s", 60.0), at("p", "s", 120.0)] }), 84.0);
        assert_eq!(v(failures("p", "fixed", Failed::Died)), 0.0, "no failures: none died");
        let err = last("p", "zz").value(&f).unwrap_err().to_string();
        assert!(err.contains("\"zz\"") && err.contains("no such series"), "{err}");
        assert!(at("p", "s", 0.5).value(&f).is_err());
    }

    #[test]
    fn numbers_are_rounded_as_shown() {
        let f = figure(vec![Panel::lines("p", "t", "x", "y", vec![series("s", &[0.0, 1.0], &[-0.04, 63.149])])]);
        let mut s = Says::new(&f);
        s.n(at("p", "s", 0.0), 1, "°").unwrap().t(" and ").n(last("p", "s"), 1, "°").unwrap();
        assert_eq!(s.done().text(), "0.0° and 63.1°", "−0.04 shows as 0.0, not −0.0");
    }

    #[test]
    fn readings_are_unique_and_their_choices_name_real_conditions() {
        for (i, r) in READINGS.iter().enumerate() {
            assert!(READINGS[..i].iter().all(|o| o.id != r.id), "{} twice", r.id);
            let info = r.info();
            assert!(info.file.ends_with(&format!("{}.json", r.experiment.name())), "{} has a stored file", r.id);
            let conditions = r.experiment.params(Preset::Paper).conditions();
            for option in info.choice.iter().flat_map(|c| &c.options) {
                for c in &option.conditions {
                    assert!(conditions.iter().any(|k| k == c), "{}: {c} is not a condition of {}", r.id, r.experiment);
                }
            }
        }
        assert!(reading("zz").err().map(|e| e.to_string()).unwrap_or_default().contains("fig5"));
        assert_eq!(trick_layers(), [1, 2, 3, 4], "the paper's network: W_1..W_4 have feedback");
    }

    #[test]
    fn every_reading_reads_its_stored_result() {
        for r in READINGS {
            let path = format!("{}/www/{}", env!("CARGO_MANIFEST_DIR"), r.info().file);
            let stored = StoredFigure::parse(&std::fs::read_to_string(&path).unwrap()).unwrap();
            let findings = r.findings(&stored.figure).unwrap_or_else(|e| panic!("{}: {e}", r.id));
            assert!(!findings.is_empty(), "{}", r.id);
            for n in findings.iter().flat_map(|f| &f.parts).filter_map(|p| match p {
                Part::Number(n) => Some(n),
                Part::Text(_) => None,
            }) {
                assert!(n.value.is_finite(), "{}: {n:?}", r.id);
                let shown: f64 = n.shown.trim_end_matches(['°', '%', ' ']).replace('−', "-").parse().unwrap();
                assert!((shown - n.value).abs() <= 0.5 * 10f64.powi(-(n.decimals as i32)) + 1e-9, "{}: {n:?}", r.id);
            }
            for key in r.panels {
                assert!(stored.figure.panel(key).is_some(), "{}: no panel {key}", r.id);
            }
            let other = READINGS.iter().find(|o| o.experiment != r.experiment).unwrap();
            assert!(other.findings(&stored.figure).is_err(), "a reading refuses another figure");
        }
    }
}
