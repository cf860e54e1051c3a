//! The wasm binding, tested in headless Chromium (wasm-bindgen-test): the
//! exported `Lab` decodes an asset, refuses damaged ones with a message, and
//! draws non-blank pixels onto a real canvas; a `Figure` takes its runs'
//! results one at a time and draws and exports its panels; a `Run` is made
//! from its link and its exports cite it; drawing measures text on the canvas,
//! never in the document; the simd128 kernels give the scalar reference's bits
//! (tests/kernels.rs checks the native paths the same way).
#![cfg(target_arch = "wasm32")]

use fa_lab::data::{Mnist15, N_PIXELS, Split};
use fa_lab::web::{
    ExperimentRun, Figure, Lab, LabLoader, Run, asset_expected_bytes, bench_baseline, bench_median, simd_enabled,
};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_test::*;
use web_sys::{CanvasRenderingContext2d, HtmlCanvasElement};

wasm_bindgen_test_configure!(run_in_browser);

fn asset() -> Vec<u8> {
    let split = |n: usize| {
        Split::new(
            (0..n * N_PIXELS).map(|i| if (i / 15) % 3 == 0 { 255 } else { 0 }).collect(),
            (0..n).map(|i| (i % 10) as u8).collect(),
        )
    };
    Mnist15 { train: split(30), test: split(10) }.to_asset().unwrap()
}

fn canvas(w: u32, h: u32) -> HtmlCanvasElement {
    let doc = web_sys::window().unwrap().document().unwrap();
    let c: HtmlCanvasElement = doc.create_element("canvas").unwrap().dyn_into().unwrap();
    c.set_width(w);
    c.set_height(h);
    doc.body().unwrap().append_child(&c).unwrap();
    c
}

/// Pixels painted in a colour other than white (a fresh canvas is transparent).
fn inked_pixels(c: &HtmlCanvasElement) -> usize {
    let ctx: CanvasRenderingContext2d = c.get_context("2d").unwrap().unwrap().dyn_into().unwrap();
    let data = ctx.get_image_data(0.0, 0.0, c.width() as f64, c.height() as f64).unwrap().data();
    data.chunks_exact(4).filter(|p| p[3] > 0 && (p[0] < 250 || p[1] < 250 || p[2] < 250)).count()
}

#[wasm_bindgen_test]
fn built_with_simd128() {
    assert!(simd_enabled());
}

/// `len` values in [-3, 3) from an LCG, every third one an exact zero (the
/// sparse products' case), with NaN, ±∞ and values beyond tanh's clamp.
fn values(len: usize, seed: u64) -> Vec<f32> {
    let mut s = seed | 1;
    let mut v: Vec<f32> = (0..len)
        .map(|i| {
            s = s.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            if i % 3 == 0 { 0.0 } else { ((s >> 40) as f32 / (1u64 << 24) as f32) * 6.0 - 3.0 }
        })
        .collect();
    for (i, x) in [f32::NAN, f32::INFINITY, f32::NEG_INFINITY, 12.5, -40.0, -0.0].into_iter().enumerate() {
        if let Some(z) = v.get_mut(2 + 7 * i) {
            *z = x;
        }
    }
    v
}

