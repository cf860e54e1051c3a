//! 15×15 MNIST (docs/math.md §6): the IDX reader, the 28×28 → 15×15 area resampler and
//! the compact asset the page and the CLI load.
//!
//! The asset (`www/data/mnist15.bin`) is a 32-byte header followed by a zlib
//! stream of the payload:
//!
//! | bytes | field |
//! |---|---|
//! | 0..8 | magic `FALABMN1` |
//! | 8..12 | format version, u32 LE ([`FORMAT_VERSION`]) |
//! | 12..16 | image side, u32 LE (15) |
//! | 16..20 | number of training images, u32 LE |
//! | 20..24 | number of test images, u32 LE |
//! | 24..28 | CRC-32 of the uncompressed payload, u32 LE |
//! | 28..32 | length of the compressed payload, u32 LE |
//!
//! Payload: training pixels (row-major, one byte each), training labels, test
//! pixels, test labels.

use crate::{Error, Result};
use std::sync::Arc;

/// Side of a resampled image.
pub const SIDE: usize = 15;
/// Pixels per resampled image.
pub const N_PIXELS: usize = SIDE * SIDE;
/// Number of digit classes.
pub const N_CLASSES: usize = 10;
/// Version of the asset layout; bump it when the layout changes.
pub const FORMAT_VERSION: u32 = 1;

const MAGIC: &[u8; 8] = b"FALABMN1";
const HEADER_LEN: usize = 32;
/// Upper bound on the decompressed payload, so a forged header cannot make us
/// allocate without limit (70,000 images need 15.8 MB).
const MAX_PAYLOAD: usize = 64 << 20;

/// One split (train or test): `n` images of [`N_PIXELS`] bytes and their labels.
///
/// The pixels are shared (`Arc`): cloning a split, as every training run does,
/// costs no copy of the 13.5 MB of training images.
#[derive(Debug, Clone, PartialEq)]
pub struct Split {
    pub pixels: Arc<Vec<u8>>,
    pub labels: Vec<u8>,
}

impl Split {
    /// A split from its pixels (`n × N_PIXELS` bytes) and labels (checked when
    /// it is written as an asset or read from one, not here).
    pub fn new(pixels: Vec<u8>, labels: Vec<u8>) -> Split {
        Split { pixels: Arc::new(pixels), labels }
    }

    /// Number of images.
    pub fn len(&self) -> usize {
        self.labels.len()
    }

    pub fn is_empty(&self) -> bool {
        self.labels.is_empty()
    }

    /// The pixels of image `i`.
    pub fn image(&self, i: usize) -> &[u8] {
        &self.pixels[i * N_PIXELS..(i + 1) * N_PIXELS]
    }

    /// How many images of each class.
    pub fn class_histogram(&self) -> [usize; N_CLASSES] {
        let mut h = [0; N_CLASSES];
        for &l in &self.labels {
            h[l as usize] += 1;
        }
        h
    }

    fn check(&self, name: &str) -> Result<()> {
        if self.pixels.len() != self.labels.len() * N_PIXELS {
            return Err(Error::CorruptData(format!(
                "{name}: {} pixel bytes for {} labels",
                self.pixels.len(),
                self.labels.len()
            )));
        }
        if let Some(&bad) = self.labels.iter().find(|&&l| l as usize >= N_CLASSES) {
            return Err(Error::CorruptData(format!("{name}: label {bad} is not a digit")));
        }
        Ok(())
    }
}

/// The whole data set as the lab uses it.
#[derive(Debug, Clone, PartialEq)]
pub struct Mnist15 {
    pub train: Split,
    pub test: Split,
}

impl Mnist15 {
    /// Serialises to the asset format described in the module docs.
    pub fn to_asset(&self) -> Result<Vec<u8>> {
        self.train.check("train")?;
        self.test.check("test")?;
        let mut payload = Vec::with_capacity((self.train.len() + self.test.len()) * (N_PIXELS + 1));
        for split in [&self.train, &self.test] {
            payload.extend_from_slice(&split.pixels);
            payload.extend_from_slice(&split.labels);
        }
        let compressed = miniz_oxide::deflate::compress_to_vec_zlib(&payload, 10);
        let mut out = Vec::with_capacity(HEADER_LEN + compressed.len());
        out.extend_from_slice(MAGIC);
        for v in [
            FORMAT_VERSION,
            SIDE as u32,
            self.train.len() as u32,
            self.test.len() as u32,
            crc32fast::hash(&payload),
            compressed.len() as u32,
        ] {
            out.extend_from_slice(&v.to_le_bytes());
        }
        out.extend_from_slice(&compressed);
        Ok(out)
    }

