/**
 * RFC 6962 hashing, the incremental tree, and inclusion/consistency proofs, against vectors published by
 * others, never values computed by this code:
 *  - the 8-leaf reference tree of Certificate Transparency (the leaf inputs "", 00, 10, 2021, … and the
 *    roots at every size, the node hashes of every complete subtree), as transparency-dev/merkle's
 *    testonly/constants.go and the CT C++ tests give them;
 *  - transparency-dev/merkle's 196 verification probes (test/fixtures/tlog/merkle-probes.json: the happy
 *    paths and their mutations: bit flips, shifted index or size, extra, missing and swapped components);
 *  - a tree built straight from RFC 6962's recursive MTH definition, written here in a few lines with
 *    node:crypto, for sizes the published vectors do not reach.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { CompactRange, EMPTY_ROOT, leafHash, leafHashOfChunks, nodeHash } from '../../../src/audit/tlog/merkle';
import { consistencyPlan, inclusionPlan, verifyConsistency, verifyInclusion } from '../../../src/audit/tlog/proofs';
import { TreeScan } from '../../../src/audit/tlog/tree-scan';

const hex = (h: Buffer): string => h.toString('hex');
const unhex = (s: string): Buffer => Buffer.from(s, 'hex');

/** CT's reference leaf inputs (hex), the same in every RFC 6962 implementation's tests. */
const LEAF_INPUTS = ['', '00', '10', '2021', '3031', '40414243', '5051525354555657', '606162636465666768696a6b6c6d6e6f'].map(unhex);

/** Roots by tree size 0..8 (transparency-dev/merkle testonly/constants.go RootHashes). */
const ROOTS = [
  'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
  '6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d',
  'fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125',
  'aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77',
  'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7',
  '4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4',
  '76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef',
  'ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c',
  '5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328',
];

/** Hashes of every complete subtree, by level (testonly/constants.go NodeHashes). */
const NODES = [
  ['6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d', '96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7',
    '0298d122906dcfc10892cb53a73992fc5b9f493ea4c9badb27b791b4127a7fe7', '07506a85fd9dd2f120eb694f86011e5bb4662e5c415a62917033d4a9624487e7',
    'bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b', '4271a26be0d8a84f0bd54c8c302e7cb3a3b5d1fa6780a40bcce2873477dab658',
    'b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f', '46f6ffadd3d06a09ff3c5860d2755c8b9819db7df44251788c7d8e3180de8eb1'],
  ['fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125', '5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e',
    '0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a', 'ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0'],
  ['d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7', '6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4'],
  ['5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328'],
];

interface InclusionProbe { file: string; leafIdx: number; treeSize: number; root: string; leafHash: string; proof: string[] | null; desc: string; wantErr: boolean }
interface ConsistencyProbe { file: string; size1: number; size2: number; root1: string; root2: string; proof: string[] | null; desc: string; wantErr: boolean }
const PROBES = JSON.parse(readFileSync(path.resolve(__dirname, '../../fixtures/tlog/merkle-probes.json'), 'utf8')) as { inclusion: InclusionProbe[]; consistency: ConsistencyProbe[] };
const b64 = (s: string): Buffer => Buffer.from(s, 'base64');

/** RFC 6962 §2.1 MTH, written from its definition with node:crypto (independent of src/). */
const sha = (...parts: Buffer[]): Buffer => createHash('sha256').update(Buffer.concat(parts)).digest();
function mth(leaves: Buffer[]): Buffer {
  if (leaves.length === 0) return sha();
  if (leaves.length === 1) return sha(Buffer.from([0]), leaves[0]!);
  let k = 1;
  while (k * 2 < leaves.length) k *= 2;
  return sha(Buffer.from([1]), mth(leaves.slice(0, k)), mth(leaves.slice(k)));
}
/** RFC 6962 §2.1.1 PATH, from its definition. */
function path6962(m: number, leaves: Buffer[]): Buffer[] {
  if (leaves.length <= 1) return [];
  let k = 1;
  while (k * 2 < leaves.length) k *= 2;
  return m < k ? [...path6962(m, leaves.slice(0, k)), mth(leaves.slice(k))] : [...path6962(m - k, leaves.slice(k)), mth(leaves.slice(0, k))];
}
/** RFC 6962 §2.1.2 PROOF / SUBPROOF, from its definition. */
function subproof(m: number, leaves: Buffer[], b: boolean): Buffer[] {
  const n = leaves.length;
  if (m === n) return b ? [] : [mth(leaves)];
  let k = 1;
  while (k * 2 < n) k *= 2;
  return m <= k ? [...subproof(m, leaves.slice(0, k), b), mth(leaves.slice(k))] : [...subproof(m - k, leaves.slice(k), false), mth(leaves.slice(0, k))];
}