#[wasm_bindgen_test]
fn the_simd128_kernels_give_the_scalar_bits() {
    use fa_lab::kernels::{Path, on};
    let bits = |v: &[f32]| v.iter().map(|x| x.to_bits()).collect::<Vec<u32>>();
    for &(m, k, n) in &[(1000, 50, 50), (37, 225, 50), (5, 3, 1), (100, 1, 3), (9, 17, 13), (23, 300, 13)] {
        let (a, b) = (values(m * k, 1), values(k * n, 2));
        // Finite B as well, so that products whose A has zeros take the sparse path.
        let b_finite: Vec<f32> = b.iter().map(|&x| if x.is_finite() { x } else { 0.5 }).collect();
        for b in [&b, &b_finite] {
            let mut want = vec![0.0; m * n];
            on::gemm_nn(Path::Scalar, m, k, n, &a, b, &mut want);
            let mut got = vec![0.0; m * n];
            on::gemm_nn(Path::Simd128, m, k, n, &a, b, &mut got);
            assert_eq!(bits(&got), bits(&want), "gemm_nn {m}x{k}x{n}");
            // Aᵀ·B with A stored k×m: the same values read as a k×m matrix.
            let mut want = values(m * n, 3);
            let mut got = want.clone();
            on::gemm_tn_acc(Path::Scalar, m, k, n, -0.25, &a, b, &mut want);
            on::gemm_tn_acc(Path::Simd128, m, k, n, -0.25, &a, b, &mut got);
            assert_eq!(bits(&got), bits(&want), "gemm_tn_acc {m}x{k}x{n}");
        }
        // A without zeros and finite, B with them: gemm_tn computed as its transpose from B's terms.
        let a_dense: Vec<f32> = a.iter().map(|&x| if x.is_finite() && x != 0.0 { x } else { 1.5 }).collect();
        let mut want = values(m * n, 3);
        let mut got = want.clone();
        on::gemm_tn_acc(Path::Scalar, m, k, n, -0.25, &a_dense, &b, &mut want);
        on::gemm_tn_acc(Path::Simd128, m, k, n, -0.25, &a_dense, &b, &mut got);
        assert_eq!(bits(&got), bits(&want), "gemm_tn_acc, zeros in B {m}x{k}x{n}");
        let bias = values(n, 4);
        let mut want = values(m * n, 5);
        let mut got = want.clone();
        on::bias_tanh_relu(Path::Scalar, &mut want, &bias);
        on::bias_tanh_relu(Path::Simd128, &mut got, &bias);
        assert_eq!(bits(&got), bits(&want), "bias_tanh_relu {m}x{n}");
        let g0 = values(m * n, 6);
        let (mut want_g, mut got_g) = (g0.clone(), g0);
        on::mul_tanh_relu_deriv(Path::Scalar, &mut want_g, &want);
        on::mul_tanh_relu_deriv(Path::Simd128, &mut got_g, &want);
        assert_eq!(bits(&got_g), bits(&want_g), "mul_tanh_relu_deriv {m}x{n}");
        let (mut want_s, mut got_s) = (vec![0.0; n], vec![0.0; n]);
        on::col_sum(Path::Scalar, m, n, 0.5, &want_g, &mut want_s);
        on::col_sum(Path::Simd128, m, n, 0.5, &want_g, &mut got_s);
        assert_eq!(bits(&got_s), bits(&want_s), "col_sum {m}x{n}");
    }
}

#[wasm_bindgen_test]
fn lab_decodes_the_asset_and_reports_labels() {
    let bytes = asset();
    assert_eq!(asset_expected_bytes(&bytes[..32]).unwrap(), bytes.len());
    let lab = Lab::new(&bytes).unwrap();
    assert_eq!((lab.n_train(), lab.n_test()), (30, 10));
    assert_eq!(lab.train_labels(8, 4).unwrap(), vec![8, 9, 0, 1]);
    assert_eq!(lab.train_histogram(), vec![3; 10]);
    assert!(lab.train_labels(29, 2).is_err());
}

#[wasm_bindgen_test]
fn the_loader_decodes_in_slices_to_the_same_lab() {
    let bytes = asset();
    let mut loader = LabLoader::new(bytes.len()).unwrap();
    for part in bytes.chunks(1000) {
        loader.append(part).unwrap();
    }
    let mut slices = 0;
    while !loader.step(500).unwrap() {
        slices += 1;
    }
    assert!(slices >= 3, "{slices} slices");
    let lab = loader.finish().unwrap();
    assert_eq!(lab.train_labels(8, 4).unwrap(), vec![8, 9, 0, 1]);
    assert_eq!(lab.train_histogram(), Lab::new(&asset()).unwrap().train_histogram());
    let mut truncated = LabLoader::new(bytes.len() - 1).unwrap();
    truncated.append(&bytes[..bytes.len() - 1]).unwrap();
    assert!(truncated.step(500).is_err(), "a truncated file fails at its first step");
    let mut whole = LabLoader::new(bytes.len()).unwrap();
    whole.append(&bytes).unwrap();
    assert_eq!(whole.finish().unwrap().train_histogram(), vec![3; 10], "finish decodes what no step did");
}

#[wasm_bindgen_test]
fn damaged_assets_are_refused() {
    let mut bytes = asset();
    assert!(Lab::new(&bytes[..bytes.len() - 1]).is_err());
    let last = bytes.len() - 9;
    bytes[last] ^= 0xff;
    assert!(Lab::new(&bytes).is_err());
}

#[wasm_bindgen_test]
fn drawing_puts_ink_on_the_canvas() {
    let lab = Lab::new(&asset()).unwrap();
    let digits = canvas(320, 120);
    assert_eq!(inked_pixels(&digits), 0);
    lab.draw_digits(digits.clone(), 0, 8, 4, JsValue::UNDEFINED).unwrap();
    assert!(inked_pixels(&digits) > 2000, "digits drew {} pixels", inked_pixels(&digits));
    let hist = canvas(400, 300);
    lab.draw_histogram(hist.clone(), JsValue::UNDEFINED).unwrap();
    assert!(inked_pixels(&hist) > 1000);
    assert!(lab.draw_digits(canvas(10, 10), 25, 10, 4, JsValue::UNDEFINED).is_err());
}

