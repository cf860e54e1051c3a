//! The page's forms, spoken in links: the field values that show a train or
//! figure link, the link that field values make, and the option lists the
//! forms offer (rules, figures, presets).
//!
//! A form field is named by the link key it edits (`eta`, `epochs`, `sizes`,
//! …), plus two that a link folds into another key: `setting` (the rule's
//! one setting, into `rule=kp:<decay>`, `rule=sparse:<zeros>`, …) and `wn`
//! (whether `gamma` is written). Field values are
//! text, as a form holds them; an empty value means "the link's default".
//! Field `v` is the link's version (src/versions.rs): a form filled from a
//! link keeps that link's version, so the link it writes back reads against
//! the same defaults and presets and gives the same numbers; fields without a
//! `v` are a new link, of the current version.
//! Making a link goes through [`link::train_config_from_query`] and
//! [`link::train_config_to_query`], so the one strict parser checks what a
//! person typed and the one serialiser writes it: a link shown in a form and
//! submitted unchanged gives the same link back, key for key. A field the form
//! has no input for is passed through as it came, so nothing is dropped.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::checked::Checked;
use crate::experiments::{ExperimentId, Preset};
use crate::link;
use crate::net::{Activation, Rule};
use crate::train::TrainConfig;
use crate::versions;
use crate::{Error, Result};

/// Form fields by name: link keys, plus `setting` and `wn` (see the module doc).
pub type Fields = BTreeMap<String, String>;

/// One entry of a `<select>`: the value a link holds and what a person reads.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Choice {
    pub value: String,
    pub label: String,
    /// A sentence more, e.g. what a preset is.
    pub note: String,
    /// How long computing it takes (presets only).
    #[serde(skip_serializing_if = "String::is_empty")]
    pub takes: String,
}

/// Every option list of the page's forms.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Choices {
    pub rules: Vec<Choice>,
    pub figures: Vec<Choice>,
    pub presets: Vec<Choice>,
}

/// How long a preset takes and what it is, for a person deciding whether to press Run.
pub fn preset_note(preset: Preset) -> String {
    let what = match preset {
        Preset::Quick => "the figure's shape in a few runs (3,000 images, or a few epochs)",
        Preset::Paper => {
            "the paper's numbers of runs on all 60,000 images — \
             with the preset's own runs and seed, drawn at once from results stored with the lab"
        }
    };
    format!("{}: {what}", preset_takes(preset))
}

/// How long computing a preset's runs takes, for the Run gate.
pub fn preset_takes(preset: Preset) -> &'static str {
    match preset {
        Preset::Quick => "seconds to a minute",
        Preset::Paper => "hours (minutes per run on a laptop core)",
    }
}

/// The option lists of the train and figure forms.
pub fn choices() -> Choices {
    let choice = |value: &str, label: &str, note: &str| Choice {
        value: value.to_string(),
        label: label.to_string(),
        note: note.to_string(),
        takes: String::new(),
    };
    Choices {
        rules: Rule::ALL.iter().map(|&r| choice(r.name(), r.label(), "")).collect(),
        figures: ExperimentId::ALL.iter().map(|&id| choice(id.name(), id.title(), "")).collect(),
        presets: Preset::ALL
            .iter()
            .map(|&p| Choice { takes: preset_takes(p).to_string(), ..choice(p.name(), p.name(), &preset_note(p)) })
            .collect(),
    }
}

/// The rules with a setting, as a person reads them: `kp (Kolen–Pollack decay λ), …`.
fn rules_with_setting() -> String {
    let named = |r: &Rule| r.param_words().map(|(_, words)| format!("{} ({words})", r.name()));
    Rule::ALL.iter().filter_map(named).collect::<Vec<_>>().join(", ")
}

