//! The one error type of the core. Every bad input (corrupt data, a parameter
//! out of range, a diverging run) becomes a specific variant with a message a
//! person can act on; nothing in the core panics on user input.

use std::fmt;

/// What went wrong, specifically enough to tell the user what to do.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Error {
    /// A data file is not what it claims to be (bad magic, truncated, checksum mismatch…).
    CorruptData(String),
    /// A parameter is out of its valid range; the message names it and the range.
    InvalidParam(String),
    /// Training produced non-finite numbers or a dead network.
    Diverged(String),
    /// Reading or writing a file failed (native only).
    Io(String),
    /// A drawing backend failed (a canvas or SVG could not be drawn).
    Plot(String),
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::CorruptData(m) => write!(f, "corrupt data: {m}"),
            Error::InvalidParam(m) => write!(f, "invalid parameter: {m}"),
            Error::Diverged(m) => write!(f, "training diverged: {m}"),
            Error::Io(m) => write!(f, "i/o error: {m}"),
            Error::Plot(m) => write!(f, "drawing failed: {m}"),
        }
    }
}

impl std::error::Error for Error {}

impl From<std::io::Error> for Error {
    fn from(e: std::io::Error) -> Self {
        Error::Io(e.to_string())
    }
}

pub type Result<T> = std::result::Result<T, Error>;