    /// Parses and verifies an asset: magic, version, sizes, checksum, labels.
    pub fn from_asset(bytes: &[u8]) -> Result<Mnist15> {
        AssetDecoder::new(bytes)?.finish()
    }
}

/// Decodes an asset a slice of the payload at a time, so a page can spread
/// inflating it (about half a second) over animation frames;
/// [`Mnist15::from_asset`] runs it in one go. Checks as it goes: the header
/// and length at [`AssetDecoder::new`], the stream and the CRC-32 when the
/// last byte is in, the labels at [`AssetDecoder::finish`].
pub struct AssetDecoder<B: AsRef<[u8]>> {
    bytes: B,
    header: AssetHeader,
    inflater: Box<miniz_oxide::inflate::core::DecompressorOxide>,
    /// Compressed bytes read so far (after the header).
    read: usize,
    /// Inflated straight into a buffer reserved at the announced size (the
    /// header's counts are bounded by MAX_PAYLOAD): no doubling Vec, which
    /// would leave up to twice the payload in wasm memory, which never
    /// shrinks. Its length grows a step at a time, so that a page touches
    /// (and zeroes) the memory in the steps that fill it, not all at once.
    payload: Vec<u8>,
    /// The payload's announced length.
    expected: usize,
    written: usize,
    crc: crc32fast::Hasher,
    done: bool,
}

impl<B: AsRef<[u8]>> AssetDecoder<B> {
    /// Checks the header and the length; inflates nothing yet.
    pub fn new(bytes: B) -> Result<Self> {
        let all = bytes.as_ref();
        let header = AssetHeader::parse(all)?;
        if all.len() - HEADER_LEN != header.compressed_len {
            return Err(Error::CorruptData(format!(
                "the file is {} bytes but its header announces {} (truncated download?)",
                all.len(),
                HEADER_LEN + header.compressed_len
            )));
        }
        let expected = (header.n_train + header.n_test) * (N_PIXELS + 1);
        Ok(AssetDecoder {
            bytes,
            header,
            inflater: Box::default(),
            read: 0,
            payload: Vec::with_capacity(expected),
            expected,
            written: 0,
            crc: crc32fast::Hasher::new(),
            done: false,
        })
    }

    /// Inflates up to `max_bytes` more of the payload; true once all of it is in and checked.
    pub fn step(&mut self, max_bytes: usize) -> Result<bool> {
        use miniz_oxide::inflate::TINFLStatus;
        use miniz_oxide::inflate::core::{decompress_with_limit, inflate_flags};
        if self.done {
            return Ok(true);
        }
        let flags =
            inflate_flags::TINFL_FLAG_PARSE_ZLIB_HEADER | inflate_flags::TINFL_FLAG_USING_NON_WRAPPING_OUTPUT_BUF;
        let input = &self.bytes.as_ref()[HEADER_LEN + self.read..];
        let room = self.written.saturating_add(max_bytes.max(1)).min(self.expected);
        if self.payload.len() < room {
            self.payload.resize(room, 0);
        }
        let (status, read, written) =
            decompress_with_limit(&mut self.inflater, input, &mut self.payload, self.written, max_bytes.max(1), flags);
        self.crc.update(&self.payload[self.written..self.written + written]);
        self.read += read;
        self.written += written;
        let expected = self.expected;
        match status {
            TINFLStatus::Done => {}
            TINFLStatus::HasMoreOutput if self.written < expected => return Ok(false),
            TINFLStatus::HasMoreOutput => {
                return Err(Error::CorruptData(format!(
                    "the payload is longer than the {expected} bytes its header announces"
                )));
            }
            status => return Err(Error::CorruptData(format!("the compressed payload does not decode ({status:?})"))),
        }
        if self.written != expected {
            return Err(Error::CorruptData(format!("payload has {} bytes, expected {expected}", self.written)));
        }
        if self.crc.clone().finalize() != self.header.crc32 {
            return Err(Error::CorruptData("checksum mismatch: the file is damaged".into()));
        }
        self.done = true;
        Ok(true)
    }

