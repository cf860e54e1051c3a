//! [`Checked<T>`]: settings that passed their `validate()`.
//!
//! Settings come from a form, a link, the CLI or a JSON message, and are
//! checked once, where they enter. `validate()` hands back a `Checked<T>`, and
//! what runs on them ([`crate::train::Trainer::new`],
//! [`crate::net::Network::from_checked`]) takes only that, so nothing
//! downstream can be given an unchecked value and nothing checks again.
//! A `Checked<T>` derefs to `T` for reading; to change a setting, take the
//! value out ([`Checked::into_inner`]) and validate it again.

use std::ops::Deref;

use serde::Serialize;

/// A `T` that passed `T::validate()`. Serialises as the `T` itself; it does
/// not deserialise (what arrives as JSON must be validated).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(transparent)]
pub struct Checked<T>(T);

impl<T> Checked<T> {
    /// Only for a `validate()` that has just checked `value` (or a part of a
    /// checked whole whose check covers it).
    pub(crate) fn assume_checked(value: T) -> Checked<T> {
        Checked(value)
    }

    pub fn into_inner(self) -> T {
        self.0
    }
}

impl<T> Deref for Checked<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.0
    }
}

impl<T: PartialEq> PartialEq<T> for Checked<T> {
    fn eq(&self, other: &T) -> bool {
        &self.0 == other
    }
}
