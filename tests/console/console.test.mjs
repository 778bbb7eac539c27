// End-to-end test of the web console in headless Chromium (playwright-core). Started by
// tests/console.rs with a real server; posts a programme through the JSON API, compares
// the page's figures with the query answers, verifies in the browser, then tampers with
// what the server sends and sees the verification fail.
//
// Environment: CONSOLE_URL (the HTTP listener), CONSOLE_AUTH_URL and CONSOLE_TOKEN (a
// second server with authentication on), CHROMIUM (the browser, /usr/bin/chromium by
// default), ARTIFACTS (where screenshots go), DOCS_SCREENSHOT (also write the README's).

import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, copyFileSync } from 'node:fs';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { api, postProgramme } from './programme.mjs';

const BASE = process.env.CONSOLE_URL;
const ARTIFACTS = process.env.ARTIFACTS || 'console-artifacts';
const TIMEOUT_MS = 30_000;
mkdirSync(ARTIFACTS, { recursive: true });
if (!BASE) throw new Error('CONSOLE_URL is not set: run this through `cargo test --test console`');

/** "300000000" → "300,000,000", and "300,000,000 KRW" as the page writes money in English. */
const digits = (amount) => String(amount).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
const money = (amount) => `${digits(amount)} KRW`;

let page;
async function step(name, work) {
  const started = Date.now();
  try {
    await work();
    console.log(`ok   ${name} (${Date.now() - started} ms)`);
  } catch (error) {
    console.log(`FAIL ${name}: ${error.stack || error}`);
    if (page) await page.screenshot({ path: join(ARTIFACTS, `failure-${name.replace(/\W+/g, '-')}.png`), fullPage: true }).catch(() => {});
    throw error;
  }
}

const shot = (name) => page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: true });
const figure = (id) => page.locator(`[data-figure="${id}"]`).first();
const verdict = (scope) => page.locator(`${scope} [data-verdict]`);

/** Flips one bit in the middle of a base64 string's bytes. */
function flipByte(base64) {
  const bytes = Buffer.from(base64, 'base64');
  bytes[Math.floor(bytes.length / 2)] ^= 0x01;
  return bytes.toString('base64');
}

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  // The CI container runs as root, where Chromium's sandbox cannot start.
  args: ['--no-sandbox'],
});
const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, locale: 'en-US', acceptDownloads: true });
page = await context.newPage();
page.setDefaultTimeout(TIMEOUT_MS);
const consoleErrors = [];
page.on('pageerror', (error) => consoleErrors.push(String(error)));
page.on('console', (message) => { if (message.type() === 'error') consoleErrors.push(message.text()); });

const { ids } = await postProgramme(BASE);
const { phases } = await api(BASE, 'QueryService/ListPhaseBalances');
const verifierKey = (await api(BASE, 'AuditService/GetVerifierKey')).verifierKey;

await step('the overview shows every phase with the figures the query API answers', async () => {
  await page.goto(`${BASE}/#/`);
  await page.locator('#phases').waitFor();
  for (const phase of phases) {
    for (const name of ['pledged', 'contributed', 'matched', 'pool', 'awarded', 'disbursed', 'refunded', 'cash']) {
      assert.equal(await figure(`${phase.phaseId}.${name}`).textContent(), digits(phase[name]), `${phase.name} ${name}`);
    }
  }
});

await step('the charts fold the log to the same totals', async () => {
  await figure('chart.cash').waitFor();
  const sum = (name) => phases.reduce((total, p) => total + BigInt(p[name]), 0n);
  assert.equal(await figure('chart.contributed').textContent(), money(sum('contributed')));
  assert.equal(await figure('chart.matched').textContent(), money(sum('matched')));
  assert.equal(await figure('chart.cash').textContent(), money(sum('cash')));
  assert.equal(await page.locator('#charts svg path[data-series]').count(), 3);
  await shot('overview');
  if (process.env.DOCS_SCREENSHOT) copyFileSync(join(ARTIFACTS, 'overview.png'), process.env.DOCS_SCREENSHOT);
});

