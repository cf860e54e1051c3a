//! The only source of randomness in FA Lab.
//!
//! [`Rng`] wraps `rand_pcg::Pcg64Mcg`, whose output for a given state rand_pcg
//! documents as value-stable across releases and platforms. Normal draws use
//! `libm` (pure Rust), so a seed gives the same bits natively and in wasm.
//!
//! One run seed fans out into independent sub-streams, one per [`Purpose`]:
//! the initial weights come from their own stream, so a BP run and an FA run
//! with the same seed start from the same weights, and switching the rule (or
//! turning on shuffling) changes nothing else.

use rand_core::Rng as _;
use rand_pcg::Pcg64Mcg;

/// What a random stream is for; each purpose is an independent stream of one seed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    /// Initial forward weights and biases.
    Weights,
    /// Fixed random feedback matrices (FA's `B_l`, DFA's `D_l`, KP's initial `B_l`).
    Feedback,
    /// N-hot label codes.
    Codes,
    /// Per-epoch sample order.
    BatchOrder,
    /// The one-off permutation of a fraction of the training labels.
    LabelShuffle,
    /// Anything else (experiments, tests); the number tells streams apart.
    Extra(u64),
    /// `redrawn`'s feedback for the step with this index.
    Redraw(u64),
    /// Which entries of `sparse`'s feedback are zero.
    FeedbackMask,
}

impl Purpose {
    /// (kind, index): the two numbers mixed into the seed.
    fn tag(self) -> (u64, u64) {
        match self {
            Purpose::Weights => (1, 0),
            Purpose::Feedback => (2, 0),
            Purpose::Codes => (3, 0),
            Purpose::BatchOrder => (4, 0),
            Purpose::LabelShuffle => (5, 0),
            Purpose::Extra(i) => (6, i),
            Purpose::Redraw(i) => (7, i),
            Purpose::FeedbackMask => (8, 0),
        }
    }
}

/// SplitMix64's finaliser: a bijection on u64 that scatters nearby inputs.
fn mix64(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

const GOLDEN: u64 = 0x9e37_79b9_7f4a_7c15;

/// A seeded PCG stream with the draws the core needs.
#[derive(Debug, Clone)]
pub struct Rng {
    inner: Pcg64Mcg,
    /// Marsaglia's polar method yields normals in pairs; the second waits here.
    spare_normal: Option<f64>,
}

impl Rng {
    /// The stream for `purpose` under run seed `seed`.
    pub fn new(seed: u64, purpose: Purpose) -> Rng {
        let (kind, index) = purpose.tag();
        let mut z = mix64(seed.wrapping_add(GOLDEN));
        z = mix64(z ^ kind.wrapping_mul(GOLDEN));
        z = mix64(z ^ mix64(index.wrapping_add(GOLDEN)));
        let hi = mix64(z ^ 0x5851_f42d_4c95_7f2d);
        let lo = mix64(z.wrapping_add(GOLDEN));
        Rng { inner: Pcg64Mcg::new(((hi as u128) << 64) | lo as u128), spare_normal: None }
    }

    /// 64 uniformly random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.inner.next_u64()
    }

    /// Uniform in `[0, 1)` with 53 random bits.
    pub fn uniform(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }

    /// Uniform integer in `0..n`, without modulo bias (Lemire's method).
    /// `n` must be positive; callers pass lengths they have checked.
    pub fn below(&mut self, n: usize) -> usize {
        assert!(n > 0, "Rng::below(0)");
        let n = n as u64;
        let threshold = n.wrapping_neg() % n;
        loop {
            let m = self.next_u64() as u128 * n as u128;
            if (m as u64) >= threshold {
                return (m >> 64) as usize;
            }
        }
    }

    /// Uniform random permutation in place (Fisher–Yates).
    pub fn shuffle<T>(&mut self, items: &mut [T]) {
        for i in (1..items.len()).rev() {
            let j = self.below(i + 1);
            items.swap(i, j);
        }
    }

    /// A standard normal draw in f64 (Marsaglia's polar method, `libm::log`).
    pub fn standard_normal(&mut self) -> f64 {
        if let Some(z) = self.spare_normal.take() {
            return z;
        }
        loop {
            let u = 2.0 * self.uniform() - 1.0;
            let v = 2.0 * self.uniform() - 1.0;
            let s = u * u + v * v;
            if s > 0.0 && s < 1.0 {
                let factor = libm::sqrt(-2.0 * libm::log(s) / s);
                self.spare_normal = Some(v * factor);
                return u * factor;
            }
        }
    }

    /// A draw from `N(0, std²)`, rounded to f32.
    pub fn normal(&mut self, std: f32) -> f32 {
        (self.standard_normal() * std as f64) as f32
    }

    /// Fills `out` with draws from `N(0, std²)` in order.
    pub fn fill_normal(&mut self, std: f32, out: &mut [f32]) {
        for v in out {
            *v = self.normal(std);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn purposes_and_seeds_give_different_streams() {
        let first = |seed, p| Rng::new(seed, p).next_u64();
        let all = [
            first(0, Purpose::Weights),
            first(0, Purpose::Feedback),
            first(0, Purpose::Codes),
            first(0, Purpose::BatchOrder),
            first(0, Purpose::LabelShuffle),
            first(0, Purpose::Extra(0)),
            first(0, Purpose::Extra(1)),
            first(1, Purpose::Weights),
        ];
        for i in 0..all.len() {
            for j in 0..i {
                assert_ne!(all[i], all[j], "streams {i} and {j} coincide");
            }
        }
        assert_eq!(first(7, Purpose::Codes), first(7, Purpose::Codes));
    }

    #[test]
    fn below_is_uniform_enough() {
        // 60,000 draws in 0..6: each count within 5 sd of 10,000.
        let mut rng = Rng::new(3, Purpose::Extra(9));
        let mut counts = [0usize; 6];
        for _ in 0..60_000 {
            counts[rng.below(6)] += 1;
        }
        let sd = (60_000.0f64 * (1.0 / 6.0) * (5.0 / 6.0)).sqrt();
        for c in counts {
            assert!((c as f64 - 10_000.0).abs() < 5.0 * sd, "{counts:?}");
        }
    }

    #[test]
    fn normal_has_the_asked_moments() {
        let mut rng = Rng::new(11, Purpose::Weights);
        let n = 200_000;
        let xs: Vec<f64> = (0..n).map(|_| rng.normal(0.1) as f64).collect();
        let mean = xs.iter().sum::<f64>() / n as f64;
        let var = xs.iter().map(|x| (x - mean) * (x - mean)).sum::<f64>() / n as f64;
        // Standard errors: mean 0.1/sqrt(n) ≈ 2.2e-4; sd about 1.6e-4.
        assert!(mean.abs() < 1e-3, "mean {mean}");
        assert!((var.sqrt() - 0.1).abs() < 1e-3, "sd {}", var.sqrt());
        let beyond_2sd = xs.iter().filter(|x| x.abs() > 0.2).count() as f64 / n as f64;
        assert!((beyond_2sd - 0.0455).abs() < 0.003, "tail mass {beyond_2sd}");
    }

    #[test]
    fn shuffle_is_a_permutation() {
        let mut rng = Rng::new(5, Purpose::BatchOrder);
        let mut v: Vec<usize> = (0..1000).collect();
        rng.shuffle(&mut v);
        assert_ne!(v, (0..1000).collect::<Vec<_>>());
        v.sort_unstable();
        assert_eq!(v, (0..1000).collect::<Vec<_>>());
    }
}