    /// Share of the payload inflated so far, in [0, 1].
    pub fn fraction(&self) -> f64 {
        self.written as f64 / self.expected.max(1) as f64
    }

    /// The data set: inflates what is left, then splits and checks the labels.
    pub fn finish(mut self) -> Result<Mnist15> {
        while !self.step(usize::MAX)? {}
        let header = self.header;
        let mut payload = self.payload;
        // Split from the back so the training pixels, most of the payload,
        // stay in its buffer: no second copy of 13.5 MB (wasm memory never shrinks).
        let mut take_tail = |n: usize| payload.split_off(payload.len() - n);
        let test_labels = take_tail(header.n_test);
        let test_pixels = take_tail(header.n_test * N_PIXELS);
        let train_labels = take_tail(header.n_train);
        let train = Split::new(payload, train_labels);
        let test = Split::new(test_pixels, test_labels);
        train.check("train")?;
        test.check("test")?;
        Ok(Mnist15 { train, test })
    }
}

/// The asset's header, readable without decompressing the payload.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AssetHeader {
    pub version: u32,
    pub n_train: usize,
    pub n_test: usize,
    pub crc32: u32,
    pub compressed_len: usize,
}

impl AssetHeader {
    pub fn parse(bytes: &[u8]) -> Result<AssetHeader> {
        if bytes.len() < HEADER_LEN {
            return Err(Error::CorruptData(format!(
                "the file is only {} bytes, shorter than the {HEADER_LEN}-byte header",
                bytes.len()
            )));
        }
        if &bytes[..8] != MAGIC {
            return Err(Error::CorruptData("this is not an FA Lab MNIST file (bad magic)".into()));
        }
        let word = |i: usize| u32::from_le_bytes(bytes[8 + 4 * i..12 + 4 * i].try_into().unwrap());
        let version = word(0);
        if version != FORMAT_VERSION {
            return Err(Error::CorruptData(format!(
                "format version {version}, this build reads version {FORMAT_VERSION}"
            )));
        }
        if word(1) as usize != SIDE {
            return Err(Error::CorruptData(format!("image side {} (expected {SIDE})", word(1))));
        }
        let (n_train, n_test) = (word(2) as usize, word(3) as usize);
        if (n_train + n_test) * (N_PIXELS + 1) > MAX_PAYLOAD {
            return Err(Error::CorruptData(format!("implausible image counts {n_train} + {n_test}")));
        }
        Ok(AssetHeader { version, n_train, n_test, crc32: word(4), compressed_len: word(5) as usize })
    }
}

/// An IDX file's contents: dimensions and raw u8 data.
#[derive(Debug, Clone, PartialEq)]
pub struct Idx {
    pub dims: Vec<usize>,
    pub data: Vec<u8>,
}

/// Parses an (uncompressed) IDX file of unsigned bytes (type code 0x08).
pub fn parse_idx(bytes: &[u8]) -> Result<Idx> {
    if bytes.len() < 4 || bytes[0] != 0 || bytes[1] != 0 {
        return Err(Error::CorruptData("not an IDX file (bad magic)".into()));
    }
    if bytes[2] != 0x08 {
        return Err(Error::CorruptData(format!(
            "IDX type 0x{:02x}; only unsigned bytes (0x08) are supported",
            bytes[2]
        )));
    }
    let n_dims = bytes[3] as usize;
    let data_start = 4 + 4 * n_dims;
    if bytes.len() < data_start {
        return Err(Error::CorruptData("IDX header is truncated".into()));
    }
    let dims: Vec<usize> =
        (0..n_dims).map(|i| u32::from_be_bytes(bytes[4 + 4 * i..8 + 4 * i].try_into().unwrap()) as usize).collect();
    let len: usize = dims.iter().product();
    if bytes.len() - data_start != len {
        return Err(Error::CorruptData(format!(
            "IDX dims {dims:?} need {len} bytes, the file has {}",
            bytes.len() - data_start
        )));
    }
    Ok(Idx { dims, data: bytes[data_start..].to_vec() })
}

