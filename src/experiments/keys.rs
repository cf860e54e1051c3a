//! Typed names of what a run records and of the panels a figure draws.
//!
//! A probe records under a [`SeriesKey`] and a figure's panel asks for the same
//! [`SeriesKey`]: the text form (`"fa/align/3"`, `"final_align/1"`) is written
//! by [`SeriesKey`]'s `Display` alone, and only travels in JSON (a
//! [`super::Curve`] crossing a Web Worker boundary, a [`super::Series`] of a
//! figure). Nothing builds or parses it elsewhere.

use std::fmt;

/// What a curve measures; layers are weight-layer indices `l` of `W_l`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Measure {
    /// `∠(W_1, B_1ᵀ)` of the open-loop net (`fig2b`).
    Angle,
    /// Mean batch loss since the previous point.
    Loss,
    /// Test accuracy (%) after each epoch.
    Accuracy,
    /// `‖W_l‖_F`.
    Norm(usize),
    /// `∠(W_l, B_lᵀ)`.
    Align(usize),
    /// `∠(W_l, feedback_lᵀ)`, mean over the hidden layers.
    AlignMean,
    /// `∠(ΔW_l^rule, ΔW_l^BP)`, moving average.
    Update(usize),
    /// The same, mean over every layer but the last.
    UpdateMean,
    /// `∠(B_lᵀ, ΔW_l)`, moving average.
    FeedbackUpdate(usize),
    /// The error-signal angle `∠(δ_l^rule, δ_l^BP)`, moving average.
    Signal(usize),
    /// The real network's `∠(W_l, B_lᵀ)` beside the disturbed copies (`fig4`).
    Real(usize),
    /// The disturbed copy's `∠(W̃_l, B_lᵀ)`.
    Disturbed(usize),
    /// The disturbed copy with fresh feedback: `∠(W̃_l, B_newᵀ)`.
    DisturbedNew(usize),
    /// `∠(T^o_l, B_lᵀ)` against the order `o`, at one step.
    Order(Moment, usize),
    /// `∠(W_l, B_lᵀ)` at the end of training, against the condition's value (`fig5a`).
    FinalAlign(usize),
}

/// Which step an alignment-by-order probe looks at.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Moment {
    Early,
    Late,
}

impl Moment {
    fn name(self) -> &'static str {
        match self {
            Moment::Early => "early",
            Moment::Late => "late",
        }
    }
}

/// A series of a figure: the condition it comes from (none for series that
/// gather one point from every condition) and what it measures.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct SeriesKey {
    pub condition: Option<String>,
    pub measure: Measure,
}

impl SeriesKey {
    /// `measure` of the runs of condition `condition`.
    pub fn of(condition: impl Into<String>, measure: Measure) -> SeriesKey {
        SeriesKey { condition: Some(condition.into()), measure }
    }

    /// A series across conditions (one point per condition).
    pub fn across(measure: Measure) -> SeriesKey {
        SeriesKey { condition: None, measure }
    }
}

impl fmt::Display for SeriesKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(c) = &self.condition {
            write!(f, "{c}/")?;
        }
        match self.measure {
            Measure::Angle => f.write_str("angle"),
            Measure::Loss => f.write_str("loss"),
            Measure::Accuracy => f.write_str("accuracy"),
            Measure::Norm(l) => write!(f, "norm/{l}"),
            Measure::Align(l) => write!(f, "align/{l}"),
            Measure::AlignMean => f.write_str("align/mean"),
            Measure::Update(l) => write!(f, "update/{l}"),
            Measure::UpdateMean => f.write_str("update/mean"),
            Measure::FeedbackUpdate(l) => write!(f, "fbupdate/{l}"),
            Measure::Signal(l) => write!(f, "signal/{l}"),
            Measure::Real(l) => write!(f, "real/{l}"),
            Measure::Disturbed(l) => write!(f, "disturbed/{l}"),
            Measure::DisturbedNew(l) => write!(f, "disturbed_new/{l}"),
            Measure::Order(when, l) => write!(f, "order/{}/{l}", when.name()),
            Measure::FinalAlign(l) => write!(f, "final_align/{l}"),
        }
    }
}

/// The panels of the paper's figures (letters) and FA Lab's named ones.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PanelKey {
    A,
    B,
    C,
    D,
    /// `fig6`'s PCA landscape.
    E,
    BEarly,
    BLate,
    CEarly,
    CLate,
    /// `fig6`'s DFA update angles beside panel (c).
    CDfa,
    Accuracy,
    Loss,
    Update,
    Alignment,
    /// `∠(W_l, B_lᵀ)` of one layer (`feedback`).
    AlignmentAt(usize),
    /// The error-signal angle of one layer (`feedback`).
    SignalAt(usize),
}

impl PanelKey {
    /// The key in [`super::Panel::key`], an embed link's `panel=` and file names
    /// (`alignment-2` for one layer's panel).
    pub fn name(self) -> String {
        let word = match self {
            PanelKey::A => "a",
            PanelKey::B => "b",
            PanelKey::C => "c",
            PanelKey::D => "d",
            PanelKey::E => "e",
            PanelKey::BEarly => "b-early",
            PanelKey::BLate => "b-late",
            PanelKey::CEarly => "c-early",
            PanelKey::CLate => "c-late",
            PanelKey::CDfa => "c-dfa",
            PanelKey::Accuracy => "accuracy",
            PanelKey::Loss => "loss",
            PanelKey::Update => "update",
            PanelKey::Alignment => "alignment",
            PanelKey::AlignmentAt(l) => return format!("alignment-{l}"),
            PanelKey::SignalAt(l) => return format!("signal-{l}"),
        };
        word.to_string()
    }
}

impl fmt::Display for PanelKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn series_keys_print_as_the_figure_json_names_them() {
        let cases = [
            (SeriesKey::of("auto", Measure::Angle), "auto/angle"),
            (SeriesKey::of("p0.25", Measure::Loss), "p0.25/loss"),
            (SeriesKey::of("T3", Measure::Accuracy), "T3/accuracy"),
            (SeriesKey::of("fa", Measure::Norm(0)), "fa/norm/0"),
            (SeriesKey::of("fa_wn", Measure::Align(4)), "fa_wn/align/4"),
            (SeriesKey::of("kp", Measure::AlignMean), "kp/align/mean"),
            (SeriesKey::of("dfa", Measure::Update(2)), "dfa/update/2"),
            (SeriesKey::of("sign", Measure::UpdateMean), "sign/update/mean"),
            (SeriesKey::of("fa", Measure::FeedbackUpdate(1)), "fa/fbupdate/1"),
            (SeriesKey::of("fa", Measure::Real(1)), "fa/real/1"),
            (SeriesKey::of("sparse", Measure::Signal(2)), "sparse/signal/2"),
            (SeriesKey::of("fa", Measure::Disturbed(2)), "fa/disturbed/2"),
            (SeriesKey::of("fa", Measure::DisturbedNew(3)), "fa/disturbed_new/3"),
            (SeriesKey::of("fixed", Measure::Order(Moment::Early, 1)), "fixed/order/early/1"),
            (SeriesKey::of("p1", Measure::Order(Moment::Late, 1)), "p1/order/late/1"),
            (SeriesKey::across(Measure::FinalAlign(3)), "final_align/3"),
        ];
        for (key, text) in cases {
            assert_eq!(key.to_string(), text);
        }
    }
}
