//! The live train view's run: [`LiveRun`], a training run opened from a link
//! with the curves it has drawn so far, and what the view shows beside them —
//! how far the run is (epoch, iteration, time left) and what the network says
//! about a few test digits, its output next to the class codes it is read
//! against. What a panel's footnote says and which link an export cites are
//! decided here, where native tests cover them.

use serde::Serialize;

use crate::codes::NHotCodes;
use crate::data::{Mnist15, N_PIXELS, Split};
use crate::figure::{Panel, Series};
use crate::history::History;
use crate::link;
use crate::metrics::angle_deg;
use crate::net::{Network, pixels_to_inputs};
use crate::provenance::{Provenance, RunRecord};
use crate::train::{IterRecord, TrainConfig, Trainer};
use crate::{Error, Result};

/// A training run made from a link (parsed and checked once), stepped by the
/// page, with the curves of every step so far and the test digits it answers on.
pub struct LiveRun {
    trainer: Trainer,
    history: History,
    /// The test images (shared pixels, not a copy) for [`LiveRun::predictions`].
    test: Split,
    /// The link the run was made from, in its own version: what exports cite.
    link: String,
}

/// The key of a live run's error-signal panel of hidden layer `l` is this and `l` (`delta/3`).
pub const ERROR_SIGNAL_KEY: &str = "delta/";

/// A live panel with its footnote, and why it has no line when it cannot have one.
pub struct LivePanel {
    pub panel: Panel,
    pub note: String,
    pub empty_reason: Option<&'static str>,
}

impl LiveRun {
    /// The run a train link describes, on `data`; an error names what is wrong with the link.
    pub fn from_link(query: &str, data: &Mnist15) -> Result<LiveRun> {
        let cfg = link::train_config_from_query(query)?;
        Ok(LiveRun {
            trainer: Trainer::new(cfg, data)?,
            history: History::new(),
            test: data.test.clone(),
            link: query.trim().trim_start_matches('?').to_string(),
        })
    }

    /// Runs up to `max_steps` minibatches (fewer at the end of training),
    /// keeps their records for the panels and returns the last one.
    pub fn advance(&mut self, max_steps: usize) -> Result<Option<IterRecord>> {
        self.advance_within(max_steps, usize::MAX)
    }

    /// As [`LiveRun::advance`], with an epoch's test accuracy counted on at
    /// most `max_rows` test images per call ([`Trainer::advance_within`]).
    pub fn advance_within(&mut self, max_steps: usize, max_rows: usize) -> Result<Option<IterRecord>> {
        let records = self.trainer.advance_within(max_steps, max_rows)?;
        records.iter().for_each(|r| self.history.push(r));
        Ok(records.into_iter().last())
    }

    pub fn trainer(&self) -> &Trainer {
        &self.trainer
    }

    pub fn config(&self) -> &TrainConfig {
        self.trainer.config()
    }

    /// The link the run was made from (its own version, no `?`).
    pub fn link(&self) -> &str {
        &self.link
    }

    /// Steps in the whole run.
    pub fn total_steps(&self) -> u64 {
        (self.trainer.steps_per_epoch() * self.config().epochs) as u64
    }

    /// Steps until the current epoch ends; the last of them also measures test accuracy.
    pub fn steps_to_epoch_end(&self) -> u64 {
        let per_epoch = self.trainer.steps_per_epoch() as u64;
        per_epoch - self.trainer.iteration() % per_epoch
    }

    /// How far the run is after `busy_seconds` of stepping.
    pub fn progress(&self, busy_seconds: f64) -> Progress {
        let per_epoch = self.trainer.steps_per_epoch() as u64;
        progress(self.trainer.iteration(), self.total_steps(), per_epoch, self.config().epochs, busy_seconds)
    }