describe('RFC 6962 hashing', () => {
  test('the empty tree is SHA-256 of nothing; a leaf is SHA-256(0x00 || data); a node SHA-256(0x01 || l || r)', () => {
    expect(hex(EMPTY_ROOT)).toBe(ROOTS[0]);
    LEAF_INPUTS.forEach((input, i) => expect(hex(leafHash(input))).toBe(NODES[0]![i]));
    expect(hex(nodeHash(unhex(NODES[0]![0]!), unhex(NODES[0]![1]!)))).toBe(NODES[1]![0]);
    expect(hex(nodeHash(unhex(NODES[2]![0]!), unhex(NODES[2]![1]!)))).toBe(NODES[3]![0]);
  });

  test('a leaf hashed from pieces, its newline left out, equals the leaf of the whole line', () => {
    const line = Buffer.from('{"v":1,"seq":0,"hash":"x"}');
    const pieces = [line.subarray(0, 5), line.subarray(5, 12), Buffer.concat([line.subarray(12), Buffer.from('\n')])];
    expect(leafHashOfChunks(pieces, 1)).toEqual(sha(Buffer.from([0]), line));
    expect(leafHashOfChunks([line])).toEqual(sha(Buffer.from([0]), line));
  });
});

describe('CompactRange (the incremental tree)', () => {
  test('gives the reference root at every size from 0 to 8, and reports every complete subtree once', () => {
    const seen: string[][] = [[], [], [], []];
    const tree = new CompactRange(0, [], (level, index, hash) => { seen[level]![index] = hex(hash); });
    expect(hex(tree.root())).toBe(ROOTS[0]);
    LEAF_INPUTS.forEach((input, i) => {
      tree.append(leafHash(input));
      expect(tree.size).toBe(i + 1);
      expect(hex(tree.root())).toBe(ROOTS[i + 1]);
    });
    expect(seen).toEqual(NODES);
  });

  test('resumes from its edge hashes: a tree restored at size 5 continues to the size-8 root', () => {
    const first = new CompactRange();
    for (const input of LEAF_INPUTS.slice(0, 5)) first.append(leafHash(input));
    // The edge of 5 = 4 + 1: the root of leaves 0-3 and leaf 4, from the published node hashes.
    expect(first.edgeHashes().map(hex)).toEqual([NODES[2]![0], NODES[0]![4]]);
    const resumed = new CompactRange(5, first.edgeHashes());
    for (const input of LEAF_INPUTS.slice(5)) resumed.append(leafHash(input));
    expect(hex(resumed.root())).toBe(ROOTS[8]);
  });

  test('refuses an edge that does not fit its size', () => {
    expect(() => new CompactRange(5, [EMPTY_ROOT])).toThrow(RangeError);
    expect(() => new CompactRange(1, [Buffer.alloc(31)])).toThrow(RangeError);
    expect(() => new CompactRange(-1)).toThrow(RangeError);
  });

  test('agrees with the recursive MTH definition at every size up to 300', () => {
    const leaves = Array.from({ length: 300 }, (_, i) => Buffer.from(`leaf ${i}`));
    const tree = new CompactRange();
    leaves.forEach((l, i) => {
      tree.append(leafHash(l));
      if (i % 7 === 0 || i > 250) expect(tree.root()).toEqual(mth(leaves.slice(0, i + 1)));
    });
  });
});

