//! Every experiment's quick preset runs and shows its figure's qualitative
//! claim (docs/math.md §7); aggregation works on partial results; a seed fixes the
//! figure; every panel draws to SVG. Needs the committed asset `www/data/mnist15.bin`.

use std::path::Path;
use std::sync::OnceLock;
use std::time::Instant;

use fa_lab::data::Mnist15;
use fa_lab::experiments::{ExperimentId, FigureData, Params, Preset, RunState, Series, aggregate, run_all, run_one};
use fa_lab::plot::draw_figure;
use plotters::prelude::*;

fn mnist() -> &'static Mnist15 {
    static DATA: OnceLock<Mnist15> = OnceLock::new();
    DATA.get_or_init(|| {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("www/data/mnist15.bin");
        let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        Mnist15::from_asset(&bytes).unwrap()
    })
}

/// Runs an experiment's quick preset (possibly edited) and checks that every panel draws.
fn quick(id: ExperimentId, edit: impl FnOnce(&mut Params)) -> FigureData {
    let mut params = id.params(Preset::Quick);
    edit(&mut params);
    let started = Instant::now();
    let fig = run_all(&params, mnist(), |_| {}).unwrap();
    eprintln!("{id} quick: {} runs in {:.1} s", fig.runs_done, started.elapsed().as_secs_f64());
    assert_eq!(fig.runs_done, fig.runs_total);
    assert!(fig.failed.is_empty(), "{id}: failed runs {:?}", fig.failed);
    for panel in &fig.panels {
        let svg = svg_of(&fig, &panel.key);
        // Non-trivial: a path per series (line + legend) and the axis labels.
        assert!(
            svg.contains(&panel.x_label.replace('&', "&amp;")) || panel.pca.is_some(),
            "{id} {}: no x label",
            panel.key
        );
        assert!(
            svg.matches("<path").count() + svg.matches("<polyline").count() >= panel.series.len(),
            "{id} {}: too few lines",
            panel.key
        );
        assert!(svg.len() > 2000, "{id} {}: SVG of {} bytes", panel.key, svg.len());
    }
    fig
}

fn svg_of(fig: &FigureData, panel: &str) -> String {
    let mut svg = String::new();
    {
        let area = SVGBackend::with_string(&mut svg, (640, 420)).into_drawing_area();
        draw_figure(&area, fig, panel).unwrap();
    }
    svg
}

fn series<'a>(fig: &'a FigureData, panel: &str, key: &str) -> &'a Series {
    let p = fig.panel(panel).unwrap_or_else(|| panic!("no panel {panel}"));
    p.series.iter().find(|s| s.key == key).unwrap_or_else(|| panic!("panel {panel} has no series {key}"))
}

fn last(s: &Series) -> f64 {
    *s.mean.last().unwrap()
}

/// Mean of `s` over the x values in `[lo, hi]`.
fn mean_over(s: &Series, lo: f64, hi: f64) -> f64 {
    let v: Vec<f64> = s.x.iter().zip(&s.mean).filter(|(x, _)| **x >= lo && **x <= hi).map(|(_, m)| *m).collect();
    assert!(!v.is_empty(), "{}: no points in [{lo}, {hi}]", s.key);
    v.iter().sum::<f64>() / v.len() as f64
}

fn at(s: &Series, x: f64) -> f64 {
    let i = s.x.iter().position(|&v| v == x).unwrap_or_else(|| panic!("{} has no x = {x}", s.key));
    s.mean[i]
}

#[test]
fn fig2b_correlated_signals_align_and_independent_ones_do_not() {
    let fig = quick(ExperimentId::Fig2b, |_| {});
    let end = |c: &str| last(series(&fig, "b", &format!("{c}/angle")));
    let (auto, cross, both, none) = (end("auto"), end("cross"), end("both"), end("none"));
    eprintln!("fig2b final ∠(W_1, B_1ᵀ): auto {auto:.1}, cross {cross:.1}, both {both:.1}, none {none:.1}");
    assert!((80.0..100.0).contains(&none), "none: {none}");
    for (name, a) in [("auto", auto), ("cross", cross), ("both", both)] {
        assert!(a < 75.0, "{name}: {a}");
    }
}

