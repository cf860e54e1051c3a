//! FNV-1a (64 bit), the one hash behind every fingerprint and checksum: a
//! training run's fingerprint ([`crate::train::Trainer::fingerprint`]) and the
//! benchmark's checksum ([`crate::bench::FaBench::checksum`]). It hashes the
//! bits of numbers (little-endian), so equal hashes mean equal bits on every
//! target.

/// FNV-1a, 64 bit.
#[derive(Debug, Clone, Copy)]
pub struct Fnv1a(u64);

impl Default for Fnv1a {
    fn default() -> Self {
        Fnv1a::new()
    }
}

impl Fnv1a {
    pub fn new() -> Fnv1a {
        Fnv1a(0xcbf2_9ce4_8422_2325)
    }

    pub fn bytes(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0 ^ b as u64).wrapping_mul(0x0100_0000_01b3);
        }
    }

    pub fn f64(&mut self, x: f64) {
        self.bytes(&x.to_bits().to_le_bytes());
    }

    pub fn f32(&mut self, x: f32) {
        self.bytes(&x.to_bits().to_le_bytes());
    }

    /// The hash so far.
    pub fn value(&self) -> u64 {
        self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fnv1a_matches_the_published_vectors() {
        // From the FNV reference test suite: "" and "a", "foobar".
        assert_eq!(Fnv1a::new().value(), 0xcbf29ce484222325);
        let mut h = Fnv1a::new();
        h.bytes(b"a");
        assert_eq!(h.value(), 0xaf63dc4c8601ec8c);
        let mut h = Fnv1a::new();
        h.bytes(b"foobar");
        assert_eq!(h.value(), 0x85944171f73967e8);
    }

    #[test]
    fn numbers_hash_as_their_little_endian_bits() {
        let (mut a, mut b) = (Fnv1a::new(), Fnv1a::new());
        a.f32(1.5);
        b.bytes(&1.5f32.to_bits().to_le_bytes());
        assert_eq!(a.value(), b.value());
        let (mut a, mut b) = (Fnv1a::new(), Fnv1a::new());
        a.f64(-0.0);
        b.f64(0.0);
        assert_ne!(a.value(), b.value(), "bits, not values");
    }
}
