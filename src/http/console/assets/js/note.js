// C2SP signed notes, verifier keys and checkpoints (c2sp.org/signed-note,
// c2sp.org/tlog-checkpoint, c2sp.org/tlog-cosignature), checked with the browser's own
// Ed25519 (WebCrypto). The same formats as src/audit: a note is its text, a blank line,
// then lines `— <name> base64(4-byte key hash ‖ signature)`.

import { sha256, fromBase64, equal, requireCrypto } from './merkle.js';

const ED25519 = 0x01;
const COSIGNATURE_V1 = 0x04;
const DASH = '\u2014 ';

/** Parses `<name>+<8 hex key hash>+base64(type ‖ 32-byte key)` and checks its hash. */
export async function parseVerifierKey(text) {
  // The base64 key may itself hold '+': the name and hash end at the first two.
  const [name, hash, ...rest] = String(text).trim().split('+');
  const encoded = rest.join('+');
  if (!name || !/^[0-9a-f]{8}$/.test(hash || '') || !encoded) {
    throw new Error('a verifier key is name+hash+key');
  }
  const material = fromBase64(encoded);
  if (material.length !== 33) throw new Error('the key is not a type byte and 32 bytes');
  const type = material[0];
  if (type !== ED25519 && type !== COSIGNATURE_V1) throw new Error(`unsupported key type ${type}`);
  const computed = await keyHash(name, type, material.subarray(1));
  if (computed !== parseInt(hash, 16)) throw new Error('the key hash does not match the key');
  return { name, hash: computed, type, publicKey: material.slice(1), text: String(text).trim() };
}

async function keyHash(name, type, publicKey) {
  const nameBytes = new TextEncoder().encode(`${name}\n`);
  const input = new Uint8Array(nameBytes.length + 1 + publicKey.length);
  input.set(nameBytes);
  input[nameBytes.length] = type;
  input.set(publicKey, nameBytes.length + 1);
  const digest = await sha256(input);
  return new DataView(digest.buffer).getUint32(0);
}

/** Splits a note into its text (ending in a newline) and signature lines. */
export function parseNote(note) {
  const split = note.lastIndexOf('\n\n');
  if (split < 0) throw new Error('no blank line before the signatures');
  const text = note.slice(0, split + 1);
  const lines = note.slice(split + 2);
  if (!lines.endsWith('\n')) throw new Error('the signature lines must end in a newline');
  const signatures = lines.slice(0, -1).split('\n').map((line) => {
    if (!line.startsWith(DASH)) throw new Error('a signature line starts with an em dash');
    const [name, encoded] = line.slice(DASH.length).split(' ');
    const bytes = fromBase64(encoded || '');
    if (bytes.length < 5) throw new Error('a signature is shorter than 5 bytes');
    return { name, hash: new DataView(bytes.buffer).getUint32(0), signature: bytes.slice(4) };
  });
  return { text, signatures };
}

async function ed25519(publicKey, signature, message) {
  requireCrypto();
  const key = await crypto.subtle.importKey('raw', publicKey, { name: 'Ed25519' }, false, ['verify']);
  return crypto.subtle.verify({ name: 'Ed25519' }, key, signature, message);
}

/**
 * Verifies `note` with `key` (from `parseVerifierKey`): at least one line by the key, and
 * every such line verifies. Resolves to the signed text; rejects saying why not.
 */
export async function verifyNote(note, key) {
  const { text, signatures } = parseNote(note);
  const mine = signatures.filter((line) => line.name === key.name && line.hash === key.hash);
  if (mine.length === 0) throw new Error(`no signature by ${key.name}`);
  const body = new TextEncoder().encode(text);
  for (const line of mine) {
    let message = body;
    let signature = line.signature;
    if (key.type === COSIGNATURE_V1) {
      if (signature.length !== 72) throw new Error('a cosignature is a time and 64 bytes');
      const time = new DataView(signature.buffer, signature.byteOffset).getBigUint64(0);
      message = new TextEncoder().encode(`cosignature/v1\ntime ${time}\n${text}`);
      signature = signature.slice(8);
    }
    if (!(await ed25519(key.publicKey, signature, message))) {
      throw new Error(`the signature by ${key.name} does not verify`);
    }
  }
  return text;
}

const DECIMAL = /^(0|[1-9]\d*)$/;

/** Parses a checkpoint body: origin, size, base64 root, `timestamp <seconds>`, extensions. */
export function parseCheckpoint(body) {
  const lines = body.replace(/\n$/, '').split('\n');
  const [origin, size, root, timestamp] = lines;
  if (!origin || !DECIMAL.test(size || '')) throw new Error('not a checkpoint: origin and size');
  const rootBytes = fromBase64(root || '');
  if (rootBytes.length !== 32) throw new Error('the root is not 32 bytes');
  const time = (timestamp || '').replace(/^timestamp /, '');
  if (!timestamp?.startsWith('timestamp ') || !DECIMAL.test(time)) throw new Error('no timestamp line');
  return { origin, size: BigInt(size), root: rootBytes, timestamp: Number(time) };
}

/** Verifies a signed checkpoint and returns it parsed. */
export async function verifyCheckpoint(note, key) {
  return parseCheckpoint(await verifyNote(note, key));
}

export { equal };
