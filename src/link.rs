//! Shareable links: a training run or a figure as a short query string
//! (`v=2&rule=fa&eta=0.001&epochs=5&seed=0`, `v=2&fig=fig6&preset=quick&runs=3&seed=0`).
//!
//! `v` is the version of the defaults and presets the link was made with
//! ([`crate::versions`]): absent means 1 (links made before versions), newer
//! than this FA Lab is an error. A link reads its settings against its own
//! version's defaults, so it gives the same numbers after a default changes.
//!
//! The page puts these after `#/train?` and `#/figure?` in its address; the CLI
//! takes the same text with `--link`, so one link gives the same numbers in the
//! browser and natively. Parsing is strict: an unknown key, a repeated key or a
//! value out of range is an [`Error::InvalidParam`] naming it — a garbled link
//! is reported, never half-applied.
//!
//! `hide=KEY,KEY` (a teacher's link) names controls the page hides; like an
//! embed's `panel` it changes no number, so links of every version take it.

use crate::checked::Checked;
use crate::experiments::{ExperimentId, Params, Preset};
use crate::net::{Activation, NetConfig, Rule};
use crate::train::TrainConfig;
use crate::versions;
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

pub(crate) fn percent_decode(s: &str) -> Result<String> {
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

/// The link's version (`v`): 1 when absent; an error when it is newer than this FA Lab.
fn version_of(get: impl Fn(&str) -> Option<String>) -> Result<u32> {
    match get("v") {
        None => Ok(1),
        Some(v) => versions::check(parse("v", &v)?),
    }
}

/// The version of a training or figure link (`v`, 1 when absent), checked.
pub fn link_version(query: &str) -> Result<u32> {
    let found = query
        .trim()
        .trim_start_matches('?')
        .split('&')
        .filter_map(|part| part.split_once('=').filter(|(k, _)| *k == "v").map(|(_, v)| v.to_string()))
        .next();
    version_of(|_| found.clone())
}

const TRAIN_KEYS: &[&str] = &[
    "v", "rule", "eta", "epochs", "seed", "gamma", "shuffle", "p", "angles", "n", "batch", "sizes", "linear",
    "control", "hide",
];

/// Keys that set no number: what a link may hide is every other one.
const DISPLAY_KEYS: &[&str] = &["v", "hide", "panel"];

/// The settings a train link's `hide` may name.
pub fn train_hideable() -> impl Iterator<Item = &'static str> {
    TRAIN_KEYS.iter().copied().filter(|k| !DISPLAY_KEYS.contains(k))
}

/// The settings a figure link's `hide` may name.
pub fn figure_hideable() -> impl Iterator<Item = &'static str> {
    FIGURE_KEYS.iter().copied().filter(|k| !DISPLAY_KEYS.contains(k))
}

/// The keys of a `hide` value (`eta,rule`), each one of `hideable`; an
/// unknown one is an error naming it and what can be hidden.
pub fn hidden_keys(value: &str, hideable: impl Iterator<Item = &'static str>) -> Result<Vec<&str>> {
    let hideable: Vec<&str> = hideable.collect();
    let keys: Vec<&str> = value.split(',').map(str::trim).filter(|k| !k.is_empty()).collect();
    match keys.iter().find(|k| !hideable.contains(k)) {
        Some(bad) => Err(Error::InvalidParam(format!(
            "the link's hide names {bad:?}, which is no setting it can hide (it can hide: {})",
            hideable.join(", ")
        ))),
        None => Ok(keys),
    }
}