#[test]
fn fig6_last_layer_update_is_bp_and_earlier_layers_are_further_off() {
    let fig = quick(ExperimentId::Fig6, |_| {});
    let upd = |l: usize| last(series(&fig, "c", &format!("fa/update/{l}")));
    let angles: Vec<f64> = (0..5).map(upd).collect();
    eprintln!("fig6c final update angles W_0..W_4: {angles:.1?}");
    assert_eq!(angles[4], 0.0, "layer 4's update must be BP's exactly");
    for (l, a) in angles[..4].iter().enumerate() {
        assert!(*a > 5.0, "W_{l}: {a}");
    }
    assert!(angles[0] > angles[3], "earlier layers should be less aligned: {angles:?}");
    // (a) norms grow under FA; (b) W_l aligns with B_lᵀ (below 90°).
    for l in 0..5 {
        let s = series(&fig, "a", &format!("fa/norm/{l}"));
        assert!(last(s) > s.mean[0], "‖W_{l}‖ did not grow: {:?}", s.mean);
    }
    let align: Vec<(f64, f64)> = (1..5)
        .map(|l| {
            (last(series(&fig, "b", &format!("fa/align/{l}"))), last(series(&fig, "b", &format!("fa_wn/align/{l}"))))
        })
        .collect();
    eprintln!("fig6b final ∠(W_l, B_lᵀ) (FA, FA+WN) l = 1..4: {align:.1?}");
    for l in 1..5 {
        let s = series(&fig, "b", &format!("fa/align/{l}"));
        assert!(last(s) < s.mean[0] - 2.0 && last(s) < 88.0, "FA W_{l} does not align: {} → {}", s.mean[0], last(s));
    }
    let fb: Vec<(f64, f64)> = (1..5)
        .map(|l| {
            (
                last(series(&fig, "d", &format!("fa/fbupdate/{l}"))),
                last(series(&fig, "d", &format!("fa_wn/fbupdate/{l}"))),
            )
        })
        .collect();
    eprintln!("fig6d final ∠(B_lᵀ, ΔW_l) (FA, FA+WN) l = 1..4: {fb:.1?}");
    let dfa: Vec<f64> = (0..5).map(|l| last(series(&fig, "c-dfa", &format!("dfa/update/{l}")))).collect();
    eprintln!("fig6 DFA update angles W_0..W_4: {dfa:.1?}");
    assert_eq!(dfa[4], 0.0);
    let acc: Vec<f64> =
        ["bp", "fa", "fa_wn", "dfa"].iter().map(|k| last(series(&fig, "accuracy", &format!("{k}/accuracy")))).collect();
    eprintln!("fig6 final test accuracy (bp, fa, fa_wn, dfa): {acc:.1?}");
    // (e) both paths start at the same point (same initialisation) and the loss grid is filled.
    let pca = fig.panel("e").unwrap().pca.as_ref().expect("PCA panel");
    let (bp, fa) = (&pca.paths[0].points, &pca.paths[1].points);
    assert!((bp[0].0 - fa[0].0).abs() < 1e-6 && (bp[0].1 - fa[0].1).abs() < 1e-6);
    assert!(pca.loss.iter().all(|v| v.is_finite() && *v > 0.0));
    eprintln!("fig6e explained variance {:.2?}, end points BP {:?} FA {:?}", pca.explained, bp.last(), fa.last());
}

