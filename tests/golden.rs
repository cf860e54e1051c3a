//! Golden values: links recorded from the release CLI before any refactor, and
//! the numbers they gave. A link is a contract (README): once shared it must
//! give the same numbers, so every entry is recomputed here and compared bit
//! for bit. This is also the start of the link corpus that link versions are
//! checked against.
//!
//! - [`LINKS_V1`]: training links (the part after `#/train?`, or
//!   `fa-lab train --link`) → the run's fingerprint as `fa-lab train` writes it
//!   to `summary.json`. "V1": links made before link versions existed.
//! - [`FIGURES_V1`]: figure links (`#/figures?`, `fa-lab figure --link`) → the
//!   FNV-1a-64 of the figure JSON exactly as `fa-lab figure` writes it
//!   (`serde_json::to_string_pretty` plus a newline).
//! - [`BENCH_CHECKSUM_V1`]: `fa-lab bench`'s checksum after one epoch.
//!
//! A failure names the link and both values. When a change is meant to alter
//! numbers, it must not alter what an old link shows: add a link version
//! instead of editing these values.

use fa_lab::bench::Extra;
use fa_lab::bench::FaBench;
use fa_lab::experiments::run_all;
use fa_lab::link::{figure_params_from_query, train_config_from_query};
use fa_lab::train::Trainer;

mod common;
use common::mnist;

/// Training links → fingerprint (16 hex digits), recorded with
/// `fa-lab train --link '<link>' --out DIR` (DIR/summary.json) at commit 58a514f.
/// They cover every rule (KP with its default and two other decays), WN with
/// several `γ`, per-epoch shuffling, label shuffling, update angles, a given
/// `η`, batch sizes with and without a partial last batch, other layer sizes,
/// linear units, the largest seed, the full data set, and a run that
/// diverges (its fingerprint covers the steps up to the failure).
pub const LINKS_V1: &[(&str, &str)] = &[
    ("rule=bp&epochs=2&seed=0&n=2000&batch=100", "e2bc5f45381d3ba2"),
    ("rule=fa&epochs=2&seed=1&n=2000&batch=100", "d8054d6c14ce8c60"),
    ("rule=dfa&epochs=2&seed=2&n=2000&batch=100", "90f5c58926df8221"),
    ("rule=sign&epochs=2&seed=3&n=2000&batch=100", "be07d6fdb55f9a36"),
    ("rule=kp&epochs=2&seed=4&n=2000&batch=100", "2e79f879b54326ad"),
    ("rule=kp:0.002&epochs=2&seed=5&n=2000&batch=100", "fef09a38f38ec317"),
    ("rule=fa&epochs=2&seed=6&gamma=1.5&n=2000&batch=100", "2dddb4c23cb65832"),
    ("rule=bp&epochs=2&seed=7&gamma=1&n=2000&batch=100", "d451a91f0471e5fc"),
    ("rule=fa&epochs=3&seed=8&shuffle=1&n=2000&batch=100", "356959012c148b42"),
    ("rule=fa&epochs=2&seed=9&p=0.25&n=2000&batch=100", "7b0cd0e59c23533b"),
    ("rule=fa&epochs=2&seed=10&p=1&shuffle=1&n=2000&batch=100", "e8403d9b64b181b2"),
    ("rule=fa&epochs=2&seed=11&angles=1&n=2000&batch=100", "832b235da1b4178d"),
    ("rule=dfa&epochs=2&seed=12&angles=1&n=2000&batch=100", "4645779185386686"),
    ("rule=kp:0.01&epochs=2&seed=13&angles=1&gamma=0.5&n=2000&batch=100", "4791e4e2a4c49087"),
    ("rule=bp&eta=0.0005&epochs=2&seed=14&n=2000&batch=100", "71ddef3436a0ea89"),
    ("rule=fa&eta=0.002&epochs=2&seed=15&n=2000&batch=250", "26dde45fe7d60ef8"),
    ("rule=fa&epochs=2&seed=16&n=2000&batch=100&sizes=225,30,20", "ae25e0c2826e32e1"),
    ("rule=fa&epochs=2&seed=17&n=2000&batch=100&sizes=225,40,40,12&linear=1", "9b3fbb635ba021c3"),
    ("rule=sign&epochs=2&seed=18&n=1500&batch=1000", "7b0c04bd93ea01b8"),
    ("rule=fa&epochs=1&seed=4294967295&n=1000&batch=300", "e475599fb17d4fe4"),
    ("rule=fa&epochs=1&seed=0", "29872c2bb2972bf0"),
    ("rule=bp&eta=1&epochs=1&seed=0&n=1000&batch=100", "d3f2d01857169029"),
    ("rule=fa&eta=1&epochs=2&seed=0&n=1000&batch=100&linear=1", "2f017a87f085cede"),
];