    /// Whether panel `key` (one of [`crate::history::PANEL_KEYS`]) is shown for
    /// this run: the update and error-signal angles only when the run measures them.
    pub fn shows_panel(&self, key: &str) -> bool {
        !(matches!(key, "updates" | "signals") || key.starts_with(ERROR_SIGNAL_KEY)) || self.config().update_angles
    }

    /// Live panel `key` with its footnote (`fa · seed 3 · iteration 120`,
    /// after the reason when the panel has no line for this run).
    pub fn panel(&self, key: &str) -> Result<LivePanel> {
        let cfg = self.config();
        let (panel, empty_reason) = match key.strip_prefix(ERROR_SIGNAL_KEY) {
            Some(layer) => self.error_signal_panel(key, layer)?,
            None => {
                let panel = self.history.panel(key).ok_or_else(|| Error::InvalidParam(format!("no panel {key:?}")))?;
                (panel, History::empty_reason(key, cfg.net.rule, cfg.update_angles))
            }
        };
        let mut note = format!("{} · seed {} · iteration {}", cfg.net.rule, cfg.seed, self.trainer.iteration());
        if let Some(why) = empty_reason {
            note = format!("{why} ({note})");
        }
        Ok(LivePanel { panel, note, empty_reason })
    }

    /// Panel `delta/<l>`: the error signal the last step sent into hidden
    /// layer `l` for the first image of its batch, unit by unit, the rule's
    /// beside the one BP would have sent from the same weights
    /// ([`Network::delta`], [`Network::bp_delta`]); its title gives the angle
    /// between the two over the whole batch (docs/math.md §4). Needs update angles.
    fn error_signal_panel(&self, key: &str, layer: &str) -> Result<(Panel, Option<&'static str>)> {
        let net = self.trainer.network();
        let cfg = self.config();
        let hidden = 1..net.depth();
        let l: usize = layer.parse().ok().filter(|l| hidden.contains(l)).ok_or_else(|| {
            Error::InvalidParam(format!(
                "no hidden layer {layer:?}: the error signals go into layers 1..={}",
                hidden.end - 1
            ))
        })?;
        let units = cfg.net.sizes[l];
        let (rule, bp) = (net.delta(l), net.bp_delta(l));
        let line = |key: &str, label: String, colour: usize, v: &[f32]| {
            let mean: Vec<f64> = v.iter().take(units).map(|&x| f64::from(x)).collect();
            let n = mean.len();
            Series {
                key: key.into(),
                label,
                colour,
                dashed: colour > 0,
                x: (0..n).map(|u| u as f64).collect(),
                sd: vec![0.0; n],
                n: vec![1; n],
                mean,
            }
        };
        let mut series = vec![line("rule", format!("{}: δ_{l} through its feedback", cfg.net.rule.label()), 0, rule)];
        let mut title = format!("Error signal δ_{l}, first image of the last batch");
        if let Some(bp) = bp {
            series.push(line("bp", format!("BP: δ_{l} through W_{l}ᵀ"), 1, bp));
            title = format!("{title}; ∠ over the batch {:.1}°", angle_deg(rule, bp));
        }
        let mut panel = Panel::lines(key, &title, &format!("unit of layer {l}"), "δ (descent sign)", series);
        panel.markers = true;
        let empty_reason = if !cfg.update_angles {
            Some("turn on update angles vs BP")
        } else if self.trainer.iteration() == 0 {
            Some("take a step first")
        } else {
            None
        };
        Ok((panel, empty_reason))
    }

    /// The network's answers on test images `first .. first + count` now.
    pub fn predictions(&self, first: usize, count: usize) -> Result<Vec<Prediction>> {
        let indices: Vec<usize> = (first..first.saturating_add(count)).collect();
        predictions(self.trainer.network(), self.trainer.codes(), &self.test, &indices)
    }

    /// The test images the run answers on.
    pub fn test_split(&self) -> &Split {
        &self.test
    }