await step('a phase shows its balances, report and contributions with their match status', async () => {
  const [{ phase }, report, open] = await Promise.all([
    api(BASE, 'QueryService/GetPhaseBalances', { phase_id: ids.open }),
    api(BASE, 'QueryService/GetSponsorReport', { phase_id: ids.open }),
    api(BASE, 'QueryService/ListOpenContributions', { phase_id: ids.open }),
  ]);
  await page.goto(`${BASE}/#/phase/${ids.open}`);
  await page.locator('#contribution-table').waitFor();
  for (const name of ['contributed', 'matched', 'match_outstanding', 'awarded', 'disbursed', 'refunded', 'cash', 'uncommitted']) {
    const field = name.replace(/_(\w)/g, (_, c) => c.toUpperCase());
    assert.equal(await figure(name).textContent(), money(phase[field]), name);
  }
  assert.equal(await figure('report.smes_supported').textContent(), String(report.smesSupported));
  assert.equal(await figure('report.projects').textContent(), String(report.projects));
  assert.equal(await page.locator('#contribution-table tbody tr').count(), 3);
  await page.selectOption('#contribution-filter', 'open');
  assert.equal(await page.locator('#contribution-table tbody tr').count(), open.contributions.length);
  await page.selectOption('#contribution-filter', 'MATCH_STATUS_PARTIAL');
  assert.equal(await page.locator('#contribution-table tbody tr').count(), 1);
  assert.equal(await page.locator('#contribution-table [data-status="partial"]').count(), 1);
  await page.selectOption('#contribution-filter', 'MATCH_STATUS_UNMATCHED');
  assert.equal(await page.locator('#contribution-table tbody tr').count(), 1);
  assert.equal(await page.locator('#awards tbody tr').count(), 2);
  await shot('phase');
});

await step('the current phase statement verifies in the browser, and a changed figure does not', async () => {
  await page.fill('#verifier-key', verifierKey);
  await page.click('#verify-statement-current');
  await verdict('#statement-current-result').waitFor();
  assert.equal(await verdict('#statement-current-result').getAttribute('data-verdict'), 'verified');
  await page.route('**/matchledger.v1.AuditService/GetPhaseStatement', async (route) => {
    const response = await route.fetch();
    const body = await response.json();
    body.note = body.note.replace(/^contributed (\d+)$/m, (_, n) => `contributed ${BigInt(n) + 1n}`);
    await route.fulfill({ response, json: body });
  });
  await page.reload();
  await page.locator('#verify-statement-current').click();
  await verdict('#statement-current-result').waitFor();
  assert.equal(await verdict('#statement-current-result').getAttribute('data-verdict'), 'failed');
  await page.unroute('**/matchledger.v1.AuditService/GetPhaseStatement');
});

await step('the closing statement of the closed phase verifies', async () => {
  await page.goto(`${BASE}/#/phase/${ids.closed}`);
  await page.locator('#verify-statement-closing').click();
  await verdict('#statement-closing-result').waitFor();
  assert.equal(await verdict('#statement-closing-result').getAttribute('data-verdict'), 'verified');
});

await step('a contribution lists its events and its match bundle verifies in the browser', async () => {
  await page.goto(`${BASE}/#/contribution/${ids.partial}`);
  await page.locator('#contribution-events').waitFor();
  // The phase opening, the contribution and its one match, each with sequence, time, actor and hash.
  assert.equal(await page.locator('#contribution-events tbody tr').count(), 3);
  assert.match(await page.locator('#contribution-events tbody tr').last().textContent(), /[0-9a-f]{64}/);
  assert.equal(await page.inputValue('#verifier-key'), verifierKey, 'the key is remembered');
  await page.click('#verify-bundle');
  await verdict('#bundle-result').waitFor();
  assert.equal(await verdict('#bundle-result').getAttribute('data-verdict'), 'verified');
  assert.equal(await page.locator('#bundle-result li.fail').count(), 0);
  await shot('contribution-verified');
});

await step('a bundle with one flipped byte fails verification', async () => {
  await page.route('**/matchledger.v1.AuditService/GetMatchBundle', async (route) => {
    const response = await route.fetch();
    const body = await response.json();
    const bundle = JSON.parse(body.json);
    const match = bundle.events.at(-1);
    match.stored_bytes = flipByte(match.stored_bytes);
    body.json = JSON.stringify(bundle);
    await route.fulfill({ response, json: body });
  });
  await page.click('#verify-bundle');
  await page.locator('#bundle-result [data-verdict="failed"]').waitFor();
  assert.ok(await page.locator('#bundle-result li.fail').count() >= 1);
  await shot('contribution-tampered');
  await page.unroute('**/matchledger.v1.AuditService/GetMatchBundle');
});