/// What rule `name`'s one setting is and its default, for the train form's
/// `setting` field: `(words, default)`; `None` for a rule without one.
pub fn rule_setting(name: &str) -> Result<Option<(String, String)>> {
    let rule: Rule = name.parse()?;
    Ok(rule.param_words().zip(rule.param()).map(|((_, words), value)| (words.to_string(), value.to_string())))
}

/// The train form's fields showing `cfg` as a link of `version`. Every field
/// the form has is set, so a form filled from one link keeps nothing of the
/// link before.
pub fn train_fields(cfg: &TrainConfig, version: u32) -> Fields {
    let net = &cfg.net;
    let flag = |on: bool| if on { "1" } else { "0" }.to_string();
    let mut f = Fields::new();
    let mut put = |key: &str, value: String| {
        f.insert(key.to_string(), value);
    };
    put("v", version.to_string());
    put("rule", net.rule.name().to_string());
    put("setting", net.rule.param().map(|value| value.to_string()).unwrap_or_default());
    // Empty: the rule's default (of the version), which follows the rule when it changes.
    let default_eta = versions::default_eta(net.rule, net.weight_norm, version);
    put("eta", if net.eta == default_eta { String::new() } else { net.eta.to_string() });
    put("epochs", cfg.epochs.to_string());
    put("seed", cfg.seed.to_string());
    put("n", cfg.n_train.map(|n| n.to_string()).unwrap_or_default());
    put("batch", cfg.batch.to_string());
    put("wn", flag(net.weight_norm.is_some()));
    put("gamma", net.weight_norm.unwrap_or(1.0).to_string());
    put("shuffle", flag(cfg.shuffle));
    put("p", cfg.label_shuffle.to_string());
    put("angles", flag(cfg.update_angles));
    put("sizes", net.sizes.iter().map(|s| s.to_string()).collect::<Vec<_>>().join(","));
    put("linear", flag(net.activation == Activation::Linear));
    f
}

/// The fields of a train link (the form shows these after opening it). A key
/// the parser accepts but no field shows (one a newer link format adds) is
/// carried as it came, so the link made from the fields still has it.
pub fn train_fields_from_query(query: &str) -> Result<Fields> {
    let mut fields = train_fields(&*link::train_config_from_query(query)?, link::link_version(query)?);
    for (key, value) in query_pairs(query)? {
        fields.entry(key).or_insert(value);
    }
    // Always set, so a form filled from a link without one hides nothing.
    fields.entry("hide".into()).or_default();
    Ok(fields)
}

/// The `key=value` pairs of a query, values decoded (the link parser has checked them).
fn query_pairs(query: &str) -> Result<Vec<(String, String)>> {
    query
        .trim()
        .trim_start_matches('?')
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|part| {
            let (key, value) = part.split_once('=').unwrap_or((part, ""));
            Ok((key.to_string(), link::percent_decode(value)?))
        })
        .collect()
}

/// The run the fields describe, checked by the link parser (errors name the field).
pub fn train_config_from_fields(fields: &Fields) -> Result<Checked<TrainConfig>> {
    let get = |key: &str| fields.get(key).map(|v| v.trim()).filter(|v| !v.is_empty());
    let mut pairs: Vec<(&str, String)> = vec![("v", fields_version(fields)?.to_string())];
    let rule = get("rule").unwrap_or("fa");
    // A setting goes with a rule named by its plain name that has one (`kp`, `sparse`, …).
    let takes_setting = rule.parse::<Rule>().is_ok_and(|r| r.name() == rule && r.param().is_some());
    match get("setting") {
        Some(value) if takes_setting => pairs.push(("rule", format!("{rule}:{value}"))),
        Some(value) => {
            return Err(Error::InvalidParam(format!(
                "rule {rule} has no setting, so the rule's setting {value} cannot apply \
                 (the rules with one: {})",
                rules_with_setting()
            )));
        }
        None => pairs.push(("rule", rule.to_string())),
    }
    let wn = match get("wn") {
        None => false,
        Some(v) => matches!(v, "1" | "true" | "on"),
    };
    for (key, value) in fields {
        let value = value.trim();
        match key.as_str() {
            "v" | "rule" | "setting" | "wn" => {}
            "gamma" if !wn => {}
            "gamma" if value.is_empty() => {
                return Err(Error::InvalidParam("weight normalisation is on but gamma is empty".into()));
            }
            _ if value.is_empty() => {}
            _ => pairs.push((key.as_str(), value.to_string())),
        }
    }
    let query: Vec<String> = pairs.iter().map(|(k, v)| format!("{}={}", encode(k), encode(v))).collect();
    link::train_config_from_query(&query.join("&"))
}

