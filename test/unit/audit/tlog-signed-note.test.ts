/**
 * C2SP signed-note, tlog-checkpoint and tlog-proof against the specs' own examples and Go's reference
 * package (golang.org/x/mod/sumdb/note: its documented PeterNeumann key and note, and its Open tests),
 * and telegate's key ID and signature lines recomputed here by hand with node:crypto from the spec's
 * construction.
 */
import { createHash, createPrivateKey, generateKeyPairSync, sign, verify } from 'node:crypto';
import { CompactRange, leafHash } from '../../../src/audit/tlog/merkle';
import { formatCheckpointText, parseCheckpointText, splitOrigin } from '../../../src/audit/tlog/checkpoint';
import { formatVerifierKey, keyId, openNote, parseNote, parseVerifierKey, signNote, type NoteVerifier } from '../../../src/audit/tlog/signed-note';
import { ed25519PublicKey, signerFor } from '../../../src/audit/tlog/signing-key';
import { formatTlogProof, parseTlogProof } from '../../../src/audit/tlog/tlog-proof';

// --- golang.org/x/mod/sumdb/note, package documentation and note_test.go ---------------------------------
const PETER_VKEY = 'PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW';
const PETER_SKEY = 'PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz';
const ENOCH_VKEY = 'EnochRoot+af0cfe78+ATtqJ7zOtqQtYqOo0CpvDXNlMhV3HeJDpjrASKGLWdop';
const TEXT = 'If you think cryptography is the answer to your problem,\nthen you don\'t know what your problem is.\n';
const PETER_SIG = '— PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n';
const ENOCH_SIG = '— EnochRoot rwz+eBzmZa0SO3NbfRGzPCpDckykFXSdeX+MNtCOXm2/5n2tiOHp+vAF1aGrQ5ovTG01oOTGwnWLox33WWd1RvMc+QQ=\n';

// --- c2sp.org/signed-note, "Verifier keys / Example" -----------------------------------------------------
const C2SP_VKEY = 'example.com/foo+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k';
const C2SP_NOTE = 'This is an example message.\n\n— example.com/foo Uw2QOkn8srV1yJGh2VYRlL1Tnagv1YEq6TfXppzi2ONncAlTgK7Ztg1ERYNZXsYjOBH3mFXmRKuwHjG1Yu72IneyaQM=\n';

function verifier(vkey: string): NoteVerifier {
  const parsed = parseVerifierKey(vkey);
  if (!parsed.ok) throw new Error(parsed.message);
  return parsed.value;
}

/** The Go example's private key: its seed (after the 0x01 type byte) wrapped in PKCS#8 by hand (RFC 8410 §7). */
function peterPrivateKey() {
  // PRIVATE+KEY+<name>+<id>+<base64>: the base64 part may hold '+' itself.
  const seed = Buffer.from(PETER_SKEY.split('+').slice(4).join('+'), 'base64').subarray(1);
  expect(seed.length).toBe(32);
  const der = Buffer.concat([Buffer.from('302e020100300506032b657004220420', 'hex'), seed]);
  return createPrivateKey({ key: der, format: 'der', type: 'pkcs8' });
}