    /// The provenance of one of the run's panels (`key`, `title`): the link the
    /// run was made from, this build, and the run's fingerprint at its current iteration.
    pub fn provenance(&self, key: &str, title: &str, address: Option<String>) -> Provenance {
        let cfg = self.config();
        let run = RunRecord {
            label: format!("{} seed {}", cfg.net.rule, cfg.seed),
            seed: cfg.seed,
            steps: self.trainer.iteration(),
            fingerprint: self.fingerprint(),
            failure: None,
        };
        Provenance::new(
            format!("#/train?{}", self.link),
            address,
            format!("training run panel {key}"),
            title.to_string(),
            vec![run],
        )
    }

    /// The run's fingerprint as 16 hex digits, as `fa-lab train` prints it.
    pub fn fingerprint(&self) -> String {
        format!("{:016x}", self.trainer.fingerprint())
    }
}

/// How far a run is, for the progress line.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Progress {
    /// The epoch under way, from 1 (the last one once the run is done).
    pub epoch: usize,
    pub epochs: usize,
    /// Steps taken and steps in the whole run.
    pub iteration: u64,
    pub total: u64,
    /// `iteration / total`, in [0, 1].
    pub fraction: f64,
    /// Seconds left at the pace so far (`None` before the first step or after the last).
    pub seconds_left: Option<f64>,
    /// All of it in words: `epoch 2 of 5 · iteration 130 of 300 · about 12 s left`.
    pub text: String,
}

/// The progress of a run that has taken `iteration` of `total` steps,
/// `steps_per_epoch` an epoch, in `busy_seconds` of stepping (pauses excluded).
pub fn progress(iteration: u64, total: u64, steps_per_epoch: u64, epochs: usize, busy_seconds: f64) -> Progress {
    let total = total.max(1);
    let iteration = iteration.min(total);
    let epoch = ((iteration / steps_per_epoch.max(1)) as usize + 1).min(epochs.max(1));
    let fraction = iteration as f64 / total as f64;
    let seconds_left = (iteration > 0 && iteration < total && busy_seconds > 0.0)
        .then(|| busy_seconds / iteration as f64 * (total - iteration) as f64);
    let mut text = format!("epoch {epoch} of {epochs} · iteration {iteration} of {total}");
    match seconds_left {
        Some(s) => text.push_str(&format!(" · about {} left", duration(s))),
        None if iteration == total => text.push_str(" · done"),
        None => {}
    }
    Progress { epoch, epochs, iteration, total, fraction, seconds_left, text }
}

/// `7 s`, `3 min 20 s`, `2 h 5 min`.
pub fn duration(seconds: f64) -> String {
    let s = seconds.max(0.0).round() as u64;
    match s {
        0..60 => format!("{s} s"),
        60..3600 => format!("{} min {} s", s / 60, s % 60),
        _ => format!("{} h {} min", s / 3600, s % 3600 / 60),
    }
}

/// What the network says about one test image.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Prediction {
    /// Index in the test split.
    pub index: usize,
    pub label: u8,
    /// The class whose code matches the output best (docs/math.md §6).
    pub predicted: usize,
    /// Per class `c`: the mean output over the units of `c`'s code (the dot
    /// product with the code over `N`), in `[0, 1]` for tanh∘ReLU outputs.
    pub code_match: Vec<f64>,
    /// The raw output units `L_d`.
    pub outputs: Vec<f32>,
}

