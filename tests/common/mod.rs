//! What several integration tests share: the committed data asset, decoded once.

use std::path::Path;
use std::sync::OnceLock;

use fa_lab::data::Mnist15;

/// `www/data/mnist15.bin`, decoded once per test binary.
pub fn mnist() -> &'static Mnist15 {
    static DATA: OnceLock<Mnist15> = OnceLock::new();
    DATA.get_or_init(|| {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("www/data/mnist15.bin");
        let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        Mnist15::from_asset(&bytes).unwrap()
    })
}
