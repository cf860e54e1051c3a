//! Golden values: links recorded before a change, and the numbers they gave.
//! A link is a contract (README): once shared it must give the same numbers,
//! so every entry is recomputed here and compared bit for bit. This is also
//! the start of the link corpus that link versions are checked against.
//!
//! - [`LINKS_V1`], [`LINKS_V2`]: training links (the part after `#/train?`,
//!   or `fa-lab train --link`) → the run's fingerprint as `fa-lab train`
//!   writes it to `summary.json`. "V1": links made before link versions existed.
//! - [`LINKS_V3`]: the feedback-path variants' training links, and version-3
//!   spellings of older links (version 3 changed no older setting).
//! - [`figures::FIGURES_V1`], [`figures::FIGURES_V2`], [`figures::FIGURES_V3`] (in `golden/figures.rs`):
//!   figure links (`#/figures?`, `fa-lab figure --link`) → the numbers of the
//!   figure, entry by entry: every run's fingerprint
//!   ([`provenance::result_fingerprint`], named by condition, run index and
//!   seed), a hash of every series of every panel (x, mean, sd and n; the PCA
//!   landscape and paths), the failed runs and each panel's failure counts,
//!   and the parameters the link gives. Titles, legend labels, colours, dash
//!   patterns, scales and notes are presentation and not compared: a change
//!   to them trips nothing here.
//! - [`BENCH_CHECKSUM_V1`]: `fa-lab bench`'s checksum after one epoch.
//!
//! A failure names the link and what moved: the run (condition, run index,
//! seed) or the panel and series, with both values. When a change is meant to
//! alter numbers, it must not alter what an old link shows: add a link
//! version instead of editing these values. A new figure link is recorded by
//! adding it with no entries: the failure prints its entries, ready to paste.

use fa_lab::bench::Extra;
use fa_lab::bench::FaBench;
use fa_lab::experiments::{FigureData, RunResult, run_all};
use fa_lab::hash::Fnv1a;
use fa_lab::link::{figure_params_from_query, train_config_from_query};
use fa_lab::provenance;
use fa_lab::train::Trainer;

mod common;
use common::mnist;

#[path = "golden/figures.rs"]
mod figures;
use figures::{FIGURES_V1, FIGURES_V2, FIGURES_V3, Golden};

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