/// Figure links → FNV-1a-64 of the figure JSON, recorded with
/// `fa-lab figure <id> --preset quick --runs 2 --seed 0 --out DIR` (DIR/<id>.json).
pub const FIGURES_V1: &[(&str, &str)] = &[
    ("fig=fig2b&preset=quick&runs=2&seed=0", "c8e1d0c8529e2909"),
    ("fig=fig3&preset=quick&runs=2&seed=0", "680f051b1f2d4d20"),
    ("fig=fig4&preset=quick&runs=2&seed=0", "c3f9e5112120a3ce"),
    ("fig=fig5&preset=quick&runs=2&seed=0", "8eb1077684027f0d"),
    ("fig=fig6&preset=quick&runs=2&seed=0", "3da6f0422166a78a"),
    ("fig=fig7&preset=quick&runs=2&seed=0", "f80567347a3e3529"),
    ("fig=rules&preset=quick&runs=2&seed=0", "ea64e322dbb7e12e"),
];

/// Version 2 links (`v=2`, issue 10): recorded with `fa-lab train --link` /
/// `fa-lab figure --link` at the commit that introduced link versions. Where
/// a version-2 link spells out a version-1 default (`control=0`, `eta=0.001`
/// with WN) or names a setting that did not change, it must give the
/// version-1 link's fingerprint: those pairs are checked below too.
pub const LINKS_V2: &[(&str, &str)] = &[
    ("v=2&rule=bp&epochs=2&seed=0&n=2000&batch=100", "9fca9c71c3f1abfd"),
    ("v=2&rule=bp&epochs=2&seed=0&n=2000&batch=100&control=0", "e2bc5f45381d3ba2"),
    ("v=2&rule=fa&epochs=2&seed=6&gamma=1.5&n=2000&batch=100", "c6be49843d813629"),
    ("v=2&rule=fa&eta=0.001&epochs=2&seed=6&gamma=1.5&n=2000&batch=100", "2dddb4c23cb65832"),
    ("v=2&rule=fa&epochs=2&seed=1&n=2000&batch=100", "d8054d6c14ce8c60"),
    ("v=2&rule=bp&epochs=2&seed=7&gamma=1&n=2000&batch=100", "58a3eec268301673"),
    ("v=2&rule=bp&epochs=1&seed=3&n=1000&batch=100&angles=1", "eca0bbe79a6ae05d"),
    ("v=2&rule=fa&epochs=1&seed=4&gamma=1&n=2000&batch=100&angles=1&p=0.5", "d405ef6e0a6e4b9e"),
];

/// Version 2 figure links → FNV-1a-64 of the figure JSON (`fa-lab figure --link`).
/// fig2b's presets did not change, so its link gives version 1's JSON.
pub const FIGURES_V2: &[(&str, &str)] = &[
    ("v=2&fig=fig2b&preset=quick&runs=2&seed=0", "c8e1d0c8529e2909"),
    ("v=2&fig=fig3&preset=quick&runs=2&seed=0", "b1f8685fe3f4ba50"),
    ("v=2&fig=fig4&preset=quick&runs=2&seed=0", "068504ce1c610f44"),
    ("v=2&fig=fig5&preset=quick&runs=2&seed=0", "f3738fa7b4388b13"),
    ("v=2&fig=rules&preset=quick&runs=1&seed=0", "6731af74c4a9d3e4"),
    ("v=2&fig=fig7&preset=quick&runs=1&seed=0", "4ad0f8c5dafb8bcf"),
    ("v=2&fig=fig6&preset=quick&runs=1&seed=0", "17c4e21c196e887d"),
];

/// `fa-lab bench --json`'s checksum (the paper net after one FA epoch on the
/// benchmark's synthetic data).
pub const BENCH_CHECKSUM_V1: &str = "237282c9f771badb";

fn fnv1a(bytes: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in bytes {
        h = (h ^ b as u64).wrapping_mul(0x0100_0000_01b3);
    }
    h
}