await step('a bundle checked against another key fails verification', async () => {
  await page.fill('#verifier-key', verifierKey.replace(/^[^+]+/, 'impostor.example/log'));
  await page.click('#verify-bundle');
  await page.locator('#bundle-result [data-verdict="failed"], #bundle-result .error').first().waitFor();
  assert.equal(await page.locator('#bundle-result [data-verdict="verified"]').count(), 0);
  await page.fill('#verifier-key', verifierKey);
});

await step('the log is seen to only grow from a trusted head, and a bad proof fails', async () => {
  await page.goto(`${BASE}/#/trust`);
  await page.click('#check-growth');
  await page.locator('#growth-result [data-verdict="verified"]').waitFor();
  await page.click('#keep-head');
  await api(BASE, 'PostingService/RecordContribution', { options: { idempotency_key: 'console-test-growth', effective_date: '2024-12-01', external_ref: 'TRF-2024-0004' }, command: { contribution_id: crypto.randomUUID(), phase_id: ids.open, contributor_id: ids.contributor, amount: { amount: '10000000', currency: 'KRW' } } });
  await page.click('#check-growth');
  await page.locator('#growth-result li').first().waitFor();
  assert.equal(await page.locator('#growth-result [data-verdict]').getAttribute('data-verdict'), 'verified');
  await page.route('**/matchledger.v1.AuditService/GetConsistencyProof', async (route) => {
    const response = await route.fetch();
    const body = await response.json();
    body.hashes[0] = flipByte(body.hashes[0]);
    await route.fulfill({ response, json: body });
  });
  await page.click('#check-growth');
  await page.locator('#growth-result [data-verdict="failed"]').waitFor();
  await page.unroute('**/matchledger.v1.AuditService/GetConsistencyProof');
});

await step('the browser Merkle checks accept the server proofs for every leaf and tree size', async () => {
  // For every size m of the log and its first and last leaf: the audit path in the tree of
  // m leaves leads to a root that the consistency proof from m joins to the signed head.
  const checked = await page.evaluate(async () => {
    const merkle = await import('/console/js/merkle.js');
    const post = async (method, body) => (await fetch(`/matchledger.v1.AuditService/${method}`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) })).json();
    const head = await post('GetTreeHead', {});
    const size = Number(head.size);
    const headRoot = merkle.fromBase64(head.root);
    let count = 0;
    for (let m = 1; m <= size; m += 1) {
      for (const sequence of new Set([1, m])) {
        const proof = await post('GetInclusionProof', { sequence, tree_size: m, head_size: size });
        const leaf = await merkle.leafHash(merkle.fromBase64(proof.leaf));
        const root = await merkle.inclusionRoot(leaf, BigInt(sequence - 1), BigInt(m), proof.hashes.map(merkle.fromBase64));
        const joined = await merkle.verifyConsistency(BigInt(m), BigInt(size), root, headRoot, (proof.headConsistency?.hashes || []).map(merkle.fromBase64));
        if (!joined) throw new Error(`leaf ${sequence} in the tree of ${m} does not join the head of ${size}`);
        count += 1;
      }
    }
    const wrong = await post('GetInclusionProof', { sequence: 2, tree_size: size, head_size: size });
    const other = await merkle.leafHash(merkle.fromBase64(wrong.leaf).map((b, i) => (i === 0 ? b ^ 1 : b)));
    const forged = await merkle.inclusionRoot(other, 1n, BigInt(size), wrong.hashes.map(merkle.fromBase64));
    if (merkle.equal(forged, headRoot)) throw new Error('a changed leaf still leads to the head');
    return count;
  });
  assert.ok(checked >= 40, `${checked} proofs checked`);
});

await step('search by external reference finds the posting', async () => {
  await page.goto(`${BASE}/#/`);
  await page.fill('#search-ref', 'TRF-2024-0002');
  await page.press('#search-ref', 'Enter');
  await page.locator('#search-results').waitFor();
  assert.equal(await page.locator('#search-results tbody tr').count(), 1);
  assert.match(await page.locator('#search-results tbody tr').textContent(), /200,000,000 KRW/);
});

await step('the live feed shows an event as it commits', async () => {
  await page.goto(`${BASE}/#/feed`);
  await page.locator('#feed table').waitFor();
  await api(BASE, 'PostingService/RecordMatch', { options: { idempotency_key: 'console-test-live', effective_date: '2024-12-02', external_ref: 'GOV-LIVE-0001' }, command: { match_id: crypto.randomUUID(), contribution_id: ids.unmatched, agency_id: ids.agency, amount: { amount: '1000000', currency: 'KRW' } } });
  await page.locator('#feed tbody tr', { hasText: 'GOV-LIVE-0001' }).waitFor();
});