/// The training run a link describes. Absent keys take the paper's setting
/// of the link's version (see [`versions::train_defaults`]), `η` the rule's
/// default there; the result is validated.
pub fn train_config_from_query(query: &str) -> Result<Checked<TrainConfig>> {
    let pairs = pairs(query, TRAIN_KEYS)?;
    let get = |key: &str| pairs.iter().find(|(k, _)| *k == key).map(|(_, v)| v.as_str());
    let version = version_of(|k| get(k).map(str::to_string))?;
    if let Some(v) = get("hide") {
        hidden_keys(v, train_hideable())?;
    }
    let rule: Rule = get("rule").map(str::parse).transpose()?.unwrap_or(Rule::Feedback);
    versions::check_introduced(&format!("rule {}", rule.name()), rule.introduced_in(), version)?;
    let seed = get("seed").map(|v| parse::<u32>("seed", v)).transpose()?.unwrap_or(0);
    let mut cfg = versions::train_defaults(rule, seed as u64, version);
    if let Some(v) = get("gamma") {
        cfg.net.weight_norm = Some(parse("gamma", v)?);
    }
    cfg.net.eta = match get("eta") {
        Some(v) => parse("eta", v)?,
        None => versions::default_eta(rule, cfg.net.weight_norm, version),
    };
    if let Some(v) = get("control") {
        if !rule.takes_control_feedback() {
            return Err(Error::InvalidParam(format!(
                "the link's control={v} is for rules without feedback of their own only \
                 (rule=bp or rule=shallow: their control B)"
            )));
        }
        cfg.control_feedback = parse_flag("control", v)?;
    }
    if let Some(v) = get("epochs") {
        cfg.epochs = parse("epochs", v)?;
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

/// The link of a training run, of the current version: every setting that
/// differs from what [`train_config_from_query`] would assume, in a fixed order.
pub fn train_config_to_query(cfg: &TrainConfig) -> String {
    train_config_to_query_in(versions::CURRENT, cfg)
}

/// The link of a training run read against the defaults of `version` (e.g. to
/// keep an old link's version when the page's form writes it back): every
/// setting that differs from them, so it gives the same run.
pub fn train_config_to_query_in(version: u32, cfg: &TrainConfig) -> String {
    let base = versions::train_defaults(cfg.net.rule, cfg.seed, version);
    let NetConfig { sizes, rule, eta, weight_norm, activation, .. } = &cfg.net;
    let mut q = vec![format!("v={version}"), format!("rule={rule}")];
    if *eta != versions::default_eta(*rule, *weight_norm, version) {
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
    if rule.takes_control_feedback() && cfg.control_feedback != base.control_feedback {
        q.push(format!("control={}", u8::from(cfg.control_feedback)));
    }
    q.join("&")
}

/// `panel` picks what an embed shows and `hide` which controls the page
/// hides; neither changes the numbers.
const FIGURE_KEYS: &[&str] = &["v", "fig", "preset", "runs", "seed", "panel", "hide"];

/// The experiment a figure link describes: its preset (of the link's version)
/// with the link's runs and seed.
pub fn figure_params_from_query(query: &str) -> Result<Params> {
    let pairs = pairs(query, FIGURE_KEYS)?;
    let get = |key: &str| pairs.iter().find(|(k, _)| *k == key).map(|(_, v)| v.as_str());
    let version = version_of(|k| get(k).map(str::to_string))?;
    if let Some(v) = get("hide") {
        hidden_keys(v, figure_hideable())?;
    }
    let id: ExperimentId = get("fig")
        .ok_or_else(|| {
            Error::InvalidParam(format!("the link does not say which figure (fig= one of {})", ExperimentId::names()))
        })?
        .parse()?;
    versions::check_introduced(&format!("figure {}", id.name()), id.introduced_in(), version)?;
    let preset: Preset = get("preset").map(str::parse).transpose()?.unwrap_or(Preset::Quick);
    let mut params = id.params_in(preset, version);
    if let Some(v) = get("runs") {
        params.set_runs(parse("runs", v)?);
    }
    if let Some(v) = get("seed") {
        params.set_seed(parse::<u32>("seed", v)? as u64);
    }
    params.validate()?;
    Ok(params)
}

/// The link of a figure from its id, preset, runs and seed, of the current version.
pub fn figure_query(id: ExperimentId, preset: Preset, runs: usize, seed: u64) -> String {
    figure_query_in(versions::CURRENT, id, preset, runs, seed)
}

/// The link of a figure with the presets of `version` (e.g. to keep an old
/// link's version when its runs or seed change).
pub fn figure_query_in(version: u32, id: ExperimentId, preset: Preset, runs: usize, seed: u64) -> String {
    format!("v={version}&fig={}&preset={}&runs={runs}&seed={seed}", id.name(), preset.name())
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
            "v=3&rule=fa&epochs=20&seed=0",
            "v=3&rule=bp&eta=0.0005&epochs=3&seed=7&gamma=1.5&shuffle=1&p=0.25&angles=1&n=5000&batch=500",
            "v=3&rule=kp:0.002&epochs=2&seed=4294967295&sizes=225,30,50&linear=1",
            "v=3&rule=dfa&epochs=1&seed=1",
            "v=3&rule=fa&eta=0.001&epochs=2&seed=3&gamma=1",
            "v=3&rule=bp&epochs=2&seed=3&control=0",
            "v=3&rule=redrawn&epochs=2&seed=1&angles=1",
            "v=3&rule=shallow&epochs=2&seed=1&control=0",
            "v=3&rule=sparse:0.5&epochs=2&seed=1",
            "v=3&rule=scaled:0.25&eta=0.0001&epochs=2&seed=1",
            "v=3&rule=concordant&epochs=2&seed=1&gamma=1",
            "v=3&rule=aligned:1&epochs=2&seed=1",
            "v=3&rule=sparse:0.8&epochs=1&seed=0",
        ] {
            let cfg = train_config_from_query(q).unwrap();
            assert_eq!(train_config_to_query(&cfg), q);
            assert_eq!(train_config_from_query(&train_config_to_query(&cfg)).unwrap(), cfg);
        }
    }

    /// A link reads its settings against its own version's defaults; what it
    /// serialises to (the current version) names every difference, so it
    /// gives the same run.
    #[test]
    fn links_keep_the_defaults_of_their_version() {
        // Version 1 (no `v`): BP without a control B, FA+WN with FA's η.
        let bp1 = train_config_from_query("rule=bp&epochs=2&seed=1").unwrap();
        assert!(!bp1.control_feedback);
        assert_eq!(train_config_to_query(&bp1), "v=3&rule=bp&epochs=2&seed=1&control=0");
        let bp2 = train_config_from_query("v=2&rule=bp&epochs=2&seed=1").unwrap();
        assert!(bp2.control_feedback);
        assert_eq!(*bp2, TrainConfig { control_feedback: true, ..(*bp1).clone() });
        let wn1 = train_config_from_query("rule=fa&gamma=1&seed=2").unwrap();
        assert_eq!(wn1.net.eta, Rule::Feedback.default_eta());
        assert_eq!(train_config_to_query(&wn1), "v=3&rule=fa&eta=0.001&epochs=20&seed=2&gamma=1");
        let wn2 = train_config_from_query("v=2&rule=fa&gamma=1&seed=2").unwrap();
        assert_eq!(wn2.net.eta, versions::FA_WN_ETA);
        for cfg in [bp1, bp2, wn1, wn2] {
            assert_eq!(train_config_from_query(&train_config_to_query(&cfg)).unwrap(), cfg);
        }
        // Figure links: the presets of their version.
        let quick1 = figure_params_from_query("fig=fig7&preset=quick").unwrap();
        assert_eq!(quick1, ExperimentId::Fig7.params_in(Preset::Quick, 1));
        let quick2 = figure_params_from_query("v=2&fig=fig7&preset=quick").unwrap();
        assert_eq!(quick2, ExperimentId::Fig7.params(Preset::Quick));
        assert_ne!(quick1, quick2);
        assert_eq!(link_version("fig=fig7").unwrap(), 1);
        assert_eq!(link_version("v=2&fig=fig7").unwrap(), 2);
        let q = figure_query_in(1, ExperimentId::Fig6, Preset::Paper, 5, 3);
        assert_eq!(q, "v=1&fig=fig6&preset=paper&runs=5&seed=3");
        let mut expected = ExperimentId::Fig6.params_in(Preset::Paper, 1);
        expected.set_runs(5);
        expected.set_seed(3);
        assert_eq!(figure_params_from_query(&q).unwrap(), expected);
    }

    #[test]
    fn links_from_a_newer_fa_lab_are_refused_plainly() {
        for q in ["v=4&rule=fa", "v=99&fig=fig6"] {
            let err = if q.contains("fig=") {
                figure_params_from_query(q).unwrap_err()
            } else {
                train_config_from_query(q).unwrap_err()
            };
            assert!(err.to_string().contains("made by a newer FA Lab"), "{q}: {err}");
        }
        check_err("v=0&rule=fa", "v=0");
        check_err("v=two&rule=fa", "v=\"two\"");
        check_err("rule=fa&control=1", "rule=bp or rule=shallow");
        check_err("v=2&rule=redrawn", "rule redrawn is new in link version 3");
        check_err("rule=sparse:0.5", "rule sparse is new in link version 3");
        check_err("v=3&rule=sparse:1", "fraction of zeros must be in [0, 1)");
        check_err("v=3&rule=scaled:0", "factor on B");
        check_err("v=3&rule=aligned:2", "mix must be in [0, 1]");
        let err = figure_params_from_query("v=2&fig=feedback").unwrap_err().to_string();
        assert!(err.contains("figure feedback is new in link version 3"), "{err}");
    }

    #[test]
    fn train_link_defaults_are_the_paper_setting() {
        let cfg = train_config_from_query("").unwrap();
        assert_eq!(cfg, TrainConfig::paper(Rule::Feedback, 0));
        assert_eq!(train_config_from_query("v=2&rule=bp").unwrap(), TrainConfig::paper(Rule::Backprop, 0));
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

    /// `hide` changes no number, in a link of any version; it names only
    /// settings the link has, and a garbled one is refused by name.
    #[test]
    fn hide_fixes_nothing_but_what_the_page_shows() {
        for q in ["v=2&rule=bp&epochs=2&seed=3", "rule=fa&gamma=1&seed=2", "v=1&rule=kp:0.01&epochs=1"] {
            let plain = train_config_from_query(q).unwrap();
            let hidden = train_config_from_query(&format!("{q}&hide=eta,rule,gamma")).unwrap();
            assert_eq!(hidden, plain, "{q}");
        }
        for q in ["v=2&fig=fig6&preset=quick&runs=3&seed=1", "fig=fig7&preset=paper"] {
            let plain = figure_params_from_query(q).unwrap();
            assert_eq!(figure_params_from_query(&format!("{q}&hide=fig,runs,seed")).unwrap(), plain, "{q}");
        }
        assert_eq!(hidden_keys("eta, rule,", train_hideable()).unwrap(), ["eta", "rule"]);
        check_err("rule=fa&hide=colour", "hide names \"colour\"");
        check_err("rule=fa&hide=v", "hide names \"v\"");
        check_err("rule=fa&hide=fig", "it can hide: rule, eta");
        let err = figure_params_from_query("v=2&fig=fig6&hide=eta").unwrap_err().to_string();
        assert!(err.contains("hide names \"eta\"") && err.contains("fig, preset, runs, seed"), "{err}");
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
        assert!(q.starts_with(&format!("v={}&", versions::CURRENT)), "{q}");
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