/// The link of the fields: [`train_config_from_fields`] written by
/// [`link::train_config_to_query_in`] in the fields' version.
pub fn train_query_from_fields(fields: &Fields) -> Result<String> {
    let cfg = train_config_from_fields(fields)?;
    let query = link::train_config_to_query_in(fields_version(fields)?, &cfg);
    // A teacher's `hide` sets no number: it goes after the settings, as it came.
    Ok(match fields.get("hide").map(|v| v.trim()).filter(|v| !v.is_empty()) {
        Some(hide) => format!("{query}&hide={}", encode(hide)),
        None => query,
    })
}

/// What a teacher's link hides (`hide=KEY,KEY`): the form fields to hide and
/// a sentence saying that the link fixes them.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Hidden {
    pub fields: Vec<String>,
    pub note: String,
}

/// What a form hides for the `hide` value of a train (`figure` false) or
/// figure link: a key's form fields (`gamma`: `wn` and `gamma`; `rule`:
/// `rule` and `decay`) and the note; no fields and no note when it hides nothing.
pub fn hidden_controls(hide: &str, figure: bool) -> Result<Hidden> {
    let keys = if figure {
        link::hidden_keys(hide, link::figure_hideable())?
    } else {
        link::hidden_keys(hide, link::train_hideable())?
    };
    let mut fields = Vec::new();
    let mut names = Vec::new();
    for key in keys {
        let (shows, name): (&[&str], &str) = match (figure, key) {
            (true, "fig") => (&["fig"], "the figure"),
            (true, "preset") => (&["preset"], "the preset"),
            (true, "runs") => (&["runs"], "the number of runs"),
            (_, "seed") => (&["seed"], "the seed"),
            (_, "rule") => (&["rule", "decay"], "the learning rule"),
            (_, "eta") => (&["eta"], "η"),
            (_, "epochs") => (&["epochs"], "the epochs"),
            (_, "gamma") => (&["wn", "gamma"], "weight normalisation"),
            (_, "shuffle") => (&["shuffle"], "shuffling"),
            (_, "p") => (&["p"], "the label-shuffle fraction"),
            (_, "angles") => (&["angles"], "the update angles"),
            (_, "n") => (&["n"], "the training images"),
            (_, "batch") => (&["batch"], "the batch size"),
            (_, "sizes") => (&["sizes"], "the layer sizes"),
            (_, "linear") => (&["linear"], "the activation"),
            (_, other) => (&[], other),
        };
        for field in shows {
            if !fields.iter().any(|f| f == field) {
                fields.push(field.to_string());
            }
        }
        if !names.contains(&name) {
            names.push(name);
        }
    }
    let note = if names.is_empty() {
        String::new()
    } else {
        format!(
            "This link fixes some settings and does not show them ({}); they keep the link's values, and its numbers are the same as without hiding them.",
            names.join(", ")
        )
    };
    Ok(Hidden { fields, note })
}

/// The link version the fields hold (`v`), the current one when they hold none.
fn fields_version(fields: &Fields) -> Result<u32> {
    match fields.get("v").map(|v| v.trim()).filter(|v| !v.is_empty()) {
        None => Ok(versions::CURRENT),
        Some(v) => link::link_version(&format!("v={}", encode(v))),
    }
}