#[test]
fn fig6b_weight_normalisation_and_alignment_as_found() {
    // The paper claims WN increases alignment (Fig. 6b). FA Lab records what it
    // finds rather than asserting the claim: the test checks the comparison
    // exists and prints it; the gallery README states the numbers.
    let fig = quick(ExperimentId::Fig6, |p| {
        if let Params::Fig6(p) = p {
            p.include_dfa = false;
            p.runs = 2;
        }
    });
    for l in 1..5 {
        let fa = last(series(&fig, "b", &format!("fa/align/{l}")));
        let wn = last(series(&fig, "b", &format!("fa_wn/align/{l}")));
        eprintln!("fig6b W_{l}: FA {fa:.1}°, FA+WN {wn:.1}°");
        assert!(fa.is_finite() && wn.is_finite() && wn > 0.0 && wn < 90.0);
    }
}

#[test]
fn fig3_orders_that_are_multiples_of_60_stand_out_without_shuffling() {
    let fig = quick(ExperimentId::Fig3, |_| {});
    let mut fixed_gap = 0.0;
    let mut shuffled_gap = 0.0;
    for l in 1..5 {
        for (cond, panel, gap) in [("fixed", "b-late", &mut fixed_gap), ("shuffled", "c-late", &mut shuffled_gap)] {
            let s = series(&fig, panel, &format!("{cond}/order/late/{l}"));
            for o in [60.0, 120.0] {
                let neighbours = (mean_over(s, o - 5.0, o - 1.0) + mean_over(s, o + 1.0, o + 5.0)) / 2.0;
                *gap += (neighbours - at(s, o)) / 8.0;
            }
        }
    }
    eprintln!(
        "fig3 late: neighbours minus multiples of 60 (degrees): fixed {fixed_gap:.1}, shuffled {shuffled_gap:.1}"
    );
    assert!(fixed_gap > 5.0, "fixed order: multiples of 60 do not stand out ({fixed_gap})");
    assert!(shuffled_gap.abs() < fixed_gap / 2.0, "shuffled: {shuffled_gap} vs fixed {fixed_gap}");
    // Early in training every order is aligned (below 90°) on average.
    let early = series(&fig, "b-early", "fixed/order/early/1");
    assert!(mean_over(early, 1.0, 130.0) < 90.0);
}

#[test]
fn fig4_disturbed_copies_still_align() {
    let fig = quick(ExperimentId::Fig4, |_| {});
    for l in 1..5 {
        let real = last(series(&fig, "a", &format!("fa/real/{l}")));
        let dist = last(series(&fig, "a", &format!("fa/disturbed/{l}")));
        let new = last(series(&fig, "b", &format!("fa/disturbed_new/{l}")));
        eprintln!("fig4 W_{l}: real {real:.1}, disturbed {dist:.1}, disturbed with B_new {new:.1}");
        assert!(real < 90.0 && dist < 90.0 && new < 90.0, "W_{l}: {real} {dist} {new}");
    }
}

#[test]
fn fig5_more_label_shuffling_means_less_alignment_and_accuracy() {
    let fig = quick(ExperimentId::Fig5, |_| {});
    let a1 = series(&fig, "a", "final_align/1");
    eprintln!("fig5a final ∠(W_1, B_1ᵀ) by p {:?}: {:.1?}", a1.x, a1.mean);
    for l in 1..5 {
        let s = series(&fig, "a", &format!("final_align/{l}"));
        eprintln!("fig5a W_{l}: {:.1?}", s.mean);
    }
    let acc0 = last(series(&fig, "d", "p0/accuracy"));
    let acc1 = last(series(&fig, "d", "p1/accuracy"));
    eprintln!("fig5d final test accuracy p=0 {acc0:.1}%, p=1 {acc1:.1}%");
    assert!(acc0 > acc1 + 20.0, "{acc0} vs {acc1}");
    assert!(at(a1, 0.0) < at(a1, 1.0), "p = 0 should align W_1 more than p = 1");
    let c = series(&fig, "c", "p1/order/late/1");
    let gap = (mean_over(c, 55.0, 59.0) + mean_over(c, 61.0, 65.0)) / 2.0 - at(c, 60.0);
    eprintln!("fig5c p=1: order 60 is {gap:.1}° more aligned than its neighbours");
    assert!(fig.panel("b").unwrap().log_y);
}

