//! The committed data asset and `fa-lab prepare-mnist`, checked from outside.

use std::path::{Path, PathBuf};
use std::process::Command;

use fa_lab::data::{self, Mnist15, N_PIXELS};

fn asset_path() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("www/data/mnist15.bin")
}

fn load_asset() -> Mnist15 {
    let bytes = std::fs::read(asset_path()).expect("www/data/mnist15.bin is committed");
    Mnist15::from_asset(&bytes).expect("the committed asset decodes")
}

#[test]
fn committed_asset_has_real_mnist_counts_and_class_histograms() {
    let m = load_asset();
    assert_eq!((m.train.len(), m.test.len()), (60_000, 10_000));
    // The published class counts of MNIST: a resampling or shuffling bug
    // that loses or reorders labels against images cannot keep both.
    assert_eq!(m.train.class_histogram(), [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949]);
    assert_eq!(m.test.class_histogram(), [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]);
}

#[test]
fn committed_asset_header_and_pixels_are_plausible() {
    let bytes = std::fs::read(asset_path()).unwrap();
    let h = data::AssetHeader::parse(&bytes).unwrap();
    assert_eq!(h.version, data::FORMAT_VERSION);
    assert_eq!(h.compressed_len + 32, bytes.len());
    let m = Mnist15::from_asset(&bytes).unwrap();
    // Digits are dark background with bright strokes: corners are black,
    // and the mean intensity of 15×15 MNIST is about a tenth to a fifth of full scale.
    let mean = m.train.pixels.iter().map(|&p| p as f64).sum::<f64>() / m.train.pixels.len() as f64;
    assert!((20.0..60.0).contains(&mean), "mean pixel {mean}");
    for i in (0..m.train.len()).step_by(997) {
        assert_eq!(m.train.image(i)[0], 0, "corner of image {i}");
    }
}

#[test]
fn committed_asset_matches_the_raw_idx_files_when_they_are_here() {
    // The raw IDX files are not in the repository (the committed asset is);
    // FA_LAB_MNIST_IDX names a folder that holds them. Without it the
    // cross-check is skipped, and says so.
    let Some(dir) = std::env::var_os("FA_LAB_MNIST_IDX").map(std::path::PathBuf::from) else {
        eprintln!("note: FA_LAB_MNIST_IDX is not set; cross-check against the raw MNIST files skipped");
        return;
    };
    let path = dir.join("t10k-images-idx3-ubyte.gz");
    let Ok(gz) = std::fs::read(&path) else {
        eprintln!("note: {} not found; cross-check against the raw MNIST files skipped", path.display());
        return;
    };
    let idx = data::parse_idx(&gunzip(&gz)).unwrap();
    let m = load_asset();
    for i in [0usize, 1, 4321, 9999] {
        let img = &idx.data[i * 784..(i + 1) * 784];
        assert_eq!(&data::resample_area(img, 28)[..], m.test.image(i), "test image {i}");
    }
}

/// Gunzips with the library's own inflater (independent of the CLI's flate2):
/// a gzip member is a 10-byte header, optional fields, raw deflate, an 8-byte trailer.
fn gunzip(gz: &[u8]) -> Vec<u8> {
    assert_eq!(&gz[..3], &[0x1f, 0x8b, 8], "gzip magic");
    let flags = gz[3];
    let mut start = 10;
    if flags & 0x04 != 0 {
        start += 2 + u16::from_le_bytes([gz[10], gz[11]]) as usize;
    }
    if flags & 0x08 != 0 {
        start += gz[start..].iter().position(|&b| b == 0).unwrap() + 1;
    }
    miniz_oxide::inflate::decompress_to_vec(&gz[start..gz.len() - 8]).unwrap()
}

fn write_idx(path: &Path, type_dims: &[usize], data: &[u8]) {
    let mut f = vec![0, 0, 8, type_dims.len() as u8];
    for &d in type_dims {
        f.extend_from_slice(&(d as u32).to_be_bytes());
    }
    f.extend_from_slice(data);
    std::fs::write(path, f).unwrap();
}

#[test]
fn prepare_mnist_builds_an_asset_from_small_synthetic_idx_files() {
    let dir = std::env::temp_dir().join(format!("fa-lab-prepare-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    // Image i is constant at brightness 10·i, so every resampled pixel is 10·i.
    let mk = |n: usize| -> (Vec<u8>, Vec<u8>) {
        let px = (0..n).flat_map(|i| std::iter::repeat_n((10 * i) as u8, 784)).collect();
        let labels = (0..n).map(|i| (i % 10) as u8).collect();
        (px, labels)
    };
    let (tr_px, tr_lb) = mk(12);
    let (te_px, te_lb) = mk(5);
    write_idx(&dir.join("train-images-idx3-ubyte"), &[12, 28, 28], &tr_px);
    write_idx(&dir.join("train-labels-idx1-ubyte"), &[12], &tr_lb);
    write_idx(&dir.join("t10k-images-idx3-ubyte"), &[5, 28, 28], &te_px);
    write_idx(&dir.join("t10k-labels-idx1-ubyte"), &[5], &te_lb);
    let out = dir.join("out/mnist15.bin");
    let prepare = || {
        Command::new(env!("CARGO_BIN_EXE_fa-lab"))
            .args(["prepare-mnist", "--idx-dir"])
            .arg(&dir)
            .arg("--out")
            .arg(&out)
            .output()
            .unwrap()
    };
    assert!(prepare().status.success());
    let m = Mnist15::from_asset(&std::fs::read(&out).unwrap()).unwrap();
    assert_eq!((m.train.len(), m.test.len()), (12, 5));
    assert_eq!(m.train.labels, tr_lb);
    for i in 0..12 {
        assert!(m.train.image(i).iter().all(|&p| p as usize == 10 * i), "train image {i}");
    }
    assert_eq!(m.test.pixels.len(), 5 * N_PIXELS);

    // A truncated label file is refused with a message, not a panic.
    std::fs::write(dir.join("t10k-labels-idx1-ubyte"), [0, 0, 8, 1, 0, 0, 0, 5, 1, 2]).unwrap();
    let output = prepare();
    assert!(!output.status.success());
    let err = String::from_utf8_lossy(&output.stderr);
    assert!(err.contains("corrupt data") && err.contains("need 5 bytes"), "{err}");
    std::fs::remove_dir_all(&dir).unwrap();
}