describe('inclusion proofs', () => {
  test('transparency-dev/merkle probes: each happy path verifies, each mutation fails', () => {
    expect(PROBES.inclusion.length).toBeGreaterThan(90);
    for (const p of PROBES.inclusion) {
      const ok = verifyInclusion(p.leafIdx, p.treeSize, b64(p.leafHash), (p.proof ?? []).map(b64), b64(p.root));
      if (ok === p.wantErr) throw new Error(`${p.file} (${p.desc}): verify said ${ok}`);
    }
  });

  test('the proofs the tree scan builds over the reference leaves are the published ones', () => {
    const published = PROBES.inclusion.filter((p) => !p.wantErr && p.file.endsWith('happy-path.json'));
    expect(published.length).toBe(5);
    const scan = new TreeScan({ inclusion: published.map((p) => ({ index: p.leafIdx, size: p.treeSize })), roots: published.map((p) => p.treeSize) });
    for (const input of LEAF_INPUTS) scan.add(leafHash(input));
    for (const p of published) {
      expect(scan.inclusionProof(p.leafIdx, p.treeSize).map((h) => h.toString('base64'))).toEqual(p.proof ?? []);
      expect(scan.root(p.treeSize)?.toString('base64')).toBe(p.root);
    }
  });

  test('every leaf of every tree up to 70 leaves: the proof is RFC 6962 PATH, verifies, and fails for a neighbour or another root', () => {
    const leaves = Array.from({ length: 70 }, (_, i) => Buffer.from(`record ${i}`));
    const hashes = leaves.map(leafHash);
    for (let size = 1; size <= 70; size += size < 20 ? 1 : 7) {
      const requests = Array.from({ length: size }, (_, index) => ({ index, size }));
      const scan = new TreeScan({ inclusion: requests, roots: [size] });
      for (const h of hashes) scan.add(h);
      const root = mth(leaves.slice(0, size));
      expect(scan.root(size)).toEqual(root);
      for (let index = 0; index < size; index++) {
        const proof = scan.inclusionProof(index, size);
        expect(proof).toEqual(path6962(index, leaves.slice(0, size)));
        expect(verifyInclusion(index, size, hashes[index]!, proof, root)).toBe(true);
        if (size > 1) expect(verifyInclusion(index, size, hashes[(index + 1) % size]!, proof, root)).toBe(false);
        expect(verifyInclusion(index, size, hashes[index]!, proof, mth(leaves.slice(0, size + 1)))).toBe(false);
        expect(verifyInclusion(index, size, hashes[index]!, [...proof, root], root)).toBe(false);
      }
    }
  });

  test('a plan for a leaf outside the tree is refused', () => {
    expect(() => inclusionPlan(8, 8)).toThrow(RangeError);
    expect(verifyInclusion(8, 8, EMPTY_ROOT, [], EMPTY_ROOT)).toBe(false);
  });
});

describe('consistency proofs', () => {
  test('transparency-dev/merkle probes: each happy path verifies, each mutation fails', () => {
    expect(PROBES.consistency.length).toBeGreaterThan(90);
    // One probe compares two equal 12-byte "roots" ("don't care 2"); a root here is always a 32-byte
    // SHA-256, and anything else is refused: stricter than the reference, which compares bytes.
    const odd = PROBES.consistency.find((p) => p.desc === 'sizes are equal (one) and proof is empty')!;
    expect(b64(odd.root1).length).toBe(12);
    expect(verifyConsistency(1, 1, [], b64(odd.root1), b64(odd.root2))).toBe(false);
    expect(verifyConsistency(1, 1, [], unhex(ROOTS[1]!), unhex(ROOTS[1]!))).toBe(true);
    for (const p of PROBES.consistency.filter((q) => q !== odd)) {
      const ok = verifyConsistency(p.size1, p.size2, (p.proof ?? []).map(b64), b64(p.root1), b64(p.root2));
      if (ok === p.wantErr) throw new Error(`${p.file} (${p.desc}): verify said ${ok}`);
    }
  });

  test('the proofs the tree scan builds are RFC 6962 SUBPROOF and the published ones, and they verify', () => {
    const leaves = Array.from({ length: 33 }, (_, i) => Buffer.from(`entry ${i}`));
    const hashes = leaves.map(leafHash);
    const pairs: { from: number; to: number }[] = [];
    for (let to = 1; to <= 33; to++) for (let from = 1; from <= to; from++) pairs.push({ from, to });
    const scan = new TreeScan({ consistency: pairs, roots: Array.from({ length: 34 }, (_, i) => i) });
    for (const h of hashes) scan.add(h);
    for (const { from, to } of pairs) {
      const proof = scan.consistencyProof(from, to);
      expect(proof).toEqual(subproof(from, leaves.slice(0, to), true));
      expect(verifyConsistency(from, to, proof, scan.root(from)!, scan.root(to)!)).toBe(true);
      if (from < to) expect(verifyConsistency(from, to, proof, scan.root(from)!, scan.root(to - 1)!)).toBe(false);
    }
    expect(() => consistencyPlan(0, 3)).toThrow(RangeError);

    const published = PROBES.consistency.filter((p) => !p.wantErr);
    const reference = new TreeScan({ consistency: published.map((p) => ({ from: p.size1, to: p.size2 })) });
    for (const input of LEAF_INPUTS) reference.add(leafHash(input));
    for (const p of published) expect(reference.consistencyProof(p.size1, p.size2).map((h) => h.toString('base64'))).toEqual(p.proof ?? []);
  });
});
