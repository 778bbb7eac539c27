// A small programme posted through the JSON API, as a finance system would: three phases
// (one closed, one empty), a contributor, an agency, three SMEs with Korean names, contributions that
// are matched, partially matched and unmatched, awards, disbursements and a refund.

import { randomUUID } from 'node:crypto';

/** Calls the JSON API; resolves to the answer, throws with the Connect error. */
export async function api(base, method, body = {}, token) {
  const headers = { 'Content-Type': 'application/json' };
  if (token) headers.Authorization = `Bearer ${token}`;
  const response = await fetch(`${base}/matchledger.v1.${method}`, { method: 'POST', headers, body: JSON.stringify(body) });
  const text = await response.text();
  if (!response.ok) throw new Error(`${method}: HTTP ${response.status} ${text}`);
  return JSON.parse(text);
}

const krw = (amount) => ({ amount, currency: 'KRW' });
const share = (min, max, cap) => ({ ratio_min: min, ratio_max: max, ...(cap ? { cap } : {}) });
const SUPPORT_TYPE = { code: 'type1-basic', government: share('0', '0.3', '42000000'), sponsor: share('0.3', '1'), own: share('0', '0.4') };

/** Posts the programme; returns the ids and references the test looks for. */
export async function postProgramme(base, token) {
  let n = 0;
  const post = (method, command, date, ref) => {
    n += 1;
    const options = { idempotency_key: `console-test-${n}`, effective_date: date, ...(ref ? { external_ref: ref } : {}) };
    return api(base, `PostingService/${method}`, { options, command }, token);
  };
  const ids = {
    open: randomUUID(), closed: randomUUID(), formula: randomUUID(), contributor: randomUUID(), agency: randomUUID(),
    smes: [randomUUID(), randomUUID(), randomUUID()],
    full: randomUUID(), partial: randomUUID(), unmatched: randomUUID(), old: randomUUID(),
    grants: [randomUUID(), randomUUID()],
  };
  await post('OpenPhase', { phase_id: ids.closed, name: '상생협력 0기 (pilot)', currency: 'KRW', starts_on: '2023-01-01', ends_on: '2023-12-31', match_ratio: '1', support_types: [SUPPORT_TYPE] }, '2023-01-01');
  await post('OpenPhase', { phase_id: ids.open, name: '스마트공장 상생 1기 (Smart factory phase 1)', currency: 'KRW', starts_on: '2024-01-01', ends_on: '2026-12-31', match_ratio: '1', support_types: [SUPPORT_TYPE] }, '2024-01-01');
  // A name that starts as a spreadsheet formula would ('+'), for the CSV's guard.
  await post('OpenPhase', { phase_id: ids.formula, name: '+α 시범 차수 (pilot 2027)', currency: 'KRW', starts_on: '2027-01-01', ends_on: '2027-12-31', match_ratio: '1', support_types: [SUPPORT_TYPE] }, '2024-01-01');
  await post('RegisterContributor', { contributor_id: ids.contributor, name: '한빛제철(주)' }, '2023-01-01');
  await post('RegisterAgency', { agency_id: ids.agency, name: '중소벤처기업부 기금관리단' }, '2023-01-01');
  const brns = ['4168611725', '2748645771', '5068125532'];
  const names = ['(주)명성이앤씨', '선진산기(주)', '(주)세진금속'];
  for (const [i, sme] of ids.smes.entries()) {
    await post('RegisterSme', { sme_id: sme, business_registration_number: brns[i], name: names[i], supplier: i === 0, channel: i === 1 ? 'APPLICATION_CHANNEL_INSTITUTION_PROPOSAL' : 'APPLICATION_CHANNEL_SPONSOR_PORTAL', size: 'SIZE_CLASS_SMALL' }, '2023-01-01');
  }
  await post('RecordContribution', { contribution_id: ids.old, phase_id: ids.closed, contributor_id: ids.contributor, amount: krw('50000000') }, '2023-03-02', 'TRF-2023-0001');
  await post('RecordMatch', { match_id: randomUUID(), contribution_id: ids.old, agency_id: ids.agency, amount: krw('50000000') }, '2023-04-10', 'GOV-2023-0001');
  await post('ClosePhase', { phase_id: ids.closed }, '2023-12-31');
  await post('RecordPledge', { pledge_id: randomUUID(), phase_id: ids.open, contributor_id: ids.contributor, amount: krw('1000000000') }, '2024-01-02');
  await post('RecordContribution', { contribution_id: ids.full, phase_id: ids.open, contributor_id: ids.contributor, amount: krw('300000000') }, '2024-02-01', 'TRF-2024-0001');
  await post('RecordContribution', { contribution_id: ids.partial, phase_id: ids.open, contributor_id: ids.contributor, amount: krw('200000000') }, '2024-05-02', 'TRF-2024-0002');
  await post('RecordContribution', { contribution_id: ids.unmatched, phase_id: ids.open, contributor_id: ids.contributor, amount: krw('100000000') }, '2024-09-02', 'TRF-2024-0003');
  await post('RecordMatch', { match_id: randomUUID(), contribution_id: ids.full, agency_id: ids.agency, amount: krw('200000000') }, '2024-03-05', 'GOV-2024-0001');
  await post('RecordMatch', { match_id: randomUUID(), contribution_id: ids.full, agency_id: ids.agency, amount: krw('100000000') }, '2024-04-05', 'GOV-2024-0002');
  await post('RecordMatch', { match_id: randomUUID(), contribution_id: ids.partial, agency_id: ids.agency, amount: krw('50000000') }, '2024-06-05', 'GOV-2024-0003');
  await post('AwardGrant', { grant_id: ids.grants[0], phase_id: ids.open, sme_id: ids.smes[0], purpose: 'PURPOSE_SMART_FACTORY', support_type: 'type1-basic', project_cost: krw('100000000'), government_share: '30000000', sponsor_share: '40000000', own_share: '30000000' }, '2024-07-01');
  await post('AwardGrant', { grant_id: ids.grants[1], phase_id: ids.open, sme_id: ids.smes[1], purpose: 'PURPOSE_QSS_CONSULTING', support_type: 'type1-basic', project_cost: krw('50000000'), government_share: '15000000', sponsor_share: '20000000', own_share: '15000000' }, '2024-07-01');
  await post('RecordDisbursement', { disbursement_id: randomUUID(), grant_id: ids.grants[0], amount: krw('70000000') }, '2024-08-01', 'PAY-2024-0001');
  await post('RecordDisbursement', { disbursement_id: randomUUID(), grant_id: ids.grants[1], amount: krw('20000000') }, '2024-08-01', 'PAY-2024-0002');
  await post('RecordRefund', { refund_id: randomUUID(), grant_id: ids.grants[0], amount: krw('5000000'), reason: '협약 위반 환수' }, '2024-11-15', 'RFD-2024-0001');
  return { ids, posted: n };
}