/// The figure form's fields showing a figure link: `v` (the link's version),
/// `fig`, `preset`, `runs`, `seed`, and any other key of the link as it came
/// (e.g. an embed's `panel`).
pub fn figure_fields_from_query(query: &str) -> Result<Fields> {
    let params = link::figure_params_from_query(query)?;
    let mut f: Fields = query_pairs(query)?.into_iter().collect();
    f.entry("hide".into()).or_default();
    f.insert("v".into(), link::link_version(query)?.to_string());
    f.insert("fig".into(), params.id().name().to_string());
    f.entry("preset".into()).or_insert_with(|| Preset::Quick.name().to_string());
    f.insert("runs".into(), params.n_runs().to_string());
    f.insert("seed".into(), params.seed().to_string());
    Ok(f)
}

/// The figure link of the fields, checked by the link parser: `v` (the
/// current version when the fields hold none), `fig`, `preset`, `runs`, `seed`
/// first, then any other field as it came.
pub fn figure_query_from_fields(fields: &Fields) -> Result<String> {
    const FIRST: [&str; 5] = ["v", "fig", "preset", "runs", "seed"];
    let mut fields = fields.clone();
    fields.insert("v".into(), fields_version(&fields)?.to_string());
    let keys = FIRST.iter().copied().chain(fields.keys().map(String::as_str).filter(|k| !FIRST.contains(k)));
    let query: Vec<String> = keys
        .filter_map(|k| fields.get(k).map(|v| (k, v.trim())))
        .filter(|(_, v)| !v.is_empty())
        .map(|(k, v)| format!("{}={}", encode(k), encode(v)))
        .collect();
    let query = query.join("&");
    link::figure_params_from_query(&query)?;
    Ok(query)
}