describe('signed-note', () => {
  test("Go's documented PeterNeumann note verifies under its verifier key", () => {
    const opened = openNote(`${TEXT}\n${PETER_SIG}`, [verifier(PETER_VKEY)]);
    expect(opened.ok).toBe(true);
    if (opened.ok) {
      expect(opened.note.text).toBe(TEXT);
      expect(opened.verifiedBy.map((v) => v.name)).toEqual(['PeterNeumann']);
    }
  });

  test("signing the Go example's text with its private key gives Go's signature byte for byte (Ed25519 is deterministic)", () => {
    const signer = signerFor(peterPrivateKey(), 'PeterNeumann');
    expect(signer.vkey).toBe(PETER_VKEY);
    expect(signer.keyId).toBe(0xc74f20a3);
    expect(signNote(TEXT, [signer])).toBe(`${TEXT}\n${PETER_SIG}`);
  });

  test("the c2sp.org/signed-note example verifies; Go's doubly signed note verifies under either key alone, and under none fails", () => {
    expect(openNote(C2SP_NOTE, [verifier(C2SP_VKEY)]).ok).toBe(true);
    const both = `${TEXT}\n${PETER_SIG}${ENOCH_SIG}`;
    expect(openNote(both, [verifier(PETER_VKEY)]).ok).toBe(true);
    expect(openNote(both, [verifier(ENOCH_VKEY)]).ok).toBe(true);
    const none = openNote(both, [verifier(C2SP_VKEY)]);
    expect(none).toMatchObject({ ok: false, reason: 'unknown-key' });
  });

  test('a changed text, or a changed signature of a known key, is a bad signature; a good signature repeated still verifies', () => {
    expect(openNote(`${TEXT.replace('cryptography', 'cryptology')}\n${PETER_SIG}`, [verifier(PETER_VKEY)])).toMatchObject({ ok: false, reason: 'bad-signature' });
    expect(openNote(`${TEXT}\n${PETER_SIG.slice(0, 60)}ABCD${PETER_SIG.slice(60)}`, [verifier(PETER_VKEY)])).toMatchObject({ ok: false, reason: 'bad-signature' });
    expect(openNote(`${TEXT}\n${PETER_SIG}${PETER_SIG}${ENOCH_SIG}${ENOCH_SIG.slice(0, 60)}ABCD${ENOCH_SIG.slice(60)}`, [verifier(PETER_VKEY)]).ok).toBe(true);
  });

  test("Go's malformed notes are malformed here too, and so are 101 signatures", () => {
    const bad = [
      TEXT,
      `${TEXT}\n`,
      `${TEXT}\n${PETER_SIG.slice(0, -1)}`,
      `\x01${TEXT}\n${PETER_SIG}`,
      Buffer.concat([Buffer.from([0xff]), Buffer.from(`${TEXT}\n${PETER_SIG}`)]),
      `${TEXT}\n— Bad Name x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=`,
      `${TEXT}\n${PETER_SIG}Unexpected line.\n`,
      `${TEXT}\n${PETER_SIG.repeat(101)}`,
      `${TEXT}\n${PETER_SIG.replace('AM=', 'AM')}`,
    ];
    for (const msg of bad) expect(openNote(msg, [verifier(PETER_VKEY)])).toMatchObject({ ok: false, reason: 'malformed' });
  });

  test("verifier keys: Go's manglings (every proper substring, every byte changed) are refused", () => {
    expect(parseVerifierKey(PETER_VKEY).ok).toBe(true);
    for (let i = 0; i <= PETER_VKEY.length; i++) {
      for (let j = i + 1; j <= PETER_VKEY.length; j++) {
        if (i === 0 && j === PETER_VKEY.length) continue;
        const sub = PETER_VKEY.slice(i, j);
        if (parseVerifierKey(sub).ok) throw new Error(`accepted ${sub}`);
      }
    }
    for (let i = 0; i < PETER_VKEY.length; i++) {
      const changed = PETER_VKEY.slice(0, i) + String.fromCharCode(PETER_VKEY.charCodeAt(i) + 1) + PETER_VKEY.slice(i + 1);
      if (parseVerifierKey(changed).ok) throw new Error(`accepted ${changed}`);
    }
    // Go's: a wrong-length key and an unknown algorithm, each with its key hash adjusted.
    expect(parseVerifierKey('PeterNeumann+cc469956+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TWBADKEY==').ok).toBe(false);
    expect(parseVerifierKey('PeterNeumann+173116ae+ZRpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW').ok).toBe(false);
  });

  test("telegate's key ID, verifier key and signature line follow the spec's construction, computed here by hand", () => {
    const { privateKey, publicKey } = generateKeyPairSync('ed25519');
    const raw = ed25519PublicKey(publicKey);
    // RFC 8410: the last 32 bytes of an Ed25519 SubjectPublicKeyInfo are the key itself.
    expect(raw).toEqual(publicKey.export({ type: 'spki', format: 'der' }).subarray(-32));
    const name = 'telegate';
    const id = createHash('sha256').update(Buffer.concat([Buffer.from(name), Buffer.from([0x0a, 0x01]), raw])).digest().subarray(0, 4);
    const signer = signerFor(privateKey, name);
    expect(signer.keyId).toBe(id.readUInt32BE(0));
    expect(keyId(name, 1, raw)).toBe(id.readUInt32BE(0));
    expect(signer.vkey).toBe(`telegate+${id.toString('hex')}+${Buffer.concat([Buffer.from([1]), raw]).toString('base64')}`);
    expect(formatVerifierKey(name, raw)).toBe(signer.vkey);

    const text = 'telegate/default\n3\nrra8/idLcKFPsGel5VeCZNsPqbUa9eC6FZFY8yngbnc=\n';
    const note = signNote(text, [signer]);
    const [body, sigLine] = note.split('\n\n') as [string, string];
    expect(`${body}\n`).toBe(text);
    const m = /^\u2014 telegate ([A-Za-z0-9+/]+=*)\n$/.exec(sigLine);
    expect(m).not.toBeNull();
    const sig = Buffer.from(m![1]!, 'base64');
    expect(sig.length).toBe(4 + 64);
    expect(sig.subarray(0, 4)).toEqual(id);
    expect(verify(null, Buffer.from(text), publicKey, sig.subarray(4))).toBe(true);
    expect(parseNote(note)).toMatchObject({ ok: true, value: { text, signatures: [{ name: 'telegate', keyId: id.readUInt32BE(0) }] } });
  });

  test("a verifier key whose base64 holds '+' reads back (only the name and the ID stop at a '+')", () => {
    let vkey = '';
    while (!vkey.split('+').slice(2).join('+').includes('+')) vkey = signerFor(generateKeyPairSync('ed25519').privateKey, 'telegate').vkey;
    expect(parseVerifierKey(vkey)).toMatchObject({ ok: true, value: { name: 'telegate', vkey } });
  });
});