/// The fingerprint `fa-lab train` writes: one step at a time, test accuracy at
/// every epoch's end, stopping at the first error (a diverged network).
fn train_fingerprint(link: &str) -> String {
    let cfg = train_config_from_query(link).unwrap_or_else(|e| panic!("{link}: {e}"));
    let mut trainer = Trainer::new(cfg, mnist()).unwrap_or_else(|e| panic!("{link}: {e}"));
    while !trainer.is_done() {
        if trainer.advance(1).is_err() {
            break;
        }
    }
    format!("{:016x}", trainer.fingerprint())
}

fn figure_hash(link: &str) -> String {
    let params = figure_params_from_query(link).unwrap_or_else(|e| panic!("{link}: {e}"));
    let fig = run_all(&params, mnist(), |_| {}).unwrap_or_else(|e| panic!("{link}: {e}"));
    let json = serde_json::to_string_pretty(&fig).unwrap() + "\n";
    format!("{:016x}", fnv1a(json.as_bytes()))
}

fn check(what: &str, corpus: &[(&str, &str)], compute: fn(&str) -> String) {
    assert!(!corpus.is_empty(), "the {what} corpus is empty");
    let mut wrong = Vec::new();
    for &(link, expected) in corpus {
        let got = compute(link);
        if got != expected {
            wrong.push(format!("{what} {link:?}: recorded {expected}, now {got}"));
        }
    }
    assert!(wrong.is_empty(), "{} of {} {what} links changed:\n{}", wrong.len(), corpus.len(), wrong.join("\n"));
}

#[test]
fn training_links_keep_their_fingerprints() {
    check("train", LINKS_V1, train_fingerprint);
}

#[test]
fn figure_links_keep_their_figure_json() {
    check("figure", FIGURES_V1, figure_hash);
}

#[test]
fn version_2_training_links_keep_their_fingerprints() {
    check("train v2", LINKS_V2, train_fingerprint);
}

#[test]
fn version_2_figure_links_keep_their_figure_json() {
    check("figure v2", FIGURES_V2, figure_hash);
}

/// The corpus's own cross-checks: a v2 link that spells out v1's defaults is
/// the v1 link, bit for bit; one that takes v2's new defaults is not.
#[test]
fn version_2_links_that_spell_out_version_1_defaults_are_version_1_runs() {
    let v1 = |link: &str| LINKS_V1.iter().find(|(l, _)| *l == link).unwrap().1;
    let v2 = |link: &str| LINKS_V2.iter().find(|(l, _)| *l == link).unwrap().1;
    let same = [
        ("rule=bp&epochs=2&seed=0&n=2000&batch=100", "v=2&rule=bp&epochs=2&seed=0&n=2000&batch=100&control=0"),
        (
            "rule=fa&epochs=2&seed=6&gamma=1.5&n=2000&batch=100",
            "v=2&rule=fa&eta=0.001&epochs=2&seed=6&gamma=1.5&n=2000&batch=100",
        ),
        ("rule=fa&epochs=2&seed=1&n=2000&batch=100", "v=2&rule=fa&epochs=2&seed=1&n=2000&batch=100"),
    ];
    for (old, new) in same {
        assert_eq!(v1(old), v2(new), "{new} should be {old}");
    }
    assert_ne!(v1("rule=bp&epochs=2&seed=0&n=2000&batch=100"), v2("v=2&rule=bp&epochs=2&seed=0&n=2000&batch=100"));
    assert_ne!(
        v1("rule=fa&epochs=2&seed=6&gamma=1.5&n=2000&batch=100"),
        v2("v=2&rule=fa&epochs=2&seed=6&gamma=1.5&n=2000&batch=100")
    );
    assert_eq!(FIGURES_V1[0].1, FIGURES_V2[0].1, "fig2b's presets did not change");
}

#[test]
fn bench_checksum_is_unchanged() {
    let mut bench = FaBench::new(Extra::None).unwrap();
    bench.epoch().unwrap();
    assert_eq!(bench.checksum(), BENCH_CHECKSUM_V1, "fa-lab bench's checksum after one epoch changed");
}

#[test]
fn fnv1a_matches_the_published_vectors() {
    assert_eq!(fnv1a(b""), 0xcbf29ce484222325);
    assert_eq!(fnv1a(b"a"), 0xaf63dc4c8601ec8c);
}