/// Area (box) resampling of one square `src_side`² image to [`SIDE`]², exactly
/// in integers: each output pixel is the mean of the input area it covers,
/// weighting partly covered input pixels by the covered fraction, rounded to
/// the nearest byte (halves up).
pub fn resample_area(src: &[u8], src_side: usize) -> [u8; N_PIXELS] {
    assert_eq!(src.len(), src_side * src_side, "resample_area: image is not src_side²");
    // Work in units of 1/SIDE of an input pixel: output pixel i spans
    // [i·src_side, (i+1)·src_side), input pixel p spans [p·SIDE, (p+1)·SIDE).
    let overlap = |out: usize, inp: usize| -> u64 {
        let lo = (out * src_side).max(inp * SIDE);
        let hi = ((out + 1) * src_side).min((inp + 1) * SIDE);
        hi.saturating_sub(lo) as u64
    };
    let area = (src_side * src_side) as u64;
    let mut out = [0u8; N_PIXELS];
    for oy in 0..SIDE {
        for ox in 0..SIDE {
            let mut acc = 0u64;
            for iy in (oy * src_side / SIDE)..((oy + 1) * src_side).div_ceil(SIDE).min(src_side) {
                let wy = overlap(oy, iy);
                for ix in (ox * src_side / SIDE)..((ox + 1) * src_side).div_ceil(SIDE).min(src_side) {
                    acc += wy * overlap(ox, ix) * src[iy * src_side + ix] as u64;
                }
            }
            out[oy * SIDE + ox] = ((acc + area / 2) / area) as u8;
        }
    }
    out
}