await step('the console switches to Korean and back', async () => {
  await page.goto(`${BASE}/#/phase/${ids.open}`);
  await page.locator('#contribution-table').waitFor();
  await page.click('#lang');
  await page.locator('html[lang="ko"]').waitFor();
  await page.locator('#contribution-table').waitFor();
  assert.match(await page.locator('h2').first().textContent(), /출연기업 보고 지표/);
  assert.match(await figure('contributed').textContent(), /원$/);
  await shot('phase-ko');
  await page.click('#lang');
  await page.locator('html[lang="en"]').waitFor();
});

await step('an SME shows the figures the query API answers and the events about it', async () => {
  const { sme } = await api(BASE, 'QueryService/GetSmeBalances', { sme_id: ids.smes[0] });
  await page.goto(`${BASE}/#/sme/${ids.smes[0]}`);
  await page.locator('#sme-events table').waitFor();
  assert.equal(await page.locator('main h1').textContent(), sme.name);
  assert.equal(await figure('brn').textContent(), sme.businessRegistrationNumber);
  const totals = await page.locator('main section').nth(1).locator('tbody tr').first().textContent();
  for (const name of ['awarded', 'disbursed', 'refunded', 'outstanding']) {
    assert.ok(totals.includes(money(sme.totals[0][name])), `${name} ${sme.totals[0][name]} in ${totals}`);
  }
  // Its registration, its grant, one disbursement and one refund.
  assert.equal(await page.locator('#sme-events tbody tr').count(), 4);
});

await step('balances download as CSV with a byte order mark and Korean names', async () => {
  await page.goto(`${BASE}/#/downloads`);
  const [balances] = await Promise.all([page.waitForEvent('download'), page.click('#download-balances')]);
  const phasesCsv = readFileSync(await balances.path(), 'utf8');
  assert.ok(phasesCsv.startsWith('\uFEFF'), 'the CSV starts with a BOM');
  assert.match(phasesCsv, /스마트공장 상생 1기/);
  assert.match(phasesCsv, /,'\+α 시범 차수 \(pilot 2027\),/, 'a name read as a formula is defused');
  const [download] = await Promise.all([page.waitForEvent('download'), page.click('#download-smes')]);
  const text = readFileSync(await download.path(), 'utf8');
  assert.ok(text.startsWith('\uFEFF'), 'the CSV starts with a BOM');
  assert.match(text, /\(주\)명성이앤씨/);
  const [events] = await Promise.all([page.waitForEvent('download'), page.click('#download-events')]);
  const lines = readFileSync(await events.path(), 'utf8').trim().split('\n');
  assert.ok(lines.length >= 20, `${lines.length} events`);
});

await step('the console is readable on a phone', async () => {
  const phone = await browser.newContext({ viewport: { width: 390, height: 844 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true });
  const small = await phone.newPage();
  await small.goto(`${BASE}/#/phase/${ids.open}`);
  await small.locator('#contribution-table').waitFor();
  const overflow = await small.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(overflow <= 1, `the page is ${overflow}px wider than the phone`);
  await small.screenshot({ path: join(ARTIFACTS, 'phone-phase.png'), fullPage: true });
  await phone.close();
});

if (process.env.CONSOLE_AUTH_URL) {
  await step('with authentication on, nothing is shown before a good token signs in', async () => {
    const auth = process.env.CONSOLE_AUTH_URL;
    const fresh = await browser.newContext();
    const tab = await fresh.newPage();
    await tab.goto(`${auth}/#/`);
    await tab.locator('#signin').waitFor();
    assert.equal(await tab.locator('#phases').count(), 0);
    await tab.fill('#token', 'not-a-token');
    await tab.click('#signin button[type="submit"]');
    await tab.locator('#signin .error').waitFor();
    assert.equal(await tab.locator('#phases').count(), 0);
    await tab.fill('#token', process.env.CONSOLE_TOKEN);
    await tab.click('#signin button[type="submit"]');
    // That ledger is empty: the overview says so, where before nothing at all was shown.
    await tab.locator('main h1', { hasText: 'Programme overview' }).waitFor();
    assert.equal(await tab.locator('#signin').count(), 0);
    await tab.click('#signout');
    await tab.locator('#signin').waitFor();
    await fresh.close();
  });
}

await step('the pages raised no script errors', async () => {
  assert.deepEqual(consoleErrors.filter((e) => !/status of (401|4\d\d)/.test(e)), []);
});

await browser.close();
console.log('all console checks passed');