#[test]
fn fig7_has_a_curve_per_threshold() {
    let fig = quick(ExperimentId::Fig7, |_| {});
    let Params::Fig7(p) = &fig.params else { unreachable!() };
    for t in &p.thresholds {
        let acc = series(&fig, "accuracy", &format!("T{t}/accuracy"));
        let loss = series(&fig, "loss", &format!("T{t}/loss"));
        assert_eq!(acc.x.len(), p.train.epochs);
        assert!(loss.x.len() > 10);
        eprintln!("fig7 T = {t}: test accuracy per epoch {:.1?}", acc.mean);
    }
}

#[test]
fn rules_compares_five_rules() {
    let fig = quick(ExperimentId::Rules, |_| {});
    let acc = fig.panel("accuracy").unwrap();
    assert_eq!(acc.series.len(), 5);
    for s in &acc.series {
        eprintln!("rules {}: test accuracy {:.1?}", s.label, s.mean);
        assert!(last(s) > 50.0, "{}: {}", s.label, last(s));
    }
    for s in &fig.panel("update").unwrap().series {
        eprintln!("rules {}: mean update angle vs BP at the end {:.1}", s.label, last(s));
        assert!(last(s) < 90.0);
    }
}

#[test]
fn aggregate_works_on_partial_runs_and_chunked_runs_match_whole_ones() {
    let params = ExperimentId::Fig7.params(Preset::Quick);
    let specs = params.runs().unwrap();
    assert_eq!(specs.len(), 8);
    // Partial: only the first spec, advanced in small chunks.
    let mut state = RunState::new(&specs[0], mnist()).unwrap();
    let mut calls = 0;
    let chunked = loop {
        calls += 1;
        if let Some(r) = state.advance(7).unwrap() {
            break r;
        }
    };
    assert!(calls > 10);
    assert_eq!(chunked, run_one(&specs[0], mnist()).unwrap());
    let partial = aggregate(&params, std::slice::from_ref(&chunked)).unwrap();
    assert_eq!((partial.runs_done, partial.runs_total), (1, 8));
    let s = series(&partial, "accuracy", "T0/accuracy");
    assert!(s.n.iter().all(|&n| n == 1) && s.sd.iter().all(|&sd| sd == 0.0));
    // Panels of conditions not yet run are empty but still draw.
    assert!(svg_of(&partial, "loss").contains("T = 0") || svg_of(&partial, "loss").contains("BP only"));
    // Nothing finished yet: still a figure.
    let empty = aggregate(&params, &[]).unwrap();
    assert!(empty.panels.iter().all(|p| p.series.is_empty()));
    assert!(svg_of(&empty, "accuracy").contains("no finished runs"));
    // Run specs and results cross a JSON boundary (Web Workers); serde_json's
    // default float parser may differ in the last bit, so compare re-serialised text.
    let json = serde_json::to_string(&chunked).unwrap();
    let back: fa_lab::experiments::RunResult = serde_json::from_str(&json).unwrap();
    for (a, b) in back.curves.iter().zip(&chunked.curves) {
        assert_eq!((&a.key, &a.x), (&b.key, &b.x));
        assert!(a.y.iter().zip(&b.y).all(|(p, q)| (p - q).abs() <= 1e-12 * q.abs().max(1.0)));
    }
    assert_eq!(
        (back.run, back.condition, back.steps, back.curves.len()),
        (chunked.run, chunked.condition, chunked.steps, chunked.curves.len())
    );
    let spec_json = serde_json::to_string(&specs[3]).unwrap();
    assert_eq!(serde_json::from_str::<fa_lab::experiments::RunSpec>(&spec_json).unwrap(), specs[3]);
}

