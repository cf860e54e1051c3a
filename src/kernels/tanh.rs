//! The fast tanh: pure IEEE arithmetic (no libm), so it is bit-identical on
//! every target; the vector tanh performs the scalar one's operations in the
//! same order (see [`super::tanh`] for the method and its measured accuracy).

use core::array::from_fn;

use super::generic::Vf;

pub(super) const TANH_CLAMP: f32 = 10.0;
pub(super) const LOG2E: f32 = std::f32::consts::LOG2_E;
/// 1.5·2²³: adding and subtracting it rounds to the nearest integer (ties to even).
pub(super) const ROUND_MAGIC: f32 = 12_582_912.0;
/// Added to `bits(u·log2e + ROUND_MAGIC) << 23` gives the bits of `2^k`.
pub(super) const SCALE_BIAS: u32 = 127u32.wrapping_sub(ROUND_MAGIC.to_bits()) << 23;
/// ln 2 split so that `k·LN2_HI` is exact for the |k| ≤ 29 that occur.
#[allow(clippy::excessive_precision)] // the exact binary value: k·LN2_HI must be exact
pub(super) const LN2_HI: f32 = 0.693_359_375;
pub(super) const LN2_LO: f32 = -2.121_944_4e-4;
/// Horner coefficients of `(expm1(r) − r)/r²`'s Taylor series to r⁷, highest first.
pub(super) const EXPM1_C: [f32; 6] = [1.0 / 5040.0, 1.0 / 720.0, 1.0 / 120.0, 1.0 / 24.0, 1.0 / 6.0, 0.5];

/// Scalar fast tanh. [`tanh_v`] performs exactly these operations in this order.
#[inline(always)]
pub(super) fn tanh_scalar(x: f32) -> f32 {
    let sign = x.to_bits() & 0x8000_0000;
    let t = f32::from_bits(x.to_bits() & 0x7fff_ffff);
    let t = if t > TANH_CLAMP { TANH_CLAMP } else { t };
    let u = t + t;
    let kr = u * LOG2E + ROUND_MAGIC;
    let kf = kr - ROUND_MAGIC;
    let scale = f32::from_bits((kr.to_bits() << 23).wrapping_add(SCALE_BIAS));
    let r = (u - kf * LN2_HI) - kf * LN2_LO;
    let mut p = EXPM1_C[0];
    for &c in &EXPM1_C[1..] {
        p = p * r + c;
    }
    let er = r + (r * r) * p;
    let em = scale * er + (scale - 1.0);
    let y = em / (em + 2.0);
    f32::from_bits(y.to_bits() | sign)
}

/// The splatted constants of [`tanh_v`], built once per call of a kernel.
///
/// Each goes through `black_box`, so the compiler keeps it in a register or a
/// local instead of re-creating it inside the loop: in wasm, LLVM would
/// otherwise re-emit every `v128.const` per iteration, and V8 builds each one
/// from immediates with several instructions (measured: the vector tanh ran
/// about 3× slower that way).
pub(super) struct TanhK<V> {
    pub(super) sign: V,
    pub(super) abs: V,
    pub(super) clamp: V,
    pub(super) log2e: V,
    pub(super) magic: V,
    pub(super) scale_bias: V,
    pub(super) ln2_hi: V,
    pub(super) ln2_lo: V,
    pub(super) c: [V; 6],
    pub(super) one: V,
    pub(super) two: V,
    pub(super) zero: V,
}

impl<V: Vf> TanhK<V> {
    #[inline(always)]
    pub(super) unsafe fn new() -> Self {
        use core::hint::black_box as opaque;
        unsafe {
            let s = |x: f32| opaque(V::splat(x));
            TanhK {
                sign: s(f32::from_bits(0x8000_0000)),
                abs: s(f32::from_bits(0x7fff_ffff)),
                clamp: s(TANH_CLAMP),
                log2e: s(LOG2E),
                magic: s(ROUND_MAGIC),
                scale_bias: s(f32::from_bits(SCALE_BIAS)),
                ln2_hi: s(LN2_HI),
                ln2_lo: s(LN2_LO),
                c: EXPM1_C.map(s),
                one: s(1.0),
                two: s(2.0),
                zero: s(0.0),
            }
        }
    }
}

/// Vector tanh: exactly the operations of [`tanh_scalar`], in the same order.
#[inline(always)]
pub(super) unsafe fn tanh_v<V: Vf>(x: V, k: &TanhK<V>) -> V {
    unsafe { tanh_vn([x], k)[0] }
}

/// [`tanh_v`] of `N` vectors at once, each operation applied to all `N`
/// before the next: the `N` dependency chains interleave, so the processor
/// has independent work while one waits for its previous result (one chain
/// is about 30 dependent operations; alone, it leaves the vector units mostly
/// idle). Each lane still performs exactly [`tanh_scalar`]'s operations.
#[inline(always)]
pub(super) unsafe fn tanh_vn<V: Vf, const N: usize>(x: [V; N], k: &TanhK<V>) -> [V; N] {
    unsafe {
        let sign = x.map(|x| x.and(k.sign));
        let t = x.map(|x| k.clamp.min_lt(x.and(k.abs)));
        let y = tanh_vn_magnitude(t, k);
        from_fn(|i| y[i].or(sign[i]))
    }
}

/// [`tanh_vn`] of `t` in `[+0, TANH_CLAMP]` (sign bit clear, clamped), whose
/// sign needs no restoring: what follows the clamp in [`tanh_scalar`].
#[inline(always)]
pub(super) unsafe fn tanh_vn_magnitude<V: Vf, const N: usize>(t: [V; N], k: &TanhK<V>) -> [V; N] {
    unsafe {
        let u = t.map(|t| t.add(t));
        let kr = u.map(|u| u.mul(k.log2e).add(k.magic));
        let kf = kr.map(|kr| kr.sub(k.magic));
        let scale = kr.map(|kr| kr.shl23_add(k.scale_bias));
        let r: [V; N] = from_fn(|i| u[i].sub(kf[i].mul(k.ln2_hi)));
        let r: [V; N] = from_fn(|i| r[i].sub(kf[i].mul(k.ln2_lo)));
        let mut p = [k.c[0]; N];
        for &cst in &k.c[1..] {
            p = from_fn(|i| p[i].mul(r[i]).add(cst));
        }
        let er: [V; N] = from_fn(|i| r[i].add(r[i].mul(r[i]).mul(p[i])));
        let em: [V; N] = from_fn(|i| scale[i].mul(er[i]).add(scale[i].sub(k.one)));
        from_fn(|i| em[i].div(em[i].add(k.two)))
    }
}
