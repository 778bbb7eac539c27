// What the browser checks by itself, with WebCrypto only: signed tree heads, match
// bundles, phase statements and the log's growth. Each check returns a report
// `{ ok, checks: [{ ok, key, detail }] }`; `key` names the check for the page (i18n.js),
// `detail` says what was found. Nothing here trusts the server's decoded fields: amounts
// and ids are read from the stored bytes the proofs cover (protowire.js).

import * as decimal from './decimal.js';
import { leafHash, inclusionRoot, verifyConsistency, sha256, equal, fromHex, fromBase64, toHex } from './merkle.js';
import { verifyCheckpoint, verifyNote } from './note.js';
import { decodeStoredEvent } from './protowire.js';

export const BUNDLE_FORMAT = 'matchledger-match-bundle/v1';
const STATEMENT_HEADER = 'matchledger phase statement v1';

class Report {
  constructor() {
    this.checks = [];
  }

  add(ok, key, detail = '') {
    this.checks.push({ ok: Boolean(ok), key, detail: String(detail) });
    return Boolean(ok);
  }

  get ok() {
    return this.checks.length > 0 && this.checks.every((check) => check.ok);
  }
}

async function attempt(report, key, work) {
  try {
    return await work();
  } catch (error) {
    report.add(false, key, error.message);
    return null;
  }
}

/** Checks one proven event of a bundle against the signed checkpoint. */
async function checkEvent(report, proven, checkpoint) {
  const label = `#${proven.sequence}`;
  const bytes = fromBase64(proven.stored_bytes);
  const path = proven.proof.map(fromHex);
  const root = await inclusionRoot(await leafHash(bytes), BigInt(proven.sequence) - 1n, checkpoint.size, path);
  report.add(equal(root, checkpoint.root), 'check.inclusion', label);
  const event = decodeStoredEvent(bytes);
  report.add(event.sequence === proven.sequence, 'check.sequence', `${label} → ${event.sequence}`);
  const shown = Array.isArray(proven.decoded?.hash) ? Uint8Array.from(proven.decoded.hash) : new Uint8Array(0);
  report.add(equal(await sha256(bytes), shown), 'check.event_hash', `${label} ${toHex(shown).slice(0, 16)}…`);
  return event;
}

/** The status of `contribution` recomputed from events decoded from their stored bytes. */
export function recomputeStatus(events, contribution) {
  const recorded = events.find((e) => e.kind === 'contribution_recorded' && e.payload.contribution === contribution);
  if (!recorded) throw new Error('the bundle holds no recording of the contribution');
  const opening = events.find((e) => e.kind === 'phase_opened' && e.payload.phase === recorded.payload.phase);
  if (!opening) throw new Error('the bundle holds no opening of the contribution\'s phase');
  const reversed = new Set(events.filter((e) => e.kind === 'entry_reversed').map((e) => e.payload.entry));
  let matched = decimal.zero();
  for (const event of events) {
    if (event.kind === 'match_recorded' && event.payload.contribution === contribution && !reversed.has(event.payload.match)) {
      matched = decimal.add(matched, decimal.parse(event.payload.amount.amount));
    }
  }
  const contributed = decimal.parse(recorded.payload.amount.amount);
  const limit = decimal.mul(contributed, decimal.parse(opening.payload.match_ratio));
  let status = 'PARTIAL';
  if (matched.units === 0n) status = 'UNMATCHED';
  else if (decimal.cmp(matched, limit) >= 0) status = 'MATCHED';
  return {
    status,
    contributed: decimal.toText(contributed),
    limit: decimal.toText(limit),
    matched: decimal.toText(matched),
    overmatched: decimal.cmp(matched, limit) > 0,
    currency: recorded.payload.amount.currency,
    contribution_reversed: reversed.has(contribution),
  };
}

/** Whether every event is the phase opening or about `contribution` (matches before reversals). */
function allAbout(events, contribution) {
  const matches = new Set();
  return events.every((event) => {
    const p = event.payload;
    if (event.kind === 'phase_opened') return true;
    if (event.kind === 'contribution_recorded') return p.contribution === contribution;
    if (event.kind === 'match_recorded' && p.contribution === contribution) {
      matches.add(p.match);
      return true;
    }
    if (event.kind === 'entry_reversed') {
      return p.entry === contribution || matches.has(p.entry);
    }
    return false;
  });
}

/**
 * Verifies a match bundle (the JSON text GetMatchBundle returns) with the log's verifier
 * key; `expected` is the match status the page shows (GetMatchStatus), compared too.
 */
