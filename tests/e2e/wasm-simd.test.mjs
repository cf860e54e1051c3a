// The built engine really contains SIMD: disassemble dist's .wasm with
// wabt's wasm-objdump and count simd128 arithmetic instructions.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { DIST } from './harness.mjs';

test('the built .wasm uses simd128 instructions', () => {
  const wasm = readdirSync(DIST).find((f) => f.endsWith('.wasm'));
  assert.ok(wasm, 'dist/ has a .wasm');
  const asm = execFileSync('wasm-objdump', ['-d', join(DIST, wasm)], { maxBuffer: 1 << 30 }).toString();
  const count = (re) => (asm.match(re) || []).length;
  const f32x4 = count(/\bf32x4\.(mul|add|sub|max|min|gt|lt|splat)\b/g);
  const v128 = count(/\bv128\.(load|store)\b/g);
  console.log(`simd in ${wasm}: ${f32x4} f32x4 arithmetic, ${v128} v128 loads/stores`);
  assert.ok(f32x4 >= 50, `only ${f32x4} f32x4 instructions`);
  assert.ok(v128 >= 50, `only ${v128} v128 loads/stores`);
});