#[test]
fn same_seed_same_figure_and_other_seed_other_figure() {
    let json = |seed: u64| {
        let mut p = ExperimentId::Fig2b.params(Preset::Quick);
        p.set_seed(seed);
        p.set_runs(2);
        serde_json::to_string(&run_all(&p, mnist(), |_| {}).unwrap()).unwrap()
    };
    assert_eq!(json(5), json(5));
    assert_ne!(json(5), json(6));
    let train = |seed: u64| {
        let mut p = ExperimentId::Fig7.params(Preset::Quick);
        p.set_seed(seed);
        p.set_runs(1);
        if let Params::Fig7(p) = &mut p {
            p.thresholds = vec![1];
            p.train.epochs = 2;
        }
        serde_json::to_string(&run_all(&p, mnist(), |_| {}).unwrap()).unwrap()
    };
    assert_eq!(train(3), train(3));
}

#[test]
fn bad_parameters_are_invalid_param_errors() {
    let check = |edit: fn(&mut Params), id: ExperimentId| {
        let mut p = id.params(Preset::Quick);
        edit(&mut p);
        assert!(matches!(p.runs(), Err(fa_lab::Error::InvalidParam(_))), "{id}: {p:?}");
    };
    check(|p| p.set_runs(0), ExperimentId::Fig6);
    check(
        |p| {
            if let Params::Fig3(p) = p {
                p.early_step = 10
            }
        },
        ExperimentId::Fig3,
    );
    check(
        |p| {
            if let Params::Fig5(p) = p {
                p.fractions = vec![1.5]
            }
        },
        ExperimentId::Fig5,
    );
    check(
        |p| {
            if let Params::Fig2b(p) = p {
                p.eta = -1.0
            }
        },
        ExperimentId::Fig2b,
    );
    assert!("fig9".parse::<ExperimentId>().is_err());
    assert!("fast".parse::<Preset>().is_err());
    for id in ExperimentId::ALL {
        assert_eq!(id.name().parse::<ExperimentId>().unwrap(), id);
        // Both presets validate and round-trip through JSON.
        for preset in [Preset::Quick, Preset::Paper] {
            let p = id.params(preset);
            p.validate().unwrap();
            assert_eq!(serde_json::from_str::<Params>(&serde_json::to_string(&p).unwrap()).unwrap(), p);
        }
    }
}

#[test]
fn cli_writes_svg_json_csv_and_rejects_bad_arguments_with_exit_2() {
    let exe = env!("CARGO_BIN_EXE_fa-lab");
    let out = std::env::temp_dir().join(format!("fa-lab-figure-test-{}", std::process::id()));
    let data = Path::new(env!("CARGO_MANIFEST_DIR")).join("www/data/mnist15.bin");
    let run = |args: &[&str]| {
        std::process::Command::new(exe).args(args).arg("--data").arg(&data).arg("--out").arg(&out).output().unwrap()
    };
    let ok = run(&["figure", "fig2b", "--preset", "quick", "--runs", "2", "--seed", "7"]);
    assert!(ok.status.success(), "{}", String::from_utf8_lossy(&ok.stderr));
    for file in ["fig2b-b.svg", "fig2b.json", "fig2b.csv"] {
        assert!(out.join(file).metadata().unwrap().len() > 500, "{file}");
    }
    let fig: FigureData = serde_json::from_str(&std::fs::read_to_string(out.join("fig2b.json")).unwrap()).unwrap();
    assert_eq!((fig.runs_done, fig.params.seed()), (8, 7));
    for bad in [&["figure", "fig9"][..], &["figure", "fig6", "--preset", "fast"], &["figure", "fig6", "--runs", "0"]] {
        assert_eq!(run(bad).status.code(), Some(2), "{bad:?}");
    }
    std::fs::remove_dir_all(&out).unwrap();
}
