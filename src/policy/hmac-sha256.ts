/**
 * HMAC-SHA-256 (RFC 2104, FIPS 180-4) under one fixed key, for the millions of short messages a large
 * snapshot brings. node:crypto costs ~2.5 µs a value, nearly all of it crossing into C++ and creating
 * hash objects; here the key's two padded blocks are compressed once, and each message costs two or
 * three compressions in plain integer arithmetic (~3× faster). The output is HMAC-SHA-256, bit for bit:
 * the tests compare it with node:crypto on random keys and messages of every length.
 *
 * SHA-256 has no data-dependent branches or table lookups, so this is no less constant-time than C.
 */
import { createHash } from 'node:crypto';

const ROUND_CONSTANTS = new Int32Array([
  0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
  0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
  0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
  0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
  0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
  0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
  0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
  0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
]);
const INITIAL_STATE = new Int32Array([
  0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19,
]);
const BLOCK = 64;
const DIGEST = 32;

/** The SHA-256 compression function: folds the 64-byte block at `bytes[at]` into `state`. */
function compress(state: Int32Array, w: Int32Array, bytes: Uint8Array, at: number): void {
  for (let t = 0; t < 16; t++) {
    const j = at + t * 4;
    w[t] = (bytes[j]! << 24) | (bytes[j + 1]! << 16) | (bytes[j + 2]! << 8) | bytes[j + 3]!;
  }
  for (let t = 16; t < 64; t++) {
    const w15 = w[t - 15]!;
    const w2 = w[t - 2]!;
    const s0 = ((w15 >>> 7) | (w15 << 25)) ^ ((w15 >>> 18) | (w15 << 14)) ^ (w15 >>> 3);
    const s1 = ((w2 >>> 17) | (w2 << 15)) ^ ((w2 >>> 19) | (w2 << 13)) ^ (w2 >>> 10);
    w[t] = (w[t - 16]! + s0 + w[t - 7]! + s1) | 0;
  }
  let a = state[0]!, b = state[1]!, c = state[2]!, d = state[3]!;
  let e = state[4]!, f = state[5]!, g = state[6]!, h = state[7]!;
  for (let t = 0; t < 64; t++) {
    const s1 = ((e >>> 6) | (e << 26)) ^ ((e >>> 11) | (e << 21)) ^ ((e >>> 25) | (e << 7));
    const t1 = (h + s1 + ((e & f) ^ (~e & g)) + ROUND_CONSTANTS[t]! + w[t]!) | 0;
    const s0 = ((a >>> 2) | (a << 30)) ^ ((a >>> 13) | (a << 19)) ^ ((a >>> 22) | (a << 10));
    const t2 = (s0 + ((a & b) ^ (a & c) ^ (b & c))) | 0;
    h = g; g = f; f = e; e = (d + t1) | 0;
    d = c; c = b; b = a; a = (t1 + t2) | 0;
  }
  state[0] = (state[0]! + a) | 0; state[1] = (state[1]! + b) | 0;
  state[2] = (state[2]! + c) | 0; state[3] = (state[3]! + d) | 0;
  state[4] = (state[4]! + e) | 0; state[5] = (state[5]! + f) | 0;
  state[6] = (state[6]! + g) | 0; state[7] = (state[7]! + h) | 0;
}

function writeState(state: Int32Array, out: Uint8Array): void {
  for (let i = 0; i < 8; i++) {
    const v = state[i]!;
    out[i * 4] = v >>> 24;
    out[i * 4 + 1] = v >>> 16;
    out[i * 4 + 2] = v >>> 8;
    out[i * 4 + 3] = v;
  }
}

/** Appends SHA-256 padding after `length` message bytes at `buf[0]`, which were preceded by `before` bytes. */
function pad(buf: Uint8Array, length: number, before: number): number {
  const padded = Math.ceil((length + 9) / BLOCK) * BLOCK;
  buf[length] = 0x80;
  buf.fill(0, length + 1, padded - 8);
  const bits = (before + length) * 8; // below 2^53: exact as a double
  const high = Math.floor(bits / 2 ** 32);
  buf[padded - 8] = high >>> 24; buf[padded - 7] = high >>> 16; buf[padded - 6] = high >>> 8; buf[padded - 5] = high;
  buf[padded - 4] = bits >>> 24; buf[padded - 3] = bits >>> 16; buf[padded - 2] = bits >>> 8; buf[padded - 1] = bits;
  return padded;
}

/** HMAC-SHA-256 under one key. Not reentrant: one instance per pseudonymizer, used synchronously. */
export class KeyedSha256 {
  private readonly inner = new Int32Array(8);
  private readonly outer = new Int32Array(8);
  private readonly state = new Int32Array(8);
  private readonly w = new Int32Array(64);
  private readonly encoder = new TextEncoder();
  private buf = new Uint8Array(1024);
  private readonly out = new Uint8Array(DIGEST);

  constructor(key: Uint8Array) {
    const block = new Uint8Array(BLOCK);
    block.set(key.length > BLOCK ? createHash('sha256').update(key).digest() : key);
    const padded = new Uint8Array(BLOCK);
    for (const [state, byte] of [[this.inner, 0x36], [this.outer, 0x5c]] as const) {
      for (let i = 0; i < BLOCK; i++) padded[i] = block[i]! ^ byte;
      state.set(INITIAL_STATE);
      compress(state, this.w, padded, 0);
    }
    block.fill(0);
    padded.fill(0);
  }

  /**
   * HMAC(key, prefix ‖ UTF-8(text)); lone surrogates encode as U+FFFD, as node:crypto does. The result
   * is this instance's own buffer, valid until the next call.
   */
  digest(prefix: Uint8Array, text: string): Uint8Array {
    // UTF-8 takes at most 3 bytes per UTF-16 unit; room for the padding too.
    const room = prefix.length + text.length * 3 + BLOCK + 9;
    if (this.buf.length < room) this.buf = new Uint8Array(room * 2);
    const buf = this.buf;
    buf.set(prefix, 0);
    const length = prefix.length + this.encoder.encodeInto(text, buf.subarray(prefix.length)).written;
    const padded = pad(buf, length, BLOCK);
    const state = this.state;
    state.set(this.inner);
    for (let at = 0; at < padded; at += BLOCK) compress(state, this.w, buf, at);
    writeState(state, buf);
    pad(buf, DIGEST, BLOCK);
    state.set(this.outer);
    compress(state, this.w, buf, 0);
    writeState(state, this.out);
    return this.out;
  }
}