export async function verifyBundle(json, key, expected) {
  const report = new Report();
  const bundle = await attempt(report, 'check.bundle_json', async () => JSON.parse(json));
  if (!bundle) return { ok: false, checks: report.checks };
  report.add(bundle.format === BUNDLE_FORMAT, 'check.bundle_format', bundle.format);
  const checkpoint = await attempt(report, 'check.head_signature', () => verifyCheckpoint(bundle.tree_head, key));
  if (!checkpoint) return { ok: false, checks: report.checks };
  report.add(true, 'check.head_signature', `${key.name} · ${checkpoint.size}`);
  report.add(checkpoint.size === BigInt(bundle.tree_size), 'check.head_size', `${bundle.tree_size} / ${checkpoint.size}`);
  const events = [];
  for (const proven of bundle.events || []) {
    const event = await attempt(report, 'check.inclusion', () => checkEvent(report, proven, checkpoint));
    if (event) events.push(event);
  }
  report.add(events.length === (bundle.events || []).length && events.length > 0, 'check.events_read', `${events.length}`);
  report.add(events.every((e, i) => i === 0 || events[i - 1].sequence < e.sequence), 'check.log_order');
  report.add(allAbout(events, bundle.contribution_id), 'check.about_contribution', bundle.contribution_id);
  const status = await attempt(report, 'check.status', async () => recomputeStatus(events, bundle.contribution_id));
  if (status) {
    report.add(!status.overmatched, 'check.within_limit', `${status.matched} ≤ ${status.limit}`);
    const stated = bundle.status || {};
    report.add(stated.status === status.status && decimal.same(stated.matched, status.matched), 'check.status', `${status.status} ${status.matched}`);
    if (expected) {
      report.add(decimal.same(expected.matched, status.matched), 'check.status_page', `${expected.matched} / ${status.matched}`);
    }
  }
  return { ok: report.ok, checks: report.checks, status, checkpoint };
}

/** The `key value` lines of a statement text. */
export function statementFields(text) {
  const lines = text.replace(/\n$/, '').split('\n');
  if (lines[0] !== STATEMENT_HEADER) throw new Error('not a phase statement');
  return Object.fromEntries(lines.slice(1).map((line) => {
    const space = line.indexOf(' ');
    return space < 0 ? [line, ''] : [line.slice(0, space), line.slice(space + 1)];
  }));
}

/**
 * Verifies a phase statement: its signature; that its tree (size and root) is a prefix of
 * the latest signed head `headNote`, by the consistency proof `proofHashes` (base64) from
 * the statement's size to the head's; and that its figures equal `balances` (the phase's
 * balances as of the statement's size, answered by the query API).
 */
export async function verifyStatement(note, key, headNote, proofHashes, balances) {
  const report = new Report();
  const text = await attempt(report, 'check.statement_signature', () => verifyNote(note, key));
  if (!text) return { ok: false, checks: report.checks };
  report.add(true, 'check.statement_signature', key.name);
  const fields = await attempt(report, 'check.statement_signature', async () => statementFields(text));
  if (!fields) return { ok: false, checks: report.checks };
  const head = await attempt(report, 'check.head_signature', () => verifyCheckpoint(headNote, key));
  if (head) {
    report.add(true, 'check.head_signature', `${key.name} · ${head.size}`);
    const size = /^(0|[1-9]\d*)$/.test(fields.tree_size || '') ? BigInt(fields.tree_size) : -1n;
    const root = await attempt(report, 'check.statement_root', async () => fromBase64(fields.root || ''));
    const prefix = size >= 0n && root && await attempt(report, 'check.statement_in_log', () => verifyConsistency(size, head.size, root, head.root, proofHashes.map(fromBase64)));
    report.add(prefix === true, 'check.statement_in_log', `${fields.tree_size} → ${head.size}`);
  }
  if (balances) {
    const names = ['pledged', 'contributed', 'matched', 'pool', 'awarded', 'disbursed', 'refunded', 'cash'];
    const differ = names.filter((name) => !decimal.same(fields[name] ?? 'x', balances[name] ?? '0'));
    report.add(differ.length === 0, 'check.statement_figures', differ.join(', '));
  }
  return { ok: report.ok, checks: report.checks, fields };
}

/**
 * Verifies that the log only grew from the trusted head `oldNote` to `newNote`, with the
 * consistency proof's hashes (base64, as the API sends bytes).
 */
export async function verifyGrowth(oldNote, newNote, key, proofHashes) {
  const report = new Report();
  const older = await attempt(report, 'check.old_head', () => verifyCheckpoint(oldNote, key));
  const newer = await attempt(report, 'check.new_head', () => verifyCheckpoint(newNote, key));
  if (!older || !newer) return { ok: false, checks: report.checks };
  report.add(true, 'check.old_head', String(older.size));
  report.add(true, 'check.new_head', String(newer.size));
  report.add(older.origin === newer.origin, 'check.same_log', newer.origin);
  const proof = proofHashes.map(fromBase64);
  const grew = await attempt(report, 'check.consistency', () => verifyConsistency(older.size, newer.size, older.root, newer.root, proof));
  report.add(grew === true, 'check.consistency', `${older.size} → ${newer.size}`);
  return { ok: report.ok, checks: report.checks, older, newer };
}