/**
 * c2sp.org/signed-note, rule by rule, with notes made here from the spec's own construction (key ID =
 * SHA-256(name ‖ 0x0A ‖ 0x01 ‖ key)[:4]; a signature line `— <name> base64(ID ‖ Ed25519 signature)`),
 * node:crypto signing, never telegate's signNote.
 */
describe('signed-note: what the spec says verifiers MUST do', () => {
  interface SpecKey { name: string; id: Buffer; vkey: string; line(text: string): string }
  function specKey(name: string): SpecKey {
    const { privateKey, publicKey } = generateKeyPairSync('ed25519');
    const raw = publicKey.export({ type: 'spki', format: 'der' }).subarray(-32);
    const id = createHash('sha256').update(Buffer.concat([Buffer.from(name, 'utf8'), Buffer.from([0x0a, 0x01]), raw])).digest().subarray(0, 4);
    return {
      name, id,
      vkey: `${name}+${id.toString('hex')}+${Buffer.concat([Buffer.from([0x01]), raw]).toString('base64')}`,
      line: (text) => `\u2014 ${name} ${Buffer.concat([id, sign(null, Buffer.from(text, 'utf8'), privateKey)]).toString('base64')}\n`,
    };
  }
  const C2SP_LINE = C2SP_NOTE.slice(C2SP_NOTE.indexOf('\u2014'));
  const C2SP_TEXT = 'This is an example message.\n';
  /** The spec example's signature line with one signature byte changed (still valid base64). */
  const C2SP_LINE_FORGED = (() => {
    const b64 = C2SP_LINE.slice('\u2014 example.com/foo '.length, -1);
    const bytes = Buffer.from(b64, 'base64');
    bytes.writeUInt8(bytes.readUInt8(10) ^ 0x01, 10);
    return `\u2014 example.com/foo ${bytes.toString('base64')}\n`;
  })();

  test('"If the key name and ID match a known key, verifiers MUST verify the signature": a repeated one too', () => {
    expect(openNote(`${C2SP_TEXT}\n${C2SP_LINE}${C2SP_LINE}`, [verifier(C2SP_VKEY)]).ok).toBe(true);
    // A forged copy after the good one (and before it) is verified, fails, and rejects the note.
    expect(openNote(`${C2SP_TEXT}\n${C2SP_LINE}${C2SP_LINE_FORGED}`, [verifier(C2SP_VKEY)])).toMatchObject({ ok: false, reason: 'bad-signature' });
    expect(openNote(`${C2SP_TEXT}\n${C2SP_LINE_FORGED}${C2SP_LINE}`, [verifier(C2SP_VKEY)])).toMatchObject({ ok: false, reason: 'bad-signature' });
  });

  test('"Verifiers MUST ignore signatures from unknown keys, even if they share a name or ID (but not both) with a known key"', () => {
    const junk = Buffer.alloc(64, 0x5a);
    const sameName = `\u2014 example.com/foo ${Buffer.concat([Buffer.from('530d903b', 'hex'), junk]).toString('base64')}\n`;
    const sameId = `\u2014 example.com/bar ${Buffer.concat([Buffer.from('530d903a', 'hex'), junk]).toString('base64')}\n`;
    const other = specKey('witness.example/w1');
    expect(openNote(`${C2SP_TEXT}\n${sameName}${sameId}${other.line(C2SP_TEXT)}${C2SP_LINE}`, [verifier(C2SP_VKEY)]).ok).toBe(true);
    // "If no signature from a known key verifies successfully, clients MUST reject the note."
    expect(openNote(`${C2SP_TEXT}\n${sameName}${sameId}${other.line(C2SP_TEXT)}`, [verifier(C2SP_VKEY)])).toMatchObject({ ok: false, reason: 'unknown-key' });
  });

  test('"MUST accept at least up to 16 signatures": 15 other keys and the known one; 16 known keys', () => {
    const others = Array.from({ length: 15 }, (_, i) => specKey(`witness.example/w${i}`));
    expect(openNote(`${C2SP_TEXT}\n${others.map((k) => k.line(C2SP_TEXT)).join('')}${C2SP_LINE}`, [verifier(C2SP_VKEY)]).ok).toBe(true);
    const sixteen = [...others, specKey('witness.example/w15')];
    const opened = openNote(`${C2SP_TEXT}\n${sixteen.map((k) => k.line(C2SP_TEXT)).join('')}`, sixteen.map((k) => verifier(k.vkey)));
    expect(opened.ok && opened.verifiedBy.length).toBe(16);
  });

  test('"MUST be valid UTF-8": the spec\'s own Italian text, with its empty line, verifies; its text ends at the last empty line', () => {
    const text = 'Ognuno sta solo sul cuor della terra\ntrafitto da un raggio di sole:\n\ned \u00e8 subito sera.\n';
    const key = specKey('quasimodo.example/salvatore');
    const opened = openNote(`${text}\n${key.line(text)}`, [verifier(key.vkey)]);
    expect(opened.ok && opened.note.text).toBe(text);
    // Bytes that are not UTF-8 make it malformed, before any signature is looked at.
    const latin1 = Buffer.concat([Buffer.from(text.replace('\u00e8', ''), 'utf8').subarray(0, 10), Buffer.from([0xe8]), Buffer.from(`\n\n${key.line(text)}`, 'utf8')]);
    expect(openNote(latin1, [verifier(key.vkey)])).toMatchObject({ ok: false, reason: 'malformed' });
  });

  test('"MUST NOT contain any ASCII control characters (those below U+0020) other than newline": in the text or a signature line', () => {
    const key = specKey('example.org/k');
    for (const c of ['\x00', '\t', '\r', '\x1b', '\x1f']) {
      const text = `line one${c}\nline two\n`;
      expect(openNote(`${text}\n${key.line(text)}`, [verifier(key.vkey)])).toMatchObject({ ok: false, reason: 'malformed' });
    }
    expect(openNote(`${C2SP_TEXT}\n${C2SP_LINE.replace('\n', '\r\n')}`, [verifier(C2SP_VKEY)])).toMatchObject({ ok: false, reason: 'malformed' });
    // Not below U+0020, so not refused: DEL and a C1 control verify when signed.
    const text = 'del \x7f and next line \u0085 here\n';
    expect(openNote(`${text}\n${key.line(text)}`, [verifier(key.vkey)]).ok).toBe(true);
  });

  test('the format: a text ending in newline, a blank line, signature lines "em dash, space, key name, space, base64 signature, newline"', () => {
    const known = [verifier(C2SP_VKEY)];
    const malformed = [
      // no blank line between the text and the signatures
      `${C2SP_TEXT}${C2SP_LINE}`,
      // the last signature line without its newline
      `${C2SP_TEXT}\n${C2SP_LINE.slice(0, -1)}`,
      // no signature line at all
      `${C2SP_TEXT}\n`,
      // a signature that is not base64, of an unknown key too
      `${C2SP_TEXT}\n\u2014 other.example/x not*base64!\n${C2SP_LINE}`,
      // base64 of fewer than 4 + 1 bytes
      `${C2SP_TEXT}\n\u2014 other.example/x AAAAAA==\n${C2SP_LINE}`,
      // a hyphen for the em dash; two spaces; no signature
      `${C2SP_TEXT}\n${C2SP_LINE.replace('\u2014', '-')}`,
      `${C2SP_TEXT}\n${C2SP_LINE.replace('\u2014 ', '\u2014  ')}`,
      `${C2SP_TEXT}\n\u2014 example.com/foo\n`,
      // key names: no Unicode space, no plus
      `${C2SP_TEXT}\n${C2SP_LINE.replace('example.com/foo', 'example.com/f\u2003oo')}`,
      `${C2SP_TEXT}\n${C2SP_LINE.replace('example.com/foo', 'example.com/f\u00a0oo')}`,
      `${C2SP_TEXT}\n${C2SP_LINE.replace('example.com/foo', 'example.com/f+oo')}`,
    ];
    for (const note of malformed) expect([note, openNote(note, known)]).toMatchObject([note, { ok: false, reason: 'malformed' }]);
    // A key name of other scripts, with no space or plus, is a name.
    const key = specKey('\u65e5\u672c.example/\u9375');
    expect(openNote(`${C2SP_TEXT}\n${key.line(C2SP_TEXT)}`, [verifier(key.vkey)]).ok).toBe(true);
  });
});