/// Builds one split from parsed IDX images and labels, resampling every image.
pub fn split_from_idx(images: &Idx, labels: &Idx) -> Result<Split> {
    if images.dims.len() != 3 || images.dims[1] != images.dims[2] {
        return Err(Error::CorruptData(format!("image IDX has dims {:?}, expected [n, side, side]", images.dims)));
    }
    if labels.dims.len() != 1 || labels.dims[0] != images.dims[0] {
        return Err(Error::CorruptData(format!("label IDX has dims {:?} for {} images", labels.dims, images.dims[0])));
    }
    let side = images.dims[1];
    let mut pixels = Vec::with_capacity(images.dims[0] * N_PIXELS);
    for img in images.data.chunks_exact(side * side) {
        pixels.extend_from_slice(&resample_area(img, side));
    }
    let split = Split::new(pixels, labels.data.clone());
    split.check("IDX")?;
    Ok(split)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tiny() -> Mnist15 {
        let mk = |n: usize, seed: u8| {
            Split::new(
                (0..n * N_PIXELS).map(|i| (i as u8).wrapping_mul(31).wrapping_add(seed)).collect(),
                (0..n).map(|i| (i % N_CLASSES) as u8).collect(),
            )
        };
        Mnist15 { train: mk(7, 1), test: mk(3, 2) }
    }

    #[test]
    fn asset_round_trips() {
        let m = tiny();
        assert_eq!(Mnist15::from_asset(&m.to_asset().unwrap()).unwrap(), m);
    }

    #[test]
    fn decoding_in_small_steps_gives_the_same_data() {
        let m = tiny();
        let asset = m.to_asset().unwrap();
        let mut decoder = AssetDecoder::new(asset.clone()).unwrap();
        let mut steps = 0;
        let mut last = 0.0;
        while !decoder.step(100).unwrap() {
            assert!(decoder.fraction() > last && decoder.fraction() < 1.0);
            last = decoder.fraction();
            steps += 1;
        }
        // About 100 bytes a step (a back-reference may overshoot a little).
        assert!(steps >= 2486 / 200 && decoder.fraction() == 1.0, "{steps} steps");
        assert_eq!(decoder.finish().unwrap(), m);
        // A damaged stream is found by the step that reaches it.
        let mut bad = asset;
        bad[24] ^= 1;
        let mut decoder = AssetDecoder::new(bad).unwrap();
        let err = loop {
            match decoder.step(100) {
                Ok(false) => continue,
                Ok(true) => panic!("a bad checksum passed"),
                Err(e) => break e.to_string(),
            }
        };
        assert!(err.contains("checksum"), "{err}");
    }

    #[test]
    fn every_kind_of_damage_is_reported() {
        let good = tiny().to_asset().unwrap();
        let check = |bytes: Vec<u8>, expect: &str| {
            let err = Mnist15::from_asset(&bytes).unwrap_err().to_string();
            assert!(err.contains(expect), "expected {expect:?} in {err:?}");
        };
        check(good[..10].to_vec(), "shorter than");
        check(good[..good.len() - 5].to_vec(), "truncated");
        let mut bad_magic = good.clone();
        bad_magic[0] = b'X';
        check(bad_magic, "bad magic");
        let mut bad_version = good.clone();
        bad_version[8] = 9;
        check(bad_version, "format version 9");
        let mut bad_crc = good.clone();
        bad_crc[24] ^= 1;
        check(bad_crc, "checksum");
        // Image counts that disagree with the payload: too few, too many.
        let mut fewer = good.clone();
        fewer[20] = 2;
        check(fewer, "longer than the");
        let mut more = good.clone();
        more[20] = 4;
        check(more, "payload has 2260 bytes, expected 2486");
        let mut bad_body = good.clone();
        let mid = HEADER_LEN + (good.len() - HEADER_LEN) / 2;
        bad_body[mid] ^= 0x55;
        let err = Mnist15::from_asset(&bad_body).unwrap_err();
        assert!(matches!(err, Error::CorruptData(_)), "{err}");
    }

    #[test]
    fn resampling_preserves_constant_images_and_mean() {
        for v in [0u8, 1, 128, 255] {
            assert!(resample_area(&[v; 28 * 28], 28).iter().all(|&p| p == v));
        }
        // A gradient image: the mean is preserved up to rounding.
        let img: Vec<u8> = (0..28 * 28).map(|i| ((i % 28) * 9) as u8).collect();
        let out = resample_area(&img, 28);
        let mean_in = img.iter().map(|&p| p as f64).sum::<f64>() / img.len() as f64;
        let mean_out = out.iter().map(|&p| p as f64).sum::<f64>() / out.len() as f64;
        assert!((mean_in - mean_out).abs() < 0.5, "{mean_in} vs {mean_out}");
    }

    #[test]
    fn resampling_matches_a_floating_point_reference() {
        // Independent computation: integrate the piecewise-constant image over
        // each output box with f64 interval arithmetic.
        let img: Vec<u8> = (0..28 * 28u32).map(|i| (i.wrapping_mul(2654435761) >> 24) as u8).collect();
        let out = resample_area(&img, 28);
        let scale = 28.0 / 15.0;
        for oy in 0..SIDE {
            for ox in 0..SIDE {
                let (y0, y1, x0, x1) =
                    (oy as f64 * scale, (oy + 1) as f64 * scale, ox as f64 * scale, (ox + 1) as f64 * scale);
                let mut acc = 0.0;
                for iy in 0..28 {
                    let wy = (y1.min(iy as f64 + 1.0) - y0.max(iy as f64)).max(0.0);
                    for ix in 0..28 {
                        let wx = (x1.min(ix as f64 + 1.0) - x0.max(ix as f64)).max(0.0);
                        acc += wy * wx * img[iy * 28 + ix] as f64;
                    }
                }
                let want = acc / (scale * scale);
                let got = out[oy * SIDE + ox] as f64;
                assert!((got - want).abs() <= 0.5 + 1e-9, "({oy},{ox}): {got} vs {want}");
            }
        }
    }

    #[test]
    fn idx_parsing_rejects_bad_files() {
        let mut f = vec![0, 0, 8, 1, 0, 0, 0, 3, 7, 8, 9];
        assert_eq!(parse_idx(&f).unwrap(), Idx { dims: vec![3], data: vec![7, 8, 9] });
        f.pop();
        assert!(parse_idx(&f).unwrap_err().to_string().contains("need 3 bytes"));
        assert!(parse_idx(&[0, 0, 0x0d, 1]).unwrap_err().to_string().contains("type 0x0d"));
        assert!(parse_idx(&[1, 2]).is_err());
    }
}