/// Percent-encodes what a link value cannot hold as is (`&`, `=`, `%`, spaces …);
/// letters, digits and `-._~,:` stay readable.
fn encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~,:".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every train key, in the order `train_config_to_query` writes them.
    const EVERY_KEY: &str = "v=2&rule=kp:0.01&eta=0.0003&epochs=3&seed=4&gamma=1.5&shuffle=1&p=0.25&angles=1&n=5000&batch=500&sizes=225,100,50&linear=1";

    #[test]
    fn a_link_shown_in_the_form_comes_back_unchanged() {
        for q in [
            EVERY_KEY,
            "v=2&rule=fa&epochs=20&seed=0",
            "v=2&rule=kp:0.01&epochs=1&seed=4&sizes=225,100,50&linear=1",
            "v=2&rule=dfa&eta=0.002&epochs=2&seed=9&n=1000&batch=100",
            "v=2&rule=sign&epochs=1&seed=4294967295&gamma=2",
            "v=2&rule=bp&epochs=2&seed=3&control=0",
            "v=2&rule=fa&eta=0.001&epochs=2&seed=3&gamma=1",
            "v=1&rule=bp&epochs=2&seed=3",
            "v=1&rule=fa&epochs=2&seed=3&gamma=1",
            "v=1&rule=bp&epochs=2&seed=3&control=1",
        ] {
            let fields = train_fields_from_query(q).unwrap();
            assert_eq!(train_query_from_fields(&fields).unwrap(), q, "{fields:?}");
            assert_eq!(train_config_from_fields(&fields).unwrap(), link::train_config_from_query(q).unwrap());
        }
    }

    /// A link keeps its version through the form, and with it its numbers:
    /// version 1's BP has no control B and FA+WN trains with FA's η.
    #[test]
    fn a_link_keeps_its_version_through_the_form() {
        for (q, back) in [
            ("rule=bp&epochs=2&seed=3", "v=1&rule=bp&epochs=2&seed=3"),
            ("rule=fa&gamma=1&seed=2", "v=1&rule=fa&epochs=20&seed=2&gamma=1"),
            ("v=2&rule=fa&gamma=1&seed=2", "v=2&rule=fa&epochs=20&seed=2&gamma=1"),
        ] {
            let fields = train_fields_from_query(q).unwrap();
            assert_eq!(fields["v"], back[2..3], "{fields:?}");
            assert_eq!(fields["eta"], "", "η is the version's default: {fields:?}");
            assert_eq!(train_query_from_fields(&fields).unwrap(), back);
            assert_eq!(*train_config_from_fields(&fields).unwrap(), *link::train_config_from_query(q).unwrap());
        }
        let v1 = train_config_from_fields(&train_fields_from_query("rule=bp&epochs=2&seed=3").unwrap()).unwrap();
        assert!(!v1.control_feedback);
        let wn1 = train_config_from_fields(&train_fields_from_query("rule=fa&gamma=1").unwrap()).unwrap();
        assert_eq!(wn1.net.eta, Rule::Feedback.default_eta());
        let wn2 = train_config_from_fields(&train_fields_from_query("v=2&rule=fa&gamma=1").unwrap()).unwrap();
        assert_eq!(wn2.net.eta, versions::FA_WN_ETA);
        // Fields without a version are a new link; a version from the future is refused.
        let mut f = train_fields_from_query("rule=bp&epochs=2&seed=3").unwrap();
        f.remove("v");
        assert_eq!(train_query_from_fields(&f).unwrap(), "v=3&rule=bp&epochs=2&seed=3");
        f.insert("v".into(), "9".into());
        assert!(train_query_from_fields(&f).unwrap_err().to_string().contains("newer FA Lab"));
        // Figure links: the presets of their version.
        for (q, back) in [
            ("fig=fig7&preset=quick", "v=1&fig=fig7&preset=quick"),
            ("v=2&fig=fig6&preset=quick&seed=3", "v=2&fig=fig6&preset=quick"),
        ] {
            let f = figure_fields_from_query(q).unwrap();
            let out = figure_query_from_fields(&f).unwrap();
            assert!(out.starts_with(back), "{out}");
            assert_eq!(link::figure_params_from_query(&out).unwrap(), link::figure_params_from_query(q).unwrap());
        }
    }

    #[test]
    fn fields_follow_a_person_editing_the_form() {
        let mut f = train_fields_from_query("v=2&rule=fa&epochs=2&seed=1").unwrap();
        // Switching the rule: η (empty) follows the new rule's default.
        f.insert("rule".into(), "bp".into());
        assert_eq!(train_query_from_fields(&f).unwrap(), "v=2&rule=bp&epochs=2&seed=1");
        f.insert("rule".into(), "kp".into());
        f.insert("setting".into(), "0.02".into());
        f.insert("wn".into(), "1".into());
        f.insert("gamma".into(), "2".into());
        assert_eq!(train_query_from_fields(&f).unwrap(), "v=2&rule=kp:0.02&epochs=2&seed=1&gamma=2");
        // Turning WN off drops γ; a setting for a rule without one is refused, by name.
        f.insert("wn".into(), "0".into());
        f.insert("rule".into(), "fa".into());
        let err = train_query_from_fields(&f).unwrap_err().to_string();
        assert!(err.contains("rule fa has no setting") && err.contains("kp (Kolen–Pollack decay λ)"), "{err}");
        f.insert("setting".into(), String::new());
        assert_eq!(train_query_from_fields(&f).unwrap(), "v=2&rule=fa&epochs=2&seed=1");
        // A typed value with link syntax in it is a value, not a new key.
        f.insert("eta".into(), "1&epochs=9".into());
        let err = train_query_from_fields(&f).unwrap_err().to_string();
        assert!(err.contains("eta=\"1&epochs=9\""), "{err}");
        // A field the form has no input for reaches the parser as it came.
        let mut g = train_fields_from_query("").unwrap();
        g.insert("colour".into(), "red".into());
        let err = train_query_from_fields(&g).unwrap_err().to_string();
        assert!(err.contains("unknown setting \"colour\""), "{err}");
    }

    #[test]
    fn figure_fields_keep_every_key() {
        let q = "v=2&fig=fig6&preset=paper&runs=3&seed=11&panel=b";
        let f = figure_fields_from_query(q).unwrap();
        assert_eq!(f.get("panel").map(String::as_str), Some("b"));
        assert_eq!(figure_query_from_fields(&f).unwrap(), q);
        // Defaults are written out: the preset's runs, quick, seed 0.
        let f = figure_fields_from_query("v=2&fig=fig2b").unwrap();
        let runs = ExperimentId::Fig2b.params(Preset::Quick).n_runs();
        assert_eq!(figure_query_from_fields(&f).unwrap(), format!("v=2&fig=fig2b&preset=quick&runs={runs}&seed=0"));
        let mut f = f;
        f.insert("runs".into(), "0".into());
        assert!(figure_query_from_fields(&f).unwrap_err().to_string().contains("runs"));
        assert!(figure_fields_from_query("preset=quick").unwrap_err().to_string().contains("which figure"));
    }

    /// A teacher's link keeps its `hide` through the form, and with it nothing
    /// but what the form shows: the run and the figure are the link's.
    #[test]
    fn hide_goes_through_the_form() {
        let q = "v=2&rule=kp:0.01&epochs=2&seed=4&gamma=1.5&hide=rule,gamma";
        let fields = train_fields_from_query(q).unwrap();
        assert_eq!(fields["hide"], "rule,gamma");
        assert_eq!(train_query_from_fields(&fields).unwrap(), q);
        assert_eq!(
            *train_config_from_fields(&fields).unwrap(),
            *link::train_config_from_query(&q[..q.len() - 16]).unwrap()
        );
        let plain = train_fields_from_query("v=2&rule=fa").unwrap();
        assert_eq!(plain["hide"], "", "a link without hide clears what the last one hid");
        let h = hidden_controls(&fields["hide"], false).unwrap();
        assert_eq!(h.fields, ["rule", "decay", "wn", "gamma"]);
        assert!(h.note.contains("the learning rule, weight normalisation"), "{}", h.note);
        assert_eq!(hidden_controls("", false).unwrap(), Hidden { fields: vec![], note: String::new() });
        assert!(hidden_controls("fig", false).is_err());
        let f = figure_fields_from_query("v=2&fig=fig6&preset=quick&runs=2&seed=0&hide=fig,preset").unwrap();
        assert_eq!(figure_query_from_fields(&f).unwrap(), "v=2&fig=fig6&preset=quick&runs=2&seed=0&hide=fig,preset");
        assert_eq!(hidden_controls(&f["hide"], true).unwrap().fields, ["fig", "preset"]);
        assert!(figure_fields_from_query("v=2&fig=fig6").unwrap()["hide"].is_empty());
    }

    #[test]
    fn choices_come_from_the_core() {
        let c = choices();
        let rules: Vec<&str> = c.rules.iter().map(|r| r.value.as_str()).collect();
        assert_eq!(
            rules,
            ["fa", "bp", "dfa", "sign", "kp", "redrawn", "shallow", "sparse", "scaled", "concordant", "aligned"]
        );
        assert_eq!(rule_setting("sparse").unwrap(), Some(("fraction of B's entries that are 0".into(), "0.8".into())));
        assert_eq!(rule_setting("redrawn").unwrap(), None);
        assert!(rule_setting("zz").is_err());
        for r in &c.rules {
            assert!(r.value.parse::<Rule>().is_ok());
        }
        assert_eq!(c.figures.len(), ExperimentId::ALL.len());
        for f in &c.figures {
            assert!(f.value.parse::<ExperimentId>().is_ok());
        }
        for p in &c.presets {
            assert!(p.value.parse::<Preset>().is_ok());
        }
    }
}
