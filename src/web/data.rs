//! The data set for the page: `Lab` (decoded), `LabLoader` (decoded in frame-sized slices).

use wasm_bindgen::prelude::*;
use web_sys::HtmlCanvasElement;

use super::{canvas_area, style_from, to_js};
use crate::data::{AssetDecoder, Mnist15};
use crate::describe;
use crate::plot;

/// The lab's loaded data set and what the page asks of it.
#[wasm_bindgen]
pub struct Lab {
    pub(super) data: Mnist15,
}

#[wasm_bindgen]
impl Lab {
    /// Decodes and verifies the asset (magic, version, sizes, checksum).
    #[wasm_bindgen(constructor)]
    pub fn new(asset: &[u8]) -> Result<Lab, JsError> {
        Ok(Lab { data: Mnist15::from_asset(asset).map_err(to_js)? })
    }

    #[wasm_bindgen(js_name = nTrain)]
    pub fn n_train(&self) -> usize {
        self.data.train.len()
    }

    #[wasm_bindgen(js_name = nTest)]
    pub fn n_test(&self) -> usize {
        self.data.test.len()
    }

    /// Training labels of the images `first .. first + count`.
    #[wasm_bindgen(js_name = trainLabels)]
    pub fn train_labels(&self, first: usize, count: usize) -> Result<Vec<u8>, JsError> {
        let end = first.checked_add(count).filter(|&e| e <= self.data.train.len());
        let end = end.ok_or_else(|| JsError::new(&format!("images {first}..+{count} are past the training set")))?;
        Ok(self.data.train.labels[first..end].to_vec())
    }

    /// Training images per class, 0..9.
    #[wasm_bindgen(js_name = trainHistogram)]
    pub fn train_histogram(&self) -> Vec<u32> {
        self.data.train.class_histogram().iter().map(|&c| c as u32).collect()
    }

    /// Draws training images `first .. first + count` with their labels, `cols` per row.
    /// `style` is `{theme: "light" | "dark", scale: devicePixelRatio}` (both optional).
    #[wasm_bindgen(js_name = drawDigits)]
    pub fn draw_digits(
        &self,
        canvas: HtmlCanvasElement,
        first: usize,
        count: usize,
        cols: usize,
        style: JsValue,
    ) -> Result<(), JsError> {
        let indices: Vec<usize> = (first..first.saturating_add(count)).collect();
        plot::draw_digit_grid(&canvas_area(canvas)?, &self.data.train, &indices, cols, &style_from(style)?)
            .map_err(to_js)
    }

    /// Draws the class histogram of both splits.
    #[wasm_bindgen(js_name = drawHistogram)]
    pub fn draw_histogram(&self, canvas: HtmlCanvasElement, style: JsValue) -> Result<(), JsError> {
        plot::draw_class_histogram(&canvas_area(canvas)?, &self.data.train, &self.data.test, &style_from(style)?)
            .map_err(to_js)
    }

    /// The digit grid in words (the canvas's accessible name).
    #[wasm_bindgen(js_name = describeDigits)]
    pub fn describe_digits(&self, first: usize, count: usize) -> String {
        describe::describe_digits(&self.data.train, first, count)
    }

    /// The data view's count line: "60,000 training and 10,000 test images".
    #[wasm_bindgen(js_name = imageCounts)]
    pub fn image_counts(&self) -> String {
        describe::image_counts(&self.data.train, &self.data.test)
    }

    /// The class histogram in words.
    #[wasm_bindgen(js_name = describeHistogram)]
    pub fn describe_histogram(&self) -> String {
        describe::describe_histogram(&self.data.train, &self.data.test)
    }
}

/// Takes the asset a part at a time (`append`), then decodes it a slice at a
/// time (`step` as often as frames allow, then `finish`), so the page's main
/// thread never blocks for the whole of either: copying the 6 MB file into
/// wasm memory in one call took 10–30 ms in a fresh page.
#[wasm_bindgen]
pub struct LabLoader {
    state: Loading,
}

enum Loading {
    Receiving(Vec<u8>),
    Decoding(AssetDecoder<Vec<u8>>),
}

#[wasm_bindgen]
impl LabLoader {
    /// A loader for a file of `length` bytes (its memory reserved, not yet touched).
    #[wasm_bindgen(constructor)]
    pub fn new(length: usize) -> Result<LabLoader, JsError> {
        let mut bytes = Vec::new();
        bytes
            .try_reserve_exact(length)
            .map_err(|_| JsError::new(&format!("there is no room for a data file of {length} bytes")))?;
        Ok(LabLoader { state: Loading::Receiving(bytes) })
    }

    /// Appends the file's next `part`.
    pub fn append(&mut self, part: &[u8]) -> Result<(), JsError> {
        match &mut self.state {
            Loading::Receiving(bytes) => {
                bytes.extend_from_slice(part);
                Ok(())
            }
            Loading::Decoding(_) => Err(JsError::new("the data file is already being decoded")),
        }
    }

    /// Inflates up to `max_bytes` more; true once the payload is in and its
    /// checksum checked. The first step checks the header and the length (a
    /// truncated file fails there).
    pub fn step(&mut self, max_bytes: u32) -> Result<bool, JsError> {
        if let Loading::Receiving(bytes) = &mut self.state {
            self.state = Loading::Decoding(AssetDecoder::new(std::mem::take(bytes)).map_err(to_js)?);
        }
        match &mut self.state {
            Loading::Decoding(decoder) => decoder.step(max_bytes as usize).map_err(to_js),
            Loading::Receiving(_) => unreachable!("the loader decodes from its first step"),
        }
    }

    /// Share decoded so far, in [0, 1].
    pub fn fraction(&self) -> f64 {
        match &self.state {
            Loading::Receiving(_) => 0.0,
            Loading::Decoding(decoder) => decoder.fraction(),
        }
    }

    /// The loaded lab (this loader is used up).
    pub fn finish(self) -> Result<Lab, JsError> {
        let data = match self.state {
            Loading::Receiving(bytes) => AssetDecoder::new(bytes).and_then(AssetDecoder::finish),
            Loading::Decoding(decoder) => decoder.finish(),
        };
        Ok(Lab { data: data.map_err(to_js)? })
    }
}