/// Version 3 links (`v=3`, issue 21: the feedback-path variants): one per new
/// rule, recorded with `fa-lab train --link` when they were added, and
/// version-3 spellings of older links, which must give those links' runs
/// (version 3 changed no older setting; checked below).
pub const LINKS_V3: &[(&str, &str)] = &[
    ("v=3&rule=redrawn&epochs=2&seed=1&n=2000&batch=100&angles=1", "de3e9efbb387051e"),
    ("v=3&rule=shallow&epochs=2&seed=2&n=2000&batch=100", "dab355de34bbf34e"),
    ("v=3&rule=sparse&epochs=2&seed=3&n=2000&batch=100", "aef41ab010009093"),
    ("v=3&rule=sparse:0.5&epochs=2&seed=3&n=2000&batch=100&gamma=1", "a179b80fb0bb97e3"),
    ("v=3&rule=scaled&epochs=2&seed=4&n=2000&batch=100", "36877357bf1024a3"),
    ("v=3&rule=scaled:0.5&epochs=2&seed=4&n=2000&batch=100&angles=1", "509ebff8e97a3e76"),
    ("v=3&rule=concordant&epochs=2&seed=5&n=2000&batch=100&angles=1", "d92d256f7c097ace"),
    ("v=3&rule=aligned&epochs=2&seed=6&n=2000&batch=100", "c0182465d30af2d9"),
    ("v=3&rule=aligned:0.9&epochs=1&seed=7&n=2000&batch=100&shuffle=1", "d85ba98d33ac018d"),
    ("v=3&rule=bp&epochs=2&seed=0&n=2000&batch=100", "9fca9c71c3f1abfd"),
    ("v=3&rule=fa&epochs=2&seed=11&angles=1&n=2000&batch=100", "832b235da1b4178d"),
    ("v=3&rule=kp:0.01&epochs=2&seed=13&angles=1&gamma=0.5&n=2000&batch=100", "4791e4e2a4c49087"),
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

/// What a figure link's numbers are, entry by entry (see the module doc):
/// `(what, value)` in the figure's order.
fn figure_entries(link: &str) -> Vec<(String, String)> {
    let params = figure_params_from_query(link).unwrap_or_else(|e| panic!("{link}: {e}"));
    let mut runs: Vec<RunResult> = Vec::new();
    let fig = run_all(&params, mnist(), |r| runs.push(r.clone())).unwrap_or_else(|e| panic!("{link}: {e}"));
    entries(&fig, &runs)
}

fn entries(fig: &FigureData, runs: &[RunResult]) -> Vec<(String, String)> {
    let hex = |h: u64| format!("{h:016x}");
    let mut out = vec![("params".to_string(), hex(fnv1a(serde_json::to_string(&fig.params).unwrap().as_bytes())))];
    for r in runs {
        out.push((
            format!("run {} {} seed {}", r.condition_name, r.run, r.seed),
            hex(provenance::result_fingerprint(r)),
        ));
    }
    out.push(("runs done".to_string(), format!("{} of {}", fig.runs_done, fig.runs_total)));
    let failed: Vec<String> = fig
        .failed
        .iter()
        .map(|f| {
            let step = f.step.map_or("-".to_string(), |s| s.to_string());
            format!(
                "{} {} seed {} at step {step}{}",
                f.condition_name,
                f.run,
                f.seed,
                if f.kept { " kept" } else { "" }
            )
        })
        .collect();
    out.push(("failed".to_string(), failed.join("; ")));
    for p in &fig.panels {
        for s in &p.series {
            let mut h = Fnv1a::new();
            for v in [&s.x, &s.mean, &s.sd] {
                hash_f64s(&mut h, v);
            }
            s.n.iter().for_each(|&n| h.bytes(&(n as u64).to_le_bytes()));
            out.push((format!("panel {} series {}", p.key, s.key), hex(h.value())));
        }
        if let Some(pca) = &p.pca {
            let mut h = Fnv1a::new();
            for v in [&pca.a, &pca.b, &pca.loss, &pca.explained] {
                hash_f64s(&mut h, v);
            }
            for path in &pca.paths {
                let flat: Vec<f64> = path.points.iter().flat_map(|&(a, b)| [a, b]).collect();
                hash_f64s(&mut h, &flat);
            }
            out.push((format!("panel {} pca", p.key), hex(h.value())));
        }
        if !p.failures.is_empty() {
            let counts: Vec<String> = p
                .failures
                .iter()
                .map(|c| {
                    format!(
                        "{}: {} runs, {} died, {} diverged, median step {}, {}",
                        c.condition,
                        c.runs,
                        // Every run whose network died at some step: `revived` is a label of the same numbers.
                        c.died + c.revived,
                        c.diverged,
                        c.median_step,
                        if c.in_means { "in the means" } else { "left out" }
                    )
                })
                .collect();
            out.push((format!("panel {} failures", p.key), counts.join("; ")));
        }
    }
    out
}

fn hash_f64s(h: &mut Fnv1a, v: &[f64]) {
    h.bytes(&(v.len() as u64).to_le_bytes());
    v.iter().for_each(|&x| h.f64(x));
}

/// Compares every figure link's entries with the recorded ones and names
/// each that moved, appeared or went missing.
fn check_figures(what: &str, corpus: &[Golden]) {
    assert!(!corpus.is_empty(), "the {what} corpus is empty");
    let mut wrong = Vec::new();
    for &(link, recorded) in corpus {
        let now = figure_entries(link);
        if recorded.is_empty() {
            let lines: Vec<String> = now.iter().map(|(k, v)| format!("            ({k:?}, {v:?}),")).collect();
            wrong.push(format!("{what} {link:?} has no recorded entries; now:\n{}", lines.join("\n")));
            continue;
        }
        let mut moved = Vec::new();
        for &(key, value) in recorded {
            match now.iter().find(|(k, _)| k == key) {
                Some((_, v)) if v == value => {}
                Some((_, v)) => moved.push(format!("  {key}: recorded {value}, now {v}")),
                None => moved.push(format!("  {key}: recorded {value}, now missing")),
            }
        }
        for (key, value) in &now {
            if !recorded.iter().any(|(k, _)| k == key) {
                moved.push(format!("  {key}: not recorded, now {value}"));
            }
        }
        if !moved.is_empty() {
            wrong.push(format!(
                "{what} {link:?}: {} of {} entries moved:\n{}",
                moved.len(),
                recorded.len(),
                moved.join("\n")
            ));
        }
    }
    assert!(wrong.is_empty(), "{} of {} {what} links changed:\n{}", wrong.len(), corpus.len(), wrong.join("\n"));
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
fn figure_links_keep_their_numbers() {
    check_figures("figure", FIGURES_V1);
}

#[test]
fn version_2_training_links_keep_their_fingerprints() {
    check("train v2", LINKS_V2, train_fingerprint);
}

#[test]
fn version_2_figure_links_keep_their_numbers() {
    check_figures("figure v2", FIGURES_V2);
}

#[test]
fn version_3_training_links_keep_their_fingerprints() {
    check("train v3", LINKS_V3, train_fingerprint);
}

#[test]
fn version_3_figure_links_keep_their_numbers() {
    check_figures("figure v3", FIGURES_V3);
}

/// Version 3 changed no setting of an older link: its spellings of older
/// links give their runs, bit for bit; the variants give runs of their own.
#[test]
fn version_3_spellings_of_older_links_are_their_runs() {
    let older = |link: &str| LINKS_V1.iter().chain(LINKS_V2).find(|(l, _)| *l == link).unwrap().1;
    let v3 = |link: &str| LINKS_V3.iter().find(|(l, _)| *l == link).unwrap().1;
    for (old, new) in [
        ("v=2&rule=bp&epochs=2&seed=0&n=2000&batch=100", "v=3&rule=bp&epochs=2&seed=0&n=2000&batch=100"),
        (
            "rule=fa&epochs=2&seed=11&angles=1&n=2000&batch=100",
            "v=3&rule=fa&epochs=2&seed=11&angles=1&n=2000&batch=100",
        ),
        (
            "rule=kp:0.01&epochs=2&seed=13&angles=1&gamma=0.5&n=2000&batch=100",
            "v=3&rule=kp:0.01&epochs=2&seed=13&angles=1&gamma=0.5&n=2000&batch=100",
        ),
    ] {
        assert_eq!(older(old), v3(new), "{new} should be {old}");
    }
    let variants: Vec<&str> = LINKS_V3.iter().map(|(_, f)| *f).filter(|f| !f.is_empty()).collect();
    for (i, f) in variants.iter().enumerate() {
        assert!(!variants[..i].contains(f), "two version-3 links give one run ({f})");
    }
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
    // Version 1 leaves failed runs out of the means, version 2 keeps them: no
    // other figure of version 2 gives version 1's numbers.
    for (v1, v2) in FIGURES_V1[1..].iter().zip(&FIGURES_V2[1..]) {
        assert_ne!(v1.1, v2.1, "{} and {}", v1.0, v2.0);
    }
}

/// A new figure fails here, by name, until a golden link holds its numbers in
/// the current version: a link of the current version's corpus, or one of an
/// older corpus whose figure has the same parameters in the current version
/// (equal parameters give equal numbers; version 3 changed no older preset).
#[test]
fn every_figure_has_a_golden_link_of_the_current_version() {
    use fa_lab::experiments::Preset;
    assert_eq!(fa_lab::versions::CURRENT, 3, "a new link version needs its own golden corpus here");
    let holds = |id: fa_lab::experiments::ExperimentId| {
        let current = FIGURES_V3.iter().any(|(link, _)| link.contains(&format!("&fig={}&", id.name())));
        let unchanged = FIGURES_V2.iter().any(|(link, _)| {
            link.contains(&format!("&fig={}&", id.name()))
                && Preset::ALL.iter().all(|&p| id.params_in(p, 2) == id.params_in(p, fa_lab::versions::CURRENT))
        });
        current || unchanged
    };
    let missing: Vec<&str> =
        fa_lab::experiments::ExperimentId::ALL.iter().filter(|&&id| !holds(id)).map(|id| id.name()).collect();
    assert!(missing.is_empty(), "no golden link of version 3 for {missing:?} in tests/golden/figures.rs");
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
