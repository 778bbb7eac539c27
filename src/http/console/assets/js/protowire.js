// Reads the protobuf wire format of stored events (proto/matchledger/storage/v1), so the
// browser takes amounts and ids from the very bytes the Merkle proofs cover rather than
// from the server's decoded copy. Only what a match bundle needs is read; unknown fields
// are skipped as the wire format allows, and malformed bytes throw.

function varint(bytes, at) {
  let value = 0n;
  let shift = 0n;
  for (let i = at; i < bytes.length && i < at + 10; i += 1) {
    value |= BigInt(bytes[i] & 0x7f) << shift;
    if ((bytes[i] & 0x80) === 0) return [value, i + 1];
    shift += 7n;
  }
  throw new Error('truncated or overlong varint');
}

/** The fields of one message: a map from field number to the list of its values. */
export function fields(bytes) {
  const result = new Map();
  let at = 0;
  while (at < bytes.length) {
    const [key, next] = varint(bytes, at);
    at = next;
    const number = Number(key >> 3n);
    const wire = Number(key & 7n);
    let value;
    if (wire === 0) {
      [value, at] = varint(bytes, at);
    } else if (wire === 2) {
      const [length, start] = varint(bytes, at);
      const end = start + Number(length);
      if (end > bytes.length) throw new Error('a length runs past the end');
      value = bytes.subarray(start, end);
      at = end;
    } else if (wire === 1 || wire === 5) {
      at += wire === 1 ? 8 : 4;
      if (at > bytes.length) throw new Error('a fixed field runs past the end');
      continue;
    } else {
      throw new Error(`unsupported wire type ${wire}`);
    }
    if (number === 0) throw new Error('field number 0');
    if (!result.has(number)) result.set(number, []);
    result.get(number).push(value);
  }
  return result;
}

const text = (value) => (value ? new TextDecoder('utf-8', { fatal: true }).decode(value) : '');
const last = (map, number) => (map.get(number) || []).at(-1);

function uuid(value) {
  if (!value || value.length !== 16) throw new Error('an id is not 16 bytes');
  const hex = [...value].map((b) => b.toString(16).padStart(2, '0')).join('');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

function money(value) {
  const map = fields(value || new Uint8Array(0));
  return { amount: text(last(map, 1)), currency: text(last(map, 2)) };
}

/** Payload field numbers of `StoredEvent` and how to read the ones a bundle holds. */
const PAYLOADS = {
  16: ['phase_opened', (m) => ({ phase: uuid(last(m, 1)), name: text(last(m, 2)), currency: text(last(m, 3)), match_ratio: text(last(m, 6)) })],
  22: ['contribution_recorded', (m) => ({ contribution: uuid(last(m, 1)), phase: uuid(last(m, 2)), contributor: uuid(last(m, 3)), amount: money(last(m, 4)) })],
  23: ['match_recorded', (m) => ({ match: uuid(last(m, 1)), contribution: uuid(last(m, 2)), phase: uuid(last(m, 3)), agency: uuid(last(m, 4)), amount: money(last(m, 5)) })],
  27: ['entry_reversed', (m) => ({ entry: uuid(last(m, 1)), kind: Number(last(m, 2) || 0n), phase: uuid(last(m, 3)), amount: money(last(m, 4)) })],
};

/** Names of the other payloads, so an event of another kind is named, not misread. */
const OTHER_PAYLOADS = { 17: 'phase_closed', 18: 'contributor_registered', 19: 'agency_registered', 20: 'sme_registered', 21: 'pledge_recorded', 24: 'grant_awarded', 25: 'disbursement_recorded', 26: 'refund_recorded' };

/** Decodes a stored event's envelope and, for the kinds a bundle holds, its payload. */
export function decodeStoredEvent(bytes) {
  const map = fields(bytes);
  const version = Number(last(map, 1) || 0n);
  if (version !== 1) throw new Error(`unknown stored format version ${version}`);
  const micros = BigInt.asIntN(64, last(map, 4) || 0n);
  const event = {
    sequence: Number(last(map, 2) || 0n),
    event_id: uuid(last(map, 3)),
    recorded_at: new Date(Number(micros / 1000n)).toISOString(),
    actor: text(last(map, 6)),
    kind: null,
    payload: null,
  };
  for (let number = 16; number <= 27; number += 1) {
    if (!map.has(number)) continue;
    if (event.kind) throw new Error('more than one payload');
    if (PAYLOADS[number]) {
      const [kind, read] = PAYLOADS[number];
      event.kind = kind;
      event.payload = read(fields(last(map, number)));
    } else {
      event.kind = OTHER_PAYLOADS[number];
    }
  }
  if (!event.kind) throw new Error('no payload');
  return event;
}
