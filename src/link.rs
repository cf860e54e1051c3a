//! Shareable links: a training run or a figure as a short query string
//! (`rule=fa&eta=0.001&epochs=5&seed=0`, `fig=fig6&preset=quick&runs=3&seed=0`).
//!
//! The page puts these after `#/train?` and `#/figure?` in its address; the CLI
//! takes the same text with `--link`, so one link gives the same numbers in the
//! browser and natively. Parsing is strict: an unknown key, a repeated key or a
//! value out of range is an [`Error::InvalidParam`] naming it — a garbled link
//! is reported, never half-applied.

use crate::checked::Checked;
use crate::experiments::{ExperimentId, Params, Preset};
use crate::net::{Activation, NetConfig, Rule};
use crate::train::TrainConfig;
use crate::{Error, Result};

/// Splits `a=1&b=2` (a leading `?` is allowed) into pairs, rejecting repeats,
/// empty keys and keys outside `allowed`.
fn pairs<'a>(query: &'a str, allowed: &[&str]) -> Result<Vec<(&'a str, String)>> {
    let mut out: Vec<(&str, String)> = Vec::new();
    for part in query.trim().trim_start_matches('?').split('&').filter(|p| !p.is_empty()) {
        let (key, value) = part.split_once('=').unwrap_or((part, ""));
        if !allowed.contains(&key) {
            return Err(Error::InvalidParam(format!(
                "the link has an unknown setting {key:?} (known: {})",
                allowed.join(", ")
            )));
        }
        if out.iter().any(|(k, _)| *k == key) {
            return Err(Error::InvalidParam(format!("the link gives {key:?} twice")));
        }
        out.push((key, percent_decode(value)?));
    }
    Ok(out)
}

fn percent_decode(s: &str) -> Result<String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' => {
                let hex = s.get(i + 1..i + 3).and_then(|h| u8::from_str_radix(h, 16).ok());
                out.push(hex.ok_or_else(|| Error::InvalidParam(format!("the link has a broken escape in {s:?}")))?);
                i += 3;
            }
            b'+' => {
                out.push(b' ');
                i += 1;
            }
            b => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8(out).map_err(|_| Error::InvalidParam(format!("the link's value {s:?} is not text")))
}

fn parse<T: std::str::FromStr>(key: &str, value: &str) -> Result<T> {
    value.trim().parse().map_err(|_| Error::InvalidParam(format!("the link's {key}={value:?} is not a valid value")))
}

fn parse_flag(key: &str, value: &str) -> Result<bool> {
    match value {
        "1" | "true" | "" => Ok(true),
        "0" | "false" => Ok(false),
        _ => Err(Error::InvalidParam(format!("the link's {key}={value:?} should be 0 or 1"))),
    }
}

const TRAIN_KEYS: &[&str] =
    &["rule", "eta", "epochs", "seed", "gamma", "shuffle", "p", "angles", "n", "batch", "sizes", "linear"];

/// The training run a link describes. Absent keys take the paper's setting
/// with the rule's default `η` (see [`TrainConfig::paper`]); the result is validated.
pub fn train_config_from_query(query: &str) -> Result<Checked<TrainConfig>> {
    let pairs = pairs(query, TRAIN_KEYS)?;
    let get = |key: &str| pairs.iter().find(|(k, _)| *k == key).map(|(_, v)| v.as_str());
    let rule: Rule = get("rule").map(str::parse).transpose()?.unwrap_or(Rule::Feedback);
    let seed = get("seed").map(|v| parse::<u32>("seed", v)).transpose()?.unwrap_or(0);
    let mut cfg = TrainConfig::paper(rule, seed as u64);
    if let Some(v) = get("eta") {
        cfg.net.eta = parse("eta", v)?;
    }
    if let Some(v) = get("epochs") {
        cfg.epochs = parse("epochs", v)?;
    }
    if let Some(v) = get("gamma") {
        cfg.net.weight_norm = Some(parse("gamma", v)?);
    }
    if let Some(v) = get("shuffle") {
        cfg.shuffle = parse_flag("shuffle", v)?;
    }
    if let Some(v) = get("p") {
        cfg.label_shuffle = parse("p", v)?;
    }
    if let Some(v) = get("angles") {
        cfg.update_angles = parse_flag("angles", v)?;
    }
    if let Some(v) = get("n") {
        cfg.n_train = Some(parse("n", v)?);
    }
    if let Some(v) = get("batch") {
        cfg.batch = parse("batch", v)?;
    }
    if let Some(v) = get("sizes") {
        cfg.net.sizes = v.split(',').map(|s| parse("sizes", s)).collect::<Result<_>>()?;
    }
    if let Some(v) = get("linear") {
        cfg.net.activation = if parse_flag("linear", v)? { Activation::Linear } else { Activation::TanhRelu };
    }
    cfg.validate()
}