/// The network's answers on test images `indices`, read through `codes`.
pub fn predictions(net: &Network, codes: &NHotCodes, test: &Split, indices: &[usize]) -> Result<Vec<Prediction>> {
    if let Some(&bad) = indices.iter().find(|&&i| i >= test.len()) {
        return Err(Error::InvalidParam(format!("test image {bad} is past the {} test images", test.len())));
    }
    if indices.is_empty() {
        return Ok(Vec::new());
    }
    let pixels: Vec<u8> = indices.iter().flat_map(|&i| test.image(i).iter().copied()).collect();
    debug_assert_eq!(pixels.len(), indices.len() * N_PIXELS);
    let outputs = net.outputs(&pixels_to_inputs(&pixels), indices.len())?;
    let n_out = codes.n_outputs();
    Ok(indices
        .iter()
        .zip(outputs.chunks_exact(n_out))
        .map(|(&index, out)| Prediction {
            index,
            label: test.labels[index],
            predicted: codes.predict(out),
            code_match: (0..codes.n_classes())
                .map(|c| codes.units(c).iter().map(|&u| out[u] as f64).sum::<f64>() / codes.n_hot() as f64)
                .collect(),
            outputs: out.to_vec(),
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::net::{NetConfig, Rule};
    use crate::rng::{Purpose, Rng};

    /// 40 training and 10 test images of a fixed pattern.
    fn tiny_data() -> Mnist15 {
        let split = |n: usize| {
            Split::new(
                (0..n * N_PIXELS).map(|i| ((i * 37) % 256) as u8).collect(),
                (0..n).map(|i| (i % 10) as u8).collect(),
            )
        };
        Mnist15 { train: split(40), test: split(10) }
    }

    const LINK: &str = "rule=fa&epochs=2&seed=3&n=40&batch=10&sizes=225,20,50";

    #[test]
    fn measuring_test_accuracy_in_parts_changes_nothing_the_run_records() {
        // 2,500 test images: parts that end inside and across the chunks of 1,000 rows.
        let split = |n: usize, k: usize| {
            Split::new(
                (0..n * N_PIXELS).map(|i| ((i * k) % 256) as u8).collect(),
                (0..n).map(|i| ((i * 7 + i / 3) % 10) as u8).collect(),
            )
        };
        let data = Mnist15 { train: split(40, 37), test: split(2500, 53) };
        let link = "rule=fa&epochs=2&seed=5&n=40&batch=10&sizes=225,30,50";
        let mut whole = LiveRun::from_link(link, &data).unwrap();
        while whole.advance(3).unwrap().is_some() {}
        let mut direct = Trainer::new(link::train_config_from_query(link).unwrap(), &data).unwrap();
        while !direct.is_done() {
            direct.advance(1).unwrap();
        }
        for budget in [1, 999, 1001, 4000] {
            let mut parts = LiveRun::from_link(link, &data).unwrap();
            let (mut calls, mut measuring_calls) = (0, 0);
            while !parts.trainer().is_done() {
                let before = parts.trainer().iteration();
                let was_measuring = parts.trainer().is_measuring();
                parts.advance_within(2, budget).unwrap();
                calls += 1;
                if was_measuring {
                    measuring_calls += 1;
                    assert_eq!(parts.trainer().iteration(), before, "nothing trains while measuring");
                }
                assert!(calls < 20_000, "the run ends");
            }
            // Each epoch's 2,500 images take ceil(2500 / budget) calls, the first shared with its step.
            assert_eq!(measuring_calls, 2 * (2500usize.div_ceil(budget) - 1), "budget {budget}");
            assert_eq!(parts.fingerprint(), whole.fingerprint(), "budget {budget}");
            assert_eq!(parts.fingerprint(), format!("{:016x}", direct.fingerprint()));
            assert_eq!(parts.trainer().test_accuracies(), direct.test_accuracies());
            for key in ["loss", "accuracy", "alignment"] {
                assert_eq!(parts.panel(key).unwrap().panel, whole.panel(key).unwrap().panel, "{key}, budget {budget}");
            }
        }
        // The count itself, against the network's accuracy on the whole split.
        let net = direct.network();
        let acc = net.accuracy(&data.test, direct.codes()).unwrap();
        assert_eq!(*direct.test_accuracies().last().unwrap(), acc);
    }

    #[test]
    fn a_live_run_is_the_run_its_link_gives() {
        let data = tiny_data();
        let mut run = LiveRun::from_link(&format!("?{LINK}"), &data).unwrap();
        assert_eq!(run.link(), LINK, "the link as opened (a version-1 link keeps its version)");
        assert_eq!((run.total_steps(), run.steps_to_epoch_end()), (8, 4));
        assert_eq!(run.advance(3).unwrap().map(|r| r.iteration), Some(2));
        assert_eq!(run.steps_to_epoch_end(), 1, "the epoch's last step comes next");
        assert_eq!(run.progress(3.0).text, "epoch 1 of 2 · iteration 3 of 8 · about 5 s left");
        // The same link trained directly gives the same bits.
        let mut direct = Trainer::new(link::train_config_from_query(LINK).unwrap(), &data).unwrap();
        direct.advance(3).unwrap();
        assert_eq!(run.fingerprint(), format!("{:016x}", direct.fingerprint()));
        // Advancing past the end stops there.
        assert_eq!(run.advance(100).unwrap().map(|r| r.iteration), Some(7));
        assert!(run.trainer().is_done() && run.advance(1).unwrap().is_none());
        assert_eq!(run.predictions(8, 2).unwrap().iter().map(|p| p.index).collect::<Vec<_>>(), [8, 9]);
        assert!(run.predictions(9, 2).is_err(), "past the test images");
    }

    #[test]
    fn footnotes_and_exports_name_the_run_and_its_link() {
        let mut run = LiveRun::from_link(LINK, &tiny_data()).unwrap();
        run.advance(3).unwrap();
        let loss = run.panel("loss").unwrap();
        assert_eq!((loss.note.as_str(), loss.empty_reason), ("fa · seed 3 · iteration 3", None));
        assert_eq!(loss.panel.series[0].x, [1.0, 2.0, 3.0]);
        let prov = run.provenance("loss", &loss.panel.title, Some("https://lab/#/train".into()));
        assert_eq!(prov.link, format!("#/train?{LINK}"));
        assert_eq!((prov.panel.as_str(), prov.title.as_str()), ("training run panel loss", loss.panel.title.as_str()));
        assert_eq!(prov.runs.len(), 1);
        assert_eq!((prov.runs[0].label.as_str(), prov.runs[0].steps), ("fa seed 3", 3));
        assert_eq!(prov.runs[0].fingerprint, run.fingerprint());
        assert!(run.panel("nope").is_err());
    }

    #[test]
    fn panels_a_run_cannot_fill_say_why_in_their_footnote() {
        let data = tiny_data();
        let dfa = LiveRun::from_link("rule=dfa&epochs=1&n=40&batch=10&sizes=225,20,50", &data).unwrap();
        let alignment = dfa.panel("alignment").unwrap();
        assert!(alignment.empty_reason.unwrap().starts_with("DFA's"));
        assert!(alignment.note.ends_with("(dfa · seed 0 · iteration 0)"), "{}", alignment.note);
        assert!(!dfa.shows_panel("updates") && dfa.shows_panel("alignment"));
        let angles = LiveRun::from_link("rule=fa&epochs=1&n=40&batch=10&sizes=225,20,50&angles=1", &data).unwrap();
        assert!(angles.shows_panel("updates") && angles.panel("updates").unwrap().empty_reason.is_none());
        assert!(angles.shows_panel("signals") && angles.panel("signals").unwrap().empty_reason.is_none());
        assert!(!dfa.shows_panel("signals"));
    }

    #[test]
    fn a_garbled_link_is_refused_with_its_setting_named() {
        let data = tiny_data();
        let err = LiveRun::from_link("rule=zz&epochs=1", &data).err().unwrap().to_string();
        assert!(err.contains("zz"), "{err}");
        let err = LiveRun::from_link("rule=fa&n=41", &data).err().unwrap().to_string();
        assert!(err.contains("n_train = 41"), "{err}");
    }

    #[test]
    fn progress_counts_epochs_and_time_left() {
        let p = progress(0, 300, 60, 5, 0.0);
        assert_eq!((p.epoch, p.seconds_left, p.text.as_str()), (1, None, "epoch 1 of 5 · iteration 0 of 300"));
        // 130 steps in 13 s: 170 left at 10 steps/s.
        let p = progress(130, 300, 60, 5, 13.0);
        assert_eq!(p.epoch, 3);
        assert!((p.seconds_left.unwrap() - 17.0).abs() < 1e-9);
        assert_eq!(p.text, "epoch 3 of 5 · iteration 130 of 300 · about 17 s left");
        let p = progress(300, 300, 60, 5, 30.0);
        assert_eq!((p.epoch, p.fraction, p.text.as_str()), (5, 1.0, "epoch 5 of 5 · iteration 300 of 300 · done"));
        assert_eq!(duration(200.4), "3 min 20 s");
        assert_eq!(duration(7500.0), "2 h 5 min");
    }

    #[test]
    fn predictions_read_the_outputs_through_the_codes() {
        let n = 6;
        let pixels: Vec<u8> = (0..n * N_PIXELS).map(|i| ((i * 37) % 256) as u8).collect();
        let test = Split::new(pixels, (0..n as u8).collect());
        let net = Network::new(NetConfig::paper(Rule::Feedback), 3).unwrap();
        let codes = NHotCodes::new(10, 50, &mut Rng::new(3, Purpose::Codes)).unwrap();
        let got = predictions(&net, &codes, &test, &[4, 1]).unwrap();
        assert_eq!((got[0].index, got[0].label, got[1].label), (4, 4, 1));
        for p in &got {
            // Independently: the dense code's dot product with the output, over N.
            let dots: Vec<f64> = (0..10)
                .map(|c| codes.code(c).iter().zip(&p.outputs).map(|(&k, &y)| (k * y) as f64).sum::<f64>() / 5.0)
                .collect();
            for (a, b) in dots.iter().zip(&p.code_match) {
                assert!((a - b).abs() < 1e-6, "{dots:?} vs {:?}", p.code_match);
            }
            let best = (0..10).fold(0, |b, c| if dots[c] > dots[b] { c } else { b });
            assert_eq!(p.predicted, best);
            assert_eq!(p.outputs, net.outputs(&pixels_to_inputs(test.image(p.index)), 1).unwrap());
        }
        assert!(predictions(&net, &codes, &test, &[6]).is_err());
    }

    #[test]
    fn the_error_signal_panel_shows_the_last_steps_deltas_beside_bps() {
        let data = tiny_data();
        let mut run = LiveRun::from_link("rule=fa&epochs=1&n=40&batch=10&sizes=225,20,30,50&angles=1", &data).unwrap();
        assert_eq!(run.panel("delta/2").unwrap().empty_reason, Some("take a step first"));
        run.advance(1).unwrap();
        let shown = run.panel("delta/2").unwrap();
        assert!(shown.empty_reason.is_none());
        let net = run.trainer().network();
        let first_row = |v: &[f32]| v[..30].iter().map(|&x| f64::from(x)).collect::<Vec<f64>>();
        assert_eq!(shown.panel.series[0].mean, first_row(net.delta(2)), "FA's δ_2 of the batch's first image");
        assert_eq!(shown.panel.series[1].mean, first_row(net.bp_delta(2).unwrap()), "BP's, from the same state");
        assert_ne!(shown.panel.series[0].mean, shown.panel.series[1].mean);
        let angle = crate::metrics::signal_angles_deg(net).unwrap()[2];
        assert!(shown.panel.title.ends_with(&format!("{angle:.1}°")), "{} vs {angle}", shown.panel.title);
        for bad in ["delta/0", "delta/3", "delta/x"] {
            assert!(run.panel(bad).err().unwrap().to_string().contains("1..=2"), "{bad}");
        }
        let plain = LiveRun::from_link("rule=fa&epochs=1&n=40&batch=10&sizes=225,20,30,50", &data).unwrap();
        assert!(!plain.shows_panel("delta/1") && plain.shows_panel("alignment"));
    }
}
