//! Links and forms: fields ↔ links, option lists, versions and defaults.

use wasm_bindgen::prelude::*;

use super::{from_value, to_js, to_value};
use crate::form::{self, Fields};
use crate::link;
use crate::net::Rule;

/// The option lists of the page's forms: `{rules, figures, presets}`, each `[{value, label, note}]`.
#[wasm_bindgen(js_name = formChoices)]
pub fn form_choices() -> Result<JsValue, JsError> {
    to_value(&form::choices())
}

/// The train form's fields (by link key) showing a link; an error names what is wrong.
#[wasm_bindgen(js_name = trainFieldsFromLink)]
pub fn train_fields_from_link(query: &str) -> Result<JsValue, JsError> {
    to_value(&form::train_fields_from_query(query).map_err(to_js)?)
}

/// The link the train form's fields make, written by the core's one serialiser.
#[wasm_bindgen(js_name = trainLinkFromFields)]
pub fn train_link_from_fields(fields: JsValue) -> Result<String, JsError> {
    let fields: Fields = from_value(fields, "the form's fields")?;
    form::train_query_from_fields(&fields).map_err(to_js)
}

/// The figure form's fields showing a figure (or embed) link.
#[wasm_bindgen(js_name = figureFieldsFromLink)]
pub fn figure_fields_from_link(query: &str) -> Result<JsValue, JsError> {
    to_value(&form::figure_fields_from_query(query).map_err(to_js)?)
}

/// The figure link the figure form's fields make (checked by the link parser).
#[wasm_bindgen(js_name = figureLinkFromFields)]
pub fn figure_link_from_fields(fields: JsValue) -> Result<String, JsError> {
    let fields: Fields = from_value(fields, "the form's fields")?;
    form::figure_query_from_fields(&fields).map_err(to_js)
}

/// The default learning rate a link of `version` gives `rule`, with or
/// without weight normalisation (FA with WN has its own from version 2 on).
#[wasm_bindgen(js_name = defaultEtaIn)]
pub fn default_eta_in(rule: &str, weight_norm: bool, version: u32) -> Result<f32, JsError> {
    let rule: Rule = rule.parse().map_err(to_js)?;
    Ok(crate::versions::default_eta(rule, weight_norm.then_some(1.0), version))
}

/// What rule `rule`'s one setting is and its default, `{words, default}`
/// (`undefined` for a rule without one), for the train form's `setting` field.
#[wasm_bindgen(js_name = ruleSetting)]
pub fn rule_setting(rule: &str) -> Result<JsValue, JsError> {
    #[derive(serde::Serialize)]
    struct Setting {
        words: String,
        default: String,
    }
    let setting = form::rule_setting(rule).map_err(to_js)?;
    match setting {
        Some((words, default)) => to_value(&Setting { words, default }),
        None => Ok(JsValue::UNDEFINED),
    }
}

/// The version of the links this FA Lab makes (`v=` in every link).
#[wasm_bindgen(js_name = currentLinkVersion)]
pub fn current_link_version() -> u32 {
    crate::versions::CURRENT
}

/// For a link of an older version (`v`, none = 1): that it shows what it
/// showed, and what changed since; `undefined` for a current or unreadable link.
#[wasm_bindgen(js_name = olderLinkNote)]
pub fn older_link_note(query: &str) -> Option<String> {
    crate::versions::older_link_note(link::link_version(query).ok()?)
}

/// [`olderLinkNote`](older_link_note) in one short line, for an embed's `<summary>`.
#[wasm_bindgen(js_name = olderLinkSummary)]
pub fn older_link_summary(query: &str) -> Option<String> {
    crate::versions::older_link_summary(link::link_version(query).ok()?)
}

/// What a teacher's link hides: `{fields, note}` for the `hide` value of a
/// train (`figure` false) or figure link's fields; throws for an unknown key.
#[wasm_bindgen(js_name = hiddenControls)]
pub fn hidden_controls(hide: &str, figure: bool) -> Result<JsValue, JsError> {
    to_value(&form::hidden_controls(hide, figure).map_err(to_js)?)
}