/// The link of a training run: every setting that differs from what
/// [`train_config_from_query`] would assume, in a fixed order.
pub fn train_config_to_query(cfg: &TrainConfig) -> String {
    let base = TrainConfig::paper(cfg.net.rule, cfg.seed);
    let NetConfig { sizes, rule, eta, weight_norm, activation, .. } = &cfg.net;
    let mut q = vec![format!("rule={rule}")];
    if *eta != base.net.eta {
        q.push(format!("eta={eta}"));
    }
    q.push(format!("epochs={}", cfg.epochs));
    q.push(format!("seed={}", cfg.seed));
    if let Some(g) = weight_norm {
        q.push(format!("gamma={g}"));
    }
    if cfg.shuffle {
        q.push("shuffle=1".into());
    }
    if cfg.label_shuffle != 0.0 {
        q.push(format!("p={}", cfg.label_shuffle));
    }
    if cfg.update_angles {
        q.push("angles=1".into());
    }
    if let Some(n) = cfg.n_train {
        q.push(format!("n={n}"));
    }
    if cfg.batch != base.batch {
        q.push(format!("batch={}", cfg.batch));
    }
    if *sizes != base.net.sizes {
        q.push(format!("sizes={}", sizes.iter().map(|s| s.to_string()).collect::<Vec<_>>().join(",")));
    }
    if *activation == Activation::Linear {
        q.push("linear=1".into());
    }
    q.join("&")
}

/// `panel` picks what an embed shows; it does not change the numbers.
const FIGURE_KEYS: &[&str] = &["fig", "preset", "runs", "seed", "panel"];

/// The experiment a figure link describes: its preset with the link's runs and seed.
pub fn figure_params_from_query(query: &str) -> Result<Params> {
    let pairs = pairs(query, FIGURE_KEYS)?;
    let get = |key: &str| pairs.iter().find(|(k, _)| *k == key).map(|(_, v)| v.as_str());
    let id: ExperimentId = get("fig")
        .ok_or_else(|| Error::InvalidParam("the link does not say which figure (fig=fig2b … fig7 or rules)".into()))?
        .parse()?;
    let preset: Preset = get("preset").map(str::parse).transpose()?.unwrap_or(Preset::Quick);
    let mut params = id.params(preset);
    if let Some(v) = get("runs") {
        params.set_runs(parse("runs", v)?);
    }
    if let Some(v) = get("seed") {
        params.set_seed(parse::<u32>("seed", v)? as u64);
    }
    params.validate()?;
    Ok(params)
}

/// The link of a figure from its id, preset, runs and seed.
pub fn figure_query(id: ExperimentId, preset: Preset, runs: usize, seed: u64) -> String {
    let preset = match preset {
        Preset::Quick => "quick",
        Preset::Paper => "paper",
    };
    format!("fig={}&preset={preset}&runs={runs}&seed={seed}", id.name())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check_err(query: &str, expect: &str) {
        let err = train_config_from_query(query).unwrap_err().to_string();
        assert!(err.contains(expect), "{query:?}: expected {expect:?} in {err:?}");
    }

    #[test]
    fn train_links_round_trip() {
        for q in [
            "rule=fa&epochs=20&seed=0",
            "rule=bp&eta=0.0005&epochs=3&seed=7&gamma=1.5&shuffle=1&p=0.25&angles=1&n=5000&batch=500",
            "rule=kp:0.002&epochs=2&seed=4294967295&sizes=225,30,50&linear=1",
            "rule=dfa&epochs=1&seed=1",
        ] {
            let cfg = train_config_from_query(q).unwrap();
            assert_eq!(train_config_to_query(&cfg), q);
            assert_eq!(train_config_from_query(&train_config_to_query(&cfg)).unwrap(), cfg);
        }
    }

    #[test]
    fn train_link_defaults_are_the_paper_setting() {
        let cfg = train_config_from_query("").unwrap();
        assert_eq!(cfg, TrainConfig::paper(Rule::Feedback, 0));
        let cfg = train_config_from_query("?rule=sign&seed=3").unwrap();
        assert_eq!(cfg.net.eta, Rule::SignSymmetry.default_eta());
        assert_eq!(cfg.seed, 3);
    }

    #[test]
    fn garbled_train_links_name_the_problem() {
        check_err("rule=fa&colour=red", "unknown setting \"colour\"");
        check_err("rule=fa&rule=bp", "\"rule\" twice");
        check_err("rule=zz", "unknown learning rule");
        check_err("eta=fast", "eta=\"fast\"");
        check_err("eta=-1", "invalid parameter");
        check_err("p=1.5", "label-shuffle fraction");
        check_err("seed=-3", "seed");
        check_err("seed=99999999999", "seed");
        check_err("shuffle=maybe", "0 or 1");
        check_err("epochs=0", "epochs");
        check_err("sizes=225,x", "sizes");
        check_err("gamma=%zz", "broken escape");
    }

    #[test]
    fn figure_links_round_trip_and_reject_garbage() {
        let q = figure_query(ExperimentId::Fig6, Preset::Quick, 3, 11);
        let params = figure_params_from_query(&q).unwrap();
        assert_eq!(
            figure_params_from_query(&format!("{q}&panel=b")).unwrap(),
            params,
            "an embed link's panel is display only"
        );
        assert_eq!((params.id(), params.n_runs(), params.seed()), (ExperimentId::Fig6, 3, 11));
        let mut expected = ExperimentId::Fig6.params(Preset::Quick);
        expected.set_runs(3);
        expected.set_seed(11);
        assert_eq!(params, expected);
        for (bad, expect) in [
            ("preset=quick", "which figure"),
            ("fig=fig9", "fig9"),
            ("fig=fig6&preset=huge", "preset"),
            ("fig=fig6&runs=0", "runs"),
            ("fig=fig6&zoom=2", "unknown setting"),
        ] {
            let err = figure_params_from_query(bad).unwrap_err().to_string();
            assert!(err.contains(expect), "{bad:?}: {err}");
        }
    }
}
