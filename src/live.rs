//! What the live train view shows beside its curves: how far a run is (epoch,
//! iteration, time left) and what the network says about a few test digits —
//! its output next to the class codes it is read against.

use serde::Serialize;

use crate::codes::NHotCodes;
use crate::data::{N_PIXELS, Split};
use crate::net::{Network, pixels_to_inputs};
use crate::{Error, Result};

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
}
