//! (being written)
#[derive(clap::Args)]
pub struct Args {}
pub fn run(_args: Args) -> fa_lab::Result<()> {
    Err(fa_lab::Error::InvalidParam("not implemented yet".into()))
}
