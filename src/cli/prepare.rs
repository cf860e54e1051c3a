//! `fa-lab prepare-mnist`: builds `www/data/mnist15.bin` from the four raw IDX
//! files (gzipped or not), resampling 28×28 → 15×15 by area (docs/math.md §6).

use std::io::Read;
use std::path::{Path, PathBuf};

use fa_lab::data::{self, Mnist15};
use fa_lab::{Error, Result};

#[derive(clap::Args)]
pub struct Args {
    /// Folder with train-images-idx3-ubyte[.gz], train-labels-idx1-ubyte[.gz],
    /// t10k-images-idx3-ubyte[.gz] and t10k-labels-idx1-ubyte[.gz] (the MNIST
    /// database's four files; see the README for where they come from).
    #[arg(long)]
    pub idx_dir: PathBuf,
    /// Where to write the asset.
    #[arg(long, default_value = "www/data/mnist15.bin")]
    pub out: PathBuf,
}

pub fn run(args: Args) -> Result<()> {
    let read = |stem: &str| -> Result<data::Idx> { data::parse_idx(&read_maybe_gz(&args.idx_dir, stem)?) };
    let train = data::split_from_idx(&read("train-images-idx3-ubyte")?, &read("train-labels-idx1-ubyte")?)?;
    let test = data::split_from_idx(&read("t10k-images-idx3-ubyte")?, &read("t10k-labels-idx1-ubyte")?)?;
    let asset = Mnist15 { train, test }.to_asset()?;
    if let Some(dir) = args.out.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)?;
    }
    std::fs::write(&args.out, &asset)?;
    let header = data::AssetHeader::parse(&asset)?;
    eprintln!(
        "wrote {} ({} bytes): {} train + {} test images, crc32 {:08x}",
        args.out.display(),
        asset.len(),
        header.n_train,
        header.n_test,
        header.crc32
    );
    Ok(())
}

/// Reads `dir/stem.gz` if present (gunzipping it), else `dir/stem`.
fn read_maybe_gz(dir: &Path, stem: &str) -> Result<Vec<u8>> {
    let gz = dir.join(format!("{stem}.gz"));
    let plain = dir.join(stem);
    let mut bytes = Vec::new();
    if gz.exists() {
        flate2::read::GzDecoder::new(std::fs::File::open(&gz)?)
            .read_to_end(&mut bytes)
            .map_err(|e| Error::CorruptData(format!("{}: {e}", gz.display())))?;
    } else if plain.exists() {
        bytes = std::fs::read(&plain)?;
    } else {
        return Err(Error::Io(format!("neither {} nor {} exists", gz.display(), plain.display())));
    }
    Ok(bytes)
}
