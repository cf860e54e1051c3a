//! Versions of FA Lab's defaults and presets. A link is a contract: once shared
//! it gives the same numbers. So every link FA Lab makes carries the version of
//! the defaults and presets it was made with (`v=2`), and a link keeps getting
//! the defaults of its own version after they change. A link without `v` is
//! version 1: it was made before versions existed.
//!
//! What each version changed is [`CHANGES`], in the words the page shows
//! under a link of an older version. Version 1 is the defaults and presets up
//! to the first link versions.
//!
//! A change to a default or a preset adds a version here; the old version's
//! numbers stay reproducible (`tests/golden.rs` holds links of every version
//! with their fingerprints). Code asks what a version does through the
//! predicates below ([`fa_wn_has_own_eta`], [`has_bp_control`],
//! [`keeps_dead_networks`], [`quick_presets_keep_effects`]), never by
//! comparing version numbers itself.
//!
//! Keys that set no number are no version's business: an embed's `panel` and
//! a teacher's `hide=KEY,KEY` (controls the page does not show) are read in
//! links of every version, and adding such a key needs no new version.

use crate::net::Rule;
use crate::train::TrainConfig;
use crate::{Error, Result};

/// The version of the links this FA Lab makes.
pub const CURRENT: u32 = 3;

/// What each version after the first changed, in words for the reader of an
/// older link.
pub const CHANGES: &[(u32, &str)] = &[
    (
        2,
        "FA with weight normalisation trains with its own η (5·10⁻⁴); BP runs draw a control B that they never use; \
     the quick figure presets keep the paper's effects (fig6 and fig7 on the paper's batch with 3 runs, \
     fig3, fig4, fig5 and the rules with 5); FA+WN trains with its own η in fig6; \
     a network that dies goes on stepping and stays in the means",
    ),
    (
        3,
        "six feedback-path variants (B redrawn each step, shallow, sparse, scaled, sign-concordant, \
     aligned at the start) are new rules with their own η, and the feedback figure compares them; \
     the error-signal angle ∠(δ_l, δ_l^BP) is drawn beside the update angles \
     (no setting of an older link changed)",
    ),
];

/// For a link of an older `version`: that it still shows what it showed,
/// and what changed since. `None` for a current link.
pub fn older_link_note(version: u32) -> Option<String> {
    if version >= CURRENT {
        return None;
    }
    let since: Vec<&str> = CHANGES.iter().filter(|(v, _)| *v > version).map(|(_, what)| *what).collect();
    Some(format!(
        "This link was made by an older FA Lab (link version {version}), and it shows exactly what it showed then. \
         Since then: {}.",
        since.join("; ")
    ))
}

/// [`older_link_note`] in one short line (an embed shows it, opening to the note).
pub fn older_link_summary(version: u32) -> Option<String> {
    (version < CURRENT)
        .then(|| format!("Made by an older FA Lab (link version {version}); it shows what it showed then."))
}

/// The version that introduced the feedback-path variants as rules
/// ([`Rule::introduced_in`]) and the `feedback` figure.
pub const FEEDBACK_PATHS: u32 = 3;

/// Whether a link of `version` can name something `introduced` in a version:
/// an error saying so when it cannot (`what`: "rule redrawn", "figure feedback").
pub fn check_introduced(what: &str, introduced: u32, version: u32) -> Result<()> {
    if version >= introduced {
        Ok(())
    } else {
        Err(Error::InvalidParam(format!(
            "{what} is new in link version {introduced}, and this link is version {version}: \
             give v={introduced} (or newer) to use it"
        )))
    }
}

/// FA's default `η` with weight normalisation (version 2 on), paper net,
/// batch 1000, `γ = 1`; the sweep is in [`Rule::default_eta`]'s table.
pub const FA_WN_ETA: f32 = 5e-4;

/// Whether a rule trains with its own default `η` under WN
/// ([`Rule::default_eta_with_wn`]: FA's [`FA_WN_ETA`]), in training links and
/// fig6's FA+WN (version 2 on); before, with its default without WN.
pub fn fa_wn_has_own_eta(version: u32) -> bool {
    version >= 2
}

/// Whether BP runs draw the `B_l` an FA run with their seed would draw and
/// never use it, the control of every alignment plot (version 2 on).
pub fn has_bp_control(version: u32) -> bool {
    version >= 2
}

/// Whether a figure's network that dies (docs/math.md §8) goes on stepping and
/// stays in the means, and a diverged run counts up to its failure (version 2
/// on); version 1 ends a failed run there and leaves it out of the means.
pub fn keeps_dead_networks(version: u32) -> bool {
    version >= 2
}

/// Whether the quick figure presets are the ones that keep the paper's
/// effects (version 2 on): fig6 and fig7 on the paper's data and batch, and at
/// least 5 runs for the others ([`CHANGES`] says which).
pub fn quick_presets_keep_effects(version: u32) -> bool {
    version >= 2
}

/// Checks a link's version: 1 ..= [`CURRENT`].
pub fn check(version: u32) -> Result<u32> {
    match version {
        0 => Err(Error::InvalidParam("the link's version v=0 does not exist (versions start at 1)".into())),
        v if v > CURRENT => Err(Error::InvalidParam(format!(
            "this link was made by a newer FA Lab (link version {v}; this FA Lab reads versions 1 to {CURRENT}); \
             open it with a newer FA Lab"
        ))),
        v => Ok(v),
    }
}

/// The default `η` of `rule` (with WN `weight_norm`) in links of `version`:
/// FA with WN has its own from version 2 on; every other case is the rule's.
pub fn default_eta(rule: Rule, weight_norm: Option<f32>, version: u32) -> f32 {
    let with_wn = if weight_norm.is_some() && fa_wn_has_own_eta(version) { rule.default_eta_with_wn() } else { None };
    with_wn.unwrap_or(rule.default_eta())
}

/// The training run a link of `version` starts from before its own settings:
/// [`TrainConfig::paper`] with that version's defaults. Version 1's BP has no
/// control `B_l`.
pub fn train_defaults(rule: Rule, seed: u64, version: u32) -> TrainConfig {
    let mut cfg = TrainConfig::paper(rule, seed);
    cfg.control_feedback = has_bp_control(version) && rule.takes_control_feedback();
    cfg
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_older_link_is_told_what_changed_since() {
        assert_eq!(older_link_note(CURRENT), None);
        let note = older_link_note(1).unwrap();
        assert!(note.contains("link version 1") && note.contains("5·10⁻⁴"), "{note}");
        // Every version after the first says what it changed.
        for v in 2..=CURRENT {
            assert!(CHANGES.iter().any(|(c, what)| *c == v && !what.is_empty()), "version {v}");
        }
        assert!(older_link_note(2).unwrap().contains("feedback-path"));
    }

    #[test]
    fn what_a_version_introduced_is_refused_in_older_links() {
        assert!(check_introduced("rule redrawn", FEEDBACK_PATHS, FEEDBACK_PATHS).is_ok());
        let err = check_introduced("rule redrawn", FEEDBACK_PATHS, 2).unwrap_err().to_string();
        assert!(err.contains("rule redrawn is new in link version 3") && err.contains("version 2"), "{err}");
    }
}