/// Starts counting reads of an element's `offsetHeight` (each one makes the
/// browser lay the page out); the returned function stops and gives the count.
fn count_layout_reads() -> js_sys::Function {
    let start = js_sys::Function::new_no_args(
        r#"
        const own = Object.getOwnPropertyDescriptor(HTMLElement.prototype, 'offsetHeight');
        let reads = 0;
        Object.defineProperty(HTMLElement.prototype, 'offsetHeight', {
            configurable: true,
            get() { reads++; return own.get.call(this); },
        });
        return () => { Object.defineProperty(HTMLElement.prototype, 'offsetHeight', own); return reads; };
        "#,
    );
    start.call0(&JsValue::NULL).unwrap().into()
}

#[wasm_bindgen_test]
fn panels_measure_their_text_on_the_canvas_not_in_the_document() {
    // The histogram has a caption and a legend: plotters' own measure puts
    // each text in a span in the document and reads its size back.
    let lab = Lab::new(&asset()).unwrap();
    let hist = canvas(400, 300);
    let stop = count_layout_reads();
    let drawn = lab.draw_histogram(hist.clone(), JsValue::UNDEFINED);
    let reads = stop.call0(&JsValue::NULL).unwrap().as_f64().unwrap();
    drawn.unwrap();
    assert_eq!(reads, 0.0, "drawing a panel read the size of {reads} elements");
    assert!(inked_pixels(&hist) > 1000);
}

/// `{format: "json"}`, the options of a JSON export.
fn json_export() -> JsValue {
    js_sys::JSON::parse(r#"{"format": "json"}"#).unwrap()
}

#[wasm_bindgen_test]
fn a_figure_takes_results_one_at_a_time_and_draws_its_panels() {
    let lab = Lab::new(&asset()).unwrap();
    let link = "v=2&fig=fig2b&preset=quick&runs=1&seed=0";
    let mut figure = Figure::new(link).unwrap();
    let specs: js_sys::Array = figure.specs().unwrap().into();
    assert_eq!((specs.length(), figure.runs_total(), figure.runs_done()), (4, 4, 0));
    let key = figure.panel_keys()[0].clone();
    // Last run first: the figure keeps them in run order.
    for i in (0..figure.runs_total()).rev() {
        let mut run = ExperimentRun::new(&lab, specs.get(i as u32)).unwrap();
        let result = loop {
            let r = run.advance(500).unwrap();
            if !r.is_undefined() {
                break r;
            }
        };
        assert!(figure.add_result(i, result).unwrap().is_undefined(), "nothing stored to compare with");
    }
    assert_eq!(figure.runs_done(), 4);
    let c = canvas(560, 380);
    figure.draw_panel(c.clone(), &key, JsValue::UNDEFINED).unwrap();
    assert!(inked_pixels(&c) > 5000, "the panel drew {} pixels", inked_pixels(&c));
    assert!(figure.describe_panel(&key).unwrap().len() > 20);
    assert!(figure.draw_panel(canvas(10, 10), "zz", JsValue::UNDEFINED).is_err());
    // An export cites the figure's link and its runs' fingerprints.
    let json: serde_json::Value = serde_json::from_str(&figure.export_panel(&key, json_export()).unwrap()).unwrap();
    assert_eq!(json["provenance"]["link"], format!("#/figures?{link}"));
    assert_eq!(json["provenance"]["runs"].as_array().unwrap().len(), 4);
    assert!(Figure::new("v=2&fig=fig2b&runs=0").is_err());
}

#[wasm_bindgen_test]
fn a_run_is_made_from_its_link_and_its_exports_cite_it() {
    let lab = Lab::new(&asset()).unwrap();
    let link = "rule=fa&epochs=1&seed=2&n=30&batch=10&sizes=225,20,50";
    let mut run = Run::new(&lab, link).unwrap();
    assert_eq!(run.link(), link);
    assert!(!run.shows_panel("updates") && run.shows_panel("loss"));
    while !run.is_done() {
        run.advance(2).unwrap();
    }
    assert_eq!((run.iteration(), run.test_accuracies().len()), (3, 1));
    let c = canvas(400, 300);
    run.draw_panel(c.clone(), "loss", JsValue::UNDEFINED).unwrap();
    assert!(inked_pixels(&c) > 1000);
    let json: serde_json::Value = serde_json::from_str(&run.export_panel("loss", json_export()).unwrap()).unwrap();
    assert_eq!(json["provenance"]["link"], format!("#/train?{link}"));
    assert_eq!(json["provenance"]["runs"][0]["fingerprint"], run.fingerprint());
    assert!(Run::new(&lab, "rule=zz").is_err());
}

#[wasm_bindgen_test]
fn the_speed_view_takes_the_cores_median_and_baselines() {
    assert_eq!(bench_median(&[3.0, 1.0, 4.0, 2.0]).unwrap(), 3.0, "the upper median, as fa-lab bench");
    assert!(bench_median(&[]).is_err());
    assert_eq!(bench_baseline("update-angles").unwrap(), "metrics");
    assert_eq!(bench_baseline("alignment").unwrap(), "step");
    assert!(bench_baseline("nope").is_err());
}