describe('tlog-checkpoint', () => {
  test('the c2sp.org/tlog-checkpoint example parses; extension lines are kept, an empty one refused', () => {
    const example = 'example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n';
    const cp = parseCheckpointText(example);
    expect(cp).toMatchObject({ ok: true, value: { origin: 'example.com/behind-the-sofa', size: 20852163, extensions: [] } });
    if (cp.ok) expect(formatCheckpointText(cp.value)).toBe(example);
    expect(parseCheckpointText(`${example}ext one\n`)).toMatchObject({ ok: true, value: { extensions: ['ext one'] } });
    expect(parseCheckpointText(`${example}\n`).ok).toBe(false);
  });

  test('a telegate checkpoint body is origin, size, base64 root: the reference tree of 3 leaves', () => {
    const tree = new CompactRange();
    for (const hex of ['', '00', '10']) tree.append(leafHash(Buffer.from(hex, 'hex')));
    // aeb6bcfe… is the RFC 6962 reference root at size 3.
    expect(formatCheckpointText({ origin: 'telegate/default', size: 3, root: tree.root() }))
      .toBe(`telegate/default\n3\n${Buffer.from('aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77', 'hex').toString('base64')}\n`);
  });

  test('sizes with leading zeros or signs, roots of the wrong length, and too few lines are refused', () => {
    const root = Buffer.alloc(32).toString('base64');
    for (const text of [`o\n01\n${root}\n`, `o\n-1\n${root}\n`, `o\n+1\n${root}\n`, `o\n1\n${Buffer.alloc(31).toString('base64')}\n`, 'o\n1\n', `\n1\n${root}\n`, `o\n1\n${root}`]) {
      expect(parseCheckpointText(text).ok).toBe(false);
    }
  });

  test('origins split at the last slash into the key name and the chain name', () => {
    expect(splitOrigin('telegate/default')).toEqual({ prefix: 'telegate', chain: 'default' });
    expect(splitOrigin('audit.example.com/eu/pod-a-w1')).toEqual({ prefix: 'audit.example.com/eu', chain: 'pod-a-w1' });
    expect(splitOrigin('telegate')).toBeUndefined();
    expect(splitOrigin('telegate/')).toBeUndefined();
  });
});

