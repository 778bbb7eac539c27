// RFC 6962 / RFC 9162 Merkle tree checks with the browser's SHA-256 (WebCrypto): leaf
// hash SHA-256(0x00 ‖ bytes), node hash SHA-256(0x01 ‖ left ‖ right). Indices and sizes
// are BigInts, so trees past 2^32 leaves are walked right (JavaScript's bit operators
// work on 32 bits only).

/**
 * Browsers offer WebCrypto only to secure contexts: HTTPS, or plain HTTP to localhost and
 * 127.0.0.1. Say so rather than fail obscurely when the console is served otherwise.
 */
export function requireCrypto() {
  if (!globalThis.crypto || !crypto.subtle) {
    throw new Error('This page is not a secure context (HTTPS or localhost), so the browser offers no WebCrypto to verify with.');
  }
}

export async function sha256(bytes) {
  requireCrypto();
  return new Uint8Array(await crypto.subtle.digest('SHA-256', bytes));
}

function prefixed(prefix, ...parts) {
  const length = parts.reduce((sum, part) => sum + part.length, 1);
  const joined = new Uint8Array(length);
  joined[0] = prefix;
  let at = 1;
  for (const part of parts) {
    joined.set(part, at);
    at += part.length;
  }
  return joined;
}

export const leafHash = (bytes) => sha256(prefixed(0x00, bytes));
export const nodeHash = (left, right) => sha256(prefixed(0x01, left, right));

export function equal(a, b) {
  return a.length === b.length && a.every((byte, i) => byte === b[i]);
}

/**
 * The root an audit path leads to (RFC 9162 §2.1.3.2) for leaf `index` of a tree of
 * `size` leaves; throws when the path has the wrong length for that position.
 */
export async function inclusionRoot(leaf, index, size, proof) {
  let node = BigInt(index);
  let last = BigInt(size) - 1n;
  if (node > last) throw new Error(`leaf ${index} is not in a tree of ${size}`);
  let computed = leaf;
  for (const sibling of proof) {
    if (last === 0n) throw new Error('the audit path is too long');
    if ((node & 1n) === 1n || node === last) {
      computed = await nodeHash(sibling, computed);
      while ((node & 1n) === 0n && node !== 0n) {
        node >>= 1n;
        last >>= 1n;
      }
    } else {
      computed = await nodeHash(computed, sibling);
    }
    node >>= 1n;
    last >>= 1n;
  }
  if (last !== 0n) throw new Error('the audit path is too short');
  return computed;
}

/**
 * Whether the tree of `oldSize` leaves with `oldRoot` is a prefix of the tree of
 * `newSize` leaves with `newRoot`, by the RFC 9162 §2.1.4.2 consistency proof.
 */
export async function verifyConsistency(oldSize, newSize, oldRoot, newRoot, proof) {
  const first = BigInt(oldSize);
  const second = BigInt(newSize);
  if (first > second) return false;
  if (first === second) return proof.length === 0 && equal(oldRoot, newRoot);
  if (first === 0n) return proof.length === 0;
  const path = (first & (first - 1n)) === 0n ? [oldRoot, ...proof] : [...proof];
  if (path.length === 0) return false;
  let oldNode = first - 1n;
  let newNode = second - 1n;
  while ((oldNode & 1n) === 1n) {
    oldNode >>= 1n;
    newNode >>= 1n;
  }
  let oldComputed = path[0];
  let newComputed = path[0];
  for (const sibling of path.slice(1)) {
    if (newNode === 0n) return false;
    if ((oldNode & 1n) === 1n || oldNode === newNode) {
      oldComputed = await nodeHash(sibling, oldComputed);
      newComputed = await nodeHash(sibling, newComputed);
      while ((oldNode & 1n) === 0n && oldNode !== 0n) {
        oldNode >>= 1n;
        newNode >>= 1n;
      }
    } else {
      newComputed = await nodeHash(newComputed, sibling);
    }
    oldNode >>= 1n;
    newNode >>= 1n;
  }
  return newNode === 0n && equal(oldComputed, oldRoot) && equal(newComputed, newRoot);
}

export function fromHex(text) {
  if (!/^([0-9a-f]{2})*$/i.test(text)) throw new Error('not hex');
  return new Uint8Array(text.match(/../g)?.map((pair) => parseInt(pair, 16)) ?? []);
}

export function toHex(bytes) {
  return [...bytes].map((b) => b.toString(16).padStart(2, '0')).join('');
}

export function fromBase64(text) {
  const binary = atob(text);
  return Uint8Array.from(binary, (c) => c.charCodeAt(0));
}

export function toBase64(bytes) {
  return btoa(String.fromCharCode(...bytes));
}