describe('tlog-proof', () => {
  const checkpoint = `example.com/fancylog\n109482\n${Buffer.alloc(32, 7).toString('base64')}\n\n— example.com/fancylog AAAAAQ==\n`;

  test('the c2sp.org/tlog-proof layout: header, extra, index, hashes, empty line, checkpoint verbatim', () => {
    const h = [Buffer.alloc(32, 1), Buffer.alloc(32, 2)];
    const text = formatTlogProof({ extra: Buffer.from('age-v1.2.1'), index: 73894, proof: h, checkpoint });
    expect(text).toBe(`c2sp.org/tlog-proof@v1\nextra ${Buffer.from('age-v1.2.1').toString('base64')}\nindex 73894\n${h[0]!.toString('base64')}\n${h[1]!.toString('base64')}\n\n${checkpoint}`);
    expect(parseTlogProof(text)).toEqual({ ok: true, value: { extra: Buffer.from('age-v1.2.1'), index: 73894, proof: h, checkpoint } });
    expect(parseTlogProof(`c2sp.org/tlog-proof@v1\nindex 0\n\n${checkpoint}`)).toEqual({ ok: true, value: { index: 0, proof: [], checkpoint } });
  });

  test('a wrong header, an index with a leading zero, a short hash or no empty line is refused', () => {
    for (const text of [
      `c2sp.org/tlog-proof@v2\nindex 1\n\n${checkpoint}`,
      `c2sp.org/tlog-proof@v1\nindex 01\n\n${checkpoint}`,
      `c2sp.org/tlog-proof@v1\nindex 1\n${Buffer.alloc(31).toString('base64')}\n\n${checkpoint}`,
      `c2sp.org/tlog-proof@v1\nindex 1\n${Buffer.alloc(32).toString('base64')}`,
    ]) expect(parseTlogProof(text).ok).toBe(false);
  });
});
