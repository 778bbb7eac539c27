// Korean and English, switchable; the choice is remembered in localStorage. Money is
// formatted from its exact decimal string (decimal.js), never through a float.

import { group } from './decimal.js';
import { h } from './dom.js';

const LANG_KEY = 'matchledger.lang';

const en = {
  loading: 'Loading…', more: 'More', yes: 'yes', no: 'no', total: 'Total', phase: 'Phase', sme: 'SME', download: 'Download',
  answered_at: 'as of event {sequence}',
  'nav.overview': 'Programme', 'nav.feed': 'Live feed', 'nav.trust': 'Verify', 'nav.downloads': 'Downloads',
  'search.placeholder': 'External reference', 'search.title': 'Postings with reference', 'search.found': '{count} events', 'search.none': 'No posting carries this reference.',
  'footer.readonly': 'Read-only console: nothing here can post or change the ledger.',
  'overview.title': 'Programme overview', 'overview.empty': 'No phase has been opened yet.',
  'phase.open': 'open', 'phase.closed': 'closed',
  'col.status': 'Status', 'col.sequence': 'Seq.', 'col.recorded': 'Recorded (UTC)', 'col.effective': 'Effective', 'col.kind': 'Event', 'col.amount': 'Amount', 'col.about': 'About', 'col.actor': 'Actor', 'col.reference': 'Reference', 'col.hash': 'Hash', 'col.brn': 'Business reg. no.', 'col.category': 'Category', 'col.currency': 'Currency',
  'fig.pledged': 'Pledged', 'fig.contributed': 'Contributed', 'fig.matched': 'Matched', 'fig.match_outstanding': 'Match outstanding', 'fig.pool': 'Pool', 'fig.awarded': 'Awarded', 'fig.awarded_government': 'Awarded (government)', 'fig.awarded_sponsor': 'Awarded (sponsor)', 'fig.own_shares': "SMEs' own shares", 'fig.own_share': 'Own share', 'fig.disbursed': 'Disbursed', 'fig.refunded': 'Refunded', 'fig.cash': 'Cash', 'fig.uncommitted': 'Uncommitted', 'fig.smes_supported': 'SMEs supported', 'fig.projects': 'Projects', 'fig.non_supplier_smes': 'Non-supplier SMEs', 'fig.non_supplier_share': 'Non-supplier share', 'fig.amount': 'Amount', 'fig.match_limit': 'Match limit', 'fig.outstanding': 'Outstanding', 'fig.match_ratio': 'match ratio',
  'chart.title': 'Over time', 'chart.loading': 'Reading the log for the charts…', 'chart.flows': 'Contributions and matches (cumulative)', 'chart.cash': 'Cash in the pool',
  'chart.note': 'By business date, folded in this browser from {events} events of the log, in {currency}.', 'chart.truncated': 'Only the first {events} events are charted.',
  'chart.final_contributed': 'Charted contributions, total', 'chart.final_matched': 'Charted matches, total', 'chart.final_cash': 'Charted cash, last',
  'report.title': "Sponsor's report", 'report.by_purpose': 'By purpose', 'report.by_support_type': 'By support type',
  'contributions.title': 'Contributions', 'contributions.filter': 'Show', 'contributions.shown': '{shown} of {all} contributions', 'contributions.truncated': 'Only the first {max} contributions are listed.',
  'filter.all': 'all', 'filter.open': 'not fully matched', 'filter.MATCH_STATUS_UNMATCHED': 'unmatched', 'filter.MATCH_STATUS_PARTIAL': 'partially matched', 'filter.MATCH_STATUS_MATCHED': 'matched',
  'status.MATCH_STATUS_UNMATCHED': 'unmatched', 'status.MATCH_STATUS_PARTIAL': 'partially matched', 'status.MATCH_STATUS_MATCHED': 'matched', 'status.reversed': 'reversed',
  'awards.title': 'Awards per SME', 'awards.total': '{total} SMEs with awards in this phase, largest first',
  'statement.title': 'Signed phase statements', 'statement.current': 'Current statement', 'statement.closing': 'Closing statement', 'statement.at': 'at tree size {size}', 'statement.none_open': 'The phase is open: it has no closing statement yet.',
  'kind.contribution': 'Contribution', 'contribution.events': 'Its events',
  'sme.supplier': 'Supplies the sponsor', 'sme.channel': 'Applied through', 'sme.size': 'Size', 'sme.totals': 'In total', 'sme.phases': 'Per phase', 'sme.events': 'Events about this SME',
  'purpose.qss_consulting': 'QSS innovation consulting', 'purpose.smart_factory': 'Smart factory', 'purpose.facility_improvement': 'Facility improvement',
  'channel.sponsor_portal': "Sponsor's purchasing portal", 'channel.institution_proposal': 'Proposed by an institution', 'channel.other': 'Other', 'size.small': 'Small enterprise', 'size.medium': 'Medium-sized enterprise',
  'event.phase_opened': 'Phase opened', 'event.phase_closed': 'Phase closed', 'event.contributor_registered': 'Contributor registered', 'event.agency_registered': 'Agency registered', 'event.sme_registered': 'SME registered', 'event.pledge_recorded': 'Pledge', 'event.contribution_recorded': 'Contribution', 'event.match_recorded': 'Match', 'event.grant_awarded': 'Grant awarded', 'event.disbursement_recorded': 'Disbursement', 'event.refund_recorded': 'Refund (clawback)', 'event.entry_reversed': 'Reversal',
  'feed.title': 'Live event feed', 'feed.live': 'Following the log: new events appear as they commit.', 'feed.ended': 'The server ended the feed.',
  'trust.title': 'Verify the log', 'head.title': 'Has the log only grown?', 'head.older': 'A tree head you trusted before (kept in this browser, or pasted):', 'head.paste': 'Paste a signed tree head (note) here',
  'head.check': 'Check the latest head', 'head.keep': 'Trust the latest head from now on', 'head.latest': 'Latest head: {size} events, signed {time}', 'head.signed_only': 'The latest head is signed by the key. Keep it to check growth next time.',
  'key.label': "The log's verifier key (obtain it from the operator out of band; remembered in this browser)", 'key.compare': "Show the server's key", 'key.server_says': 'The server says its key is', 'key.use_server': 'Use it (trust on first use)',
  'key.help': 'Every signature below is checked against this key, not against anything the server sends with the data.', 'key.missing': 'Paste the verifier key first.',
  'verify.run': 'Verify in this browser', 'verify.ok': 'Verified', 'verify.fail': 'NOT verified', 'verify.bundle_title': 'Verify its matching',
  'verify.cli': 'Offline, without this page: matchledger match-bundle {id} > bundle.json; matchledger verify-match bundle.json --public-key "$K"',
  'download.bundle': 'Download the bundle', 'download.balances': 'Phase balances (CSV)', 'download.smes': 'SME balances per phase (CSV)', 'download.events': 'Every event (JSON Lines)', 'download.head': 'The signed tree head',
  'download.progress': '{count} events read…', 'download.saved': 'Saved {name}.', 'downloads.title': 'Downloads',
  'downloads.export_cli': 'CSV files carry a byte order mark so spreadsheets read Korean text. For an export with a signed manifest that verifies offline, use matchledger export and matchledger verify.',
  'signin.title': 'Sign in', 'signin.needed': 'This ledger requires authentication. Sign in with your access token.', 'signin.rejected': 'The token was not accepted. Sign in again.', 'signin.token': 'Access token', 'signin.submit': 'Sign in', 'signin.out': 'Sign out', 'signin.kept': 'The token is kept only in this tab (sessionStorage) and sent to this server alone.',
  'forbidden.title': 'Not allowed', 'forbidden.text': 'Your role may not read this ledger. Nothing is shown.',
  'check.bundle_json': 'The bundle is JSON', 'check.bundle_format': 'The bundle format is known', 'check.head_signature': 'The tree head is signed by the verifier key (Ed25519)', 'check.head_size': "The bundle's tree size is the signed head's",
  'check.inclusion': 'The event is in the signed tree (RFC 6962 inclusion proof)', 'check.sequence': 'The stored bytes are the event at that position', 'check.event_hash': 'The shown hash is SHA-256 of the stored bytes',
  'check.events_read': 'Every event was read from its stored bytes', 'check.log_order': 'The events are in log order', 'check.about_contribution': 'Every event is about this contribution',
  'check.status': 'The status recomputed from the stored bytes is the bundle\'s', 'check.within_limit': 'Matches stay within ratio × contribution', 'check.status_page': 'The status on this page is the recomputed one',
  'check.statement_signature': 'The statement is signed by the verifier key (Ed25519)', 'check.statement_root': "The statement names a root", 'check.statement_in_log': "The statement's tree is a prefix of the latest signed head (RFC 6962 consistency proof)", 'check.statement_figures': 'Its figures equal the balances answered as of that size',
  'check.old_head': 'The trusted head is signed by the key', 'check.new_head': 'The latest head is signed by the key', 'check.same_log': 'Both heads are of the same log', 'check.consistency': 'The older tree is a prefix of the newer one (RFC 6962 consistency proof)',
  'explain.summary': 'What this checks, and what it still trusts', 'explain.checked': 'Checked here, with the browser\'s own WebCrypto', 'explain.trusted': 'Still trusted',
  'explain.bundle.checked': "The Ed25519 signature of the tree head, against the key above.\nEach event's stored bytes are a leaf of the signed tree (SHA-256 inclusion proof).\nAmounts and ids are read from those bytes, not from the server's decoded copy; the status and the limit are recomputed from them.",
  'explain.bundle.trusted': 'That no other match of this contribution exists: a proof shows presence, not absence (the export and a witness cover that).',
  'explain.statement.checked': "The statement's Ed25519 signature, against the key above.\nIts tree (size and root) is a prefix of the latest head the log signed.\nIts figures equal the phase's balances answered as of that size.",
  'explain.statement.trusted': 'That the figures follow from the events: the server computed them (matchledger verify replays the export to check).',
  'explain.growth.checked': 'Both heads are signed by the key above.\nThe older tree is a prefix of the newer one: nothing was rewritten or removed.',
  'explain.growth.trusted': 'That the server shows everyone the same log: compare heads with others, or rely on a witness\'s cosignature.',
  'explain.common.trusted': 'The verifier key: obtain it from the operator out of band, never only from this page.\nThis page\'s own code, which the same server sends: for full independence, check offline with the matchledger CLI.',
};

const ko = {
  loading: '불러오는 중…', more: '더 보기', yes: '예', no: '아니오', total: '합계', phase: '차수', sme: '중소기업', download: '내려받기',
  answered_at: '이벤트 {sequence} 기준',
  'nav.overview': '사업 현황', 'nav.feed': '실시간 이벤트', 'nav.trust': '검증', 'nav.downloads': '내려받기',
  'search.placeholder': '외부 참조번호', 'search.title': '참조번호로 찾은 거래', 'search.found': '이벤트 {count}건', 'search.none': '이 참조번호로 기록된 거래가 없습니다.',
  'footer.readonly': '읽기 전용 화면입니다. 이 화면에서는 원장을 기록하거나 바꿀 수 없습니다.',
  'overview.title': '사업 현황', 'overview.empty': '아직 개설된 차수가 없습니다.',
  'phase.open': '진행 중', 'phase.closed': '종료',
  'col.status': '상태', 'col.sequence': '순번', 'col.recorded': '기록 시각 (UTC)', 'col.effective': '기준일', 'col.kind': '이벤트', 'col.amount': '금액', 'col.about': '대상', 'col.actor': '기록자', 'col.reference': '참조번호', 'col.hash': '해시', 'col.brn': '사업자등록번호', 'col.category': '구분', 'col.currency': '통화',
  'fig.pledged': '출연 약정', 'fig.contributed': '출연금', 'fig.matched': '정부 매칭', 'fig.match_outstanding': '미매칭액', 'fig.pool': '조성액', 'fig.awarded': '지원 결정액', 'fig.awarded_government': '지원 결정액 (정부)', 'fig.awarded_sponsor': '지원 결정액 (출연기업)', 'fig.own_shares': '기업 자부담', 'fig.own_share': '자부담', 'fig.disbursed': '지급액', 'fig.refunded': '환수액', 'fig.cash': '잔액', 'fig.uncommitted': '미결정 잔액', 'fig.smes_supported': '지원 기업 수', 'fig.projects': '지원과제 수', 'fig.non_supplier_smes': '비협력사 기업 수', 'fig.non_supplier_share': '비협력사 비율', 'fig.amount': '금액', 'fig.match_limit': '매칭 한도', 'fig.outstanding': '잔여액', 'fig.match_ratio': '매칭 비율',
  'chart.title': '추이', 'chart.loading': '차트를 위해 원장을 읽는 중…', 'chart.flows': '출연금과 정부 매칭 (누계)', 'chart.cash': '기금 잔액',
  'chart.note': '기준일별, 원장의 이벤트 {events}건을 이 브라우저에서 집계 ({currency}).', 'chart.truncated': '처음 {events}건의 이벤트까지만 그렸습니다.',
  'chart.final_contributed': '차트의 출연금 합계', 'chart.final_matched': '차트의 정부 매칭 합계', 'chart.final_cash': '차트의 최종 잔액',
  'report.title': '출연기업 보고 지표', 'report.by_purpose': '지원 목적별', 'report.by_support_type': '지원 유형별',
  'contributions.title': '출연금', 'contributions.filter': '보기', 'contributions.shown': '출연금 {all}건 중 {shown}건', 'contributions.truncated': '처음 {max}건까지만 표시합니다.',
  'filter.all': '전체', 'filter.open': '매칭 미완료', 'filter.MATCH_STATUS_UNMATCHED': '미매칭', 'filter.MATCH_STATUS_PARTIAL': '부분 매칭', 'filter.MATCH_STATUS_MATCHED': '매칭 완료',
  'status.MATCH_STATUS_UNMATCHED': '미매칭', 'status.MATCH_STATUS_PARTIAL': '부분 매칭', 'status.MATCH_STATUS_MATCHED': '매칭 완료', 'status.reversed': '취소됨',
  'awards.title': '기업별 지원 결정', 'awards.total': '이 차수에서 지원 결정을 받은 기업 {total}곳 (결정액 큰 순)',
  'statement.title': '서명된 차수 명세', 'statement.current': '현재 명세', 'statement.closing': '종료 명세', 'statement.at': '트리 크기 {size} 기준', 'statement.none_open': '진행 중인 차수여서 종료 명세가 아직 없습니다.',
  'kind.contribution': '출연금', 'contribution.events': '관련 이벤트',
  'sme.supplier': '출연기업 협력사', 'sme.channel': '신청 경로', 'sme.size': '규모', 'sme.totals': '전체 합계', 'sme.phases': '차수별', 'sme.events': '이 기업의 이벤트',
  'purpose.qss_consulting': 'QSS 혁신 컨설팅', 'purpose.smart_factory': '스마트공장', 'purpose.facility_improvement': '설비 개선',
  'channel.sponsor_portal': '출연기업 구매 포털', 'channel.institution_proposal': '기관 추천', 'channel.other': '기타', 'size.small': '소기업', 'size.medium': '중기업',
  'event.phase_opened': '차수 개설', 'event.phase_closed': '차수 종료', 'event.contributor_registered': '출연기업 등록', 'event.agency_registered': '매칭 기관 등록', 'event.sme_registered': '중소기업 등록', 'event.pledge_recorded': '출연 약정', 'event.contribution_recorded': '출연금', 'event.match_recorded': '정부 매칭', 'event.grant_awarded': '지원 결정', 'event.disbursement_recorded': '지급', 'event.refund_recorded': '환수', 'event.entry_reversed': '취소',
  'feed.title': '실시간 이벤트', 'feed.live': '원장을 따라가는 중: 새 이벤트가 기록되는 대로 나타납니다.', 'feed.ended': '서버가 피드를 끝냈습니다.',
  'trust.title': '원장 검증', 'head.title': '원장이 덧붙여지기만 했는가?', 'head.older': '이전에 신뢰한 트리 헤드 (이 브라우저에 보관되었거나 붙여넣은 것):', 'head.paste': '서명된 트리 헤드(노트)를 여기에 붙여넣으세요',
  'head.check': '최신 헤드 확인', 'head.keep': '이제부터 최신 헤드를 신뢰', 'head.latest': '최신 헤드: 이벤트 {size}건, 서명 시각 {time}', 'head.signed_only': '최신 헤드가 이 키로 서명되었습니다. 보관해 두면 다음에 원장이 덧붙여지기만 했는지 확인할 수 있습니다.',
  'key.label': '원장의 검증 키 (운영자에게 별도 경로로 받으세요. 이 브라우저에 기억됩니다)', 'key.compare': '서버가 밝힌 키 보기', 'key.server_says': '서버가 밝힌 키:', 'key.use_server': '이 키 사용 (최초 사용 시 신뢰)',
  'key.help': '아래 모든 서명은 서버가 데이터와 함께 보내는 것이 아니라 이 키로 확인합니다.', 'key.missing': '먼저 검증 키를 붙여넣으세요.',
  'verify.run': '이 브라우저에서 검증', 'verify.ok': '검증됨', 'verify.fail': '검증 실패', 'verify.bundle_title': '매칭 검증',
  'verify.cli': '이 화면 없이 오프라인으로: matchledger match-bundle {id} > bundle.json; matchledger verify-match bundle.json --public-key "$K"',
  'download.bundle': '검증 번들 내려받기', 'download.balances': '차수별 잔액 (CSV)', 'download.smes': '기업별·차수별 잔액 (CSV)', 'download.events': '전체 이벤트 (JSON Lines)', 'download.head': '서명된 트리 헤드',
  'download.progress': '이벤트 {count}건 읽음…', 'download.saved': '{name} 저장함.', 'downloads.title': '내려받기',
  'downloads.export_cli': 'CSV 파일에는 BOM이 있어 스프레드시트에서 한글이 바르게 보입니다. 서명된 목록으로 오프라인 검증되는 내보내기는 matchledger export와 matchledger verify를 쓰세요.',
  'signin.title': '로그인', 'signin.needed': '이 원장은 인증이 필요합니다. 접근 토큰으로 로그인하세요.', 'signin.rejected': '토큰이 받아들여지지 않았습니다. 다시 로그인하세요.', 'signin.token': '접근 토큰', 'signin.submit': '로그인', 'signin.out': '로그아웃', 'signin.kept': '토큰은 이 탭에만(sessionStorage) 보관되며 이 서버에만 보냅니다.',
  'forbidden.title': '권한 없음', 'forbidden.text': '이 원장을 읽을 권한이 없습니다. 아무것도 표시하지 않습니다.',
  'check.bundle_json': '번들이 JSON 형식임', 'check.bundle_format': '알려진 번들 형식임', 'check.head_signature': '트리 헤드가 검증 키로 서명됨 (Ed25519)', 'check.head_size': '번들의 트리 크기가 서명된 헤드와 같음',
  'check.inclusion': '이벤트가 서명된 트리에 포함됨 (RFC 6962 포함 증명)', 'check.sequence': '저장 바이트가 그 위치의 이벤트임', 'check.event_hash': '표시된 해시가 저장 바이트의 SHA-256임',
  'check.events_read': '모든 이벤트를 저장 바이트에서 읽음', 'check.log_order': '이벤트가 원장 순서대로임', 'check.about_contribution': '모든 이벤트가 이 출연금에 관한 것임',
  'check.status': '저장 바이트로 다시 계산한 상태가 번들과 같음', 'check.within_limit': '매칭이 비율 × 출연금 한도 안에 있음', 'check.status_page': '이 화면의 상태가 다시 계산한 상태와 같음',
  'check.statement_signature': '명세가 검증 키로 서명됨 (Ed25519)', 'check.statement_root': '명세에 루트가 있음', 'check.statement_in_log': '명세의 트리가 최신 서명 헤드의 앞부분임 (RFC 6962 일관성 증명)', 'check.statement_figures': '명세의 수치가 그 시점의 잔액 조회와 같음',
  'check.old_head': '신뢰한 헤드가 이 키로 서명됨', 'check.new_head': '최신 헤드가 이 키로 서명됨', 'check.same_log': '두 헤드가 같은 원장의 것임', 'check.consistency': '이전 트리가 새 트리의 앞부분임 (RFC 6962 일관성 증명)',
  'explain.summary': '무엇을 확인하고 무엇을 여전히 신뢰하는가', 'explain.checked': '이 브라우저의 WebCrypto로 직접 확인', 'explain.trusted': '여전히 신뢰하는 것',
  'explain.bundle.checked': '위 키로 트리 헤드의 Ed25519 서명을 확인합니다.\n각 이벤트의 저장 바이트가 서명된 트리의 잎임을 확인합니다 (SHA-256 포함 증명).\n금액과 ID는 서버가 풀어 준 사본이 아니라 그 바이트에서 읽고, 상태와 한도를 다시 계산합니다.',
  'explain.bundle.trusted': '이 출연금에 대한 다른 매칭이 없다는 것: 증명은 존재를 보일 뿐 부재를 보이지 못합니다 (내보내기와 감시자(witness)가 이를 다룹니다).',
  'explain.statement.checked': '위 키로 명세의 Ed25519 서명을 확인합니다.\n명세의 트리(크기와 루트)가 원장이 서명한 최신 헤드의 앞부분임을 확인합니다.\n명세의 수치가 그 시점의 차수 잔액 조회와 같음을 확인합니다.',
  'explain.statement.trusted': '수치가 이벤트에서 나왔다는 것: 서버가 계산했습니다 (matchledger verify가 내보내기를 재생하여 확인합니다).',
  'explain.growth.checked': '두 헤드가 모두 위 키로 서명되었음을 확인합니다.\n이전 트리가 새 트리의 앞부분임을 확인합니다: 아무것도 고쳐 쓰이거나 지워지지 않았습니다.',
  'explain.growth.trusted': '서버가 모두에게 같은 원장을 보여 준다는 것: 다른 사람과 헤드를 비교하거나 감시자의 연서명을 확인하세요.',
  'explain.common.trusted': '검증 키: 이 화면만이 아니라 운영자에게 별도 경로로 받으세요.\n같은 서버가 보내는 이 화면의 코드: 완전히 독립적으로 확인하려면 matchledger CLI로 오프라인 검증하세요.',
};

const DICTIONARIES = { en, ko };

export function lang() {
  const stored = localStorage.getItem(LANG_KEY);
  if (stored === 'ko' || stored === 'en') return stored;
  return (navigator.language || '').startsWith('ko') ? 'ko' : 'en';
}

export function setLang(value) {
  localStorage.setItem(LANG_KEY, value);
}

/** The text of `key` in the current language, `{name}` replaced from `vars`. */
export function t(key, vars = {}) {
  const text = DICTIONARIES[lang()][key] ?? en[key] ?? key;
  return text.replace(/\{(\w+)\}/g, (_, name) => String(vars[name] ?? ''));
}

/** Labels of the static page (`data-i18n`, `data-i18n-placeholder`) and its language. */
export function applyStatic() {
  document.documentElement.lang = lang();
  for (const element of document.querySelectorAll('[data-i18n]')) element.textContent = t(element.dataset.i18n);
  for (const element of document.querySelectorAll('[data-i18n-placeholder]')) element.placeholder = t(element.dataset.i18nPlaceholder);
}

/** "36022284000", "KRW" → "36,022,284,000 KRW" (or "36,022,284,000원" in Korean). */
export function money(amount, currency) {
  if (amount === null || amount === undefined || amount === '') return '';
  const grouped = group(amount);
  if (currency === 'KRW' && lang() === 'ko') return `${grouped}원`;
  return currency ? `${grouped} ${currency}` : grouped;
}

export function count(value) {
  return group(String(value ?? '0'));
}

/** A share in [0, 1] as a percentage with one decimal, from its decimal string. */
export function percent(share) {
  const value = Number(share || '0') * 100;
  return `${value.toFixed(1)} %`;
}

/** An axis label such as "20B" or "200억": approximate by nature, never a figure. */
export function compact(value) {
  const locale = lang() === 'ko' ? 'ko-KR' : 'en';
  return new Intl.NumberFormat(locale, { notation: 'compact', maximumFractionDigits: 1 }).format(value);
}

export function monthLabel(ms) {
  const date = new Date(ms);
  return `${date.getUTCFullYear()}-${String(date.getUTCMonth() + 1).padStart(2, '0')}`;
}

export function dateTime(iso) {
  if (!iso) return '';
  return String(iso).replace('T', ' ').replace(/(\.\d{3})\d*Z$/, '$1Z');
}

/** A match status badge; a reversed contribution says so. */
export function statusBadge(status, reversed) {
  if (reversed) return h('span', { class: 'badge', 'data-status': 'reversed' }, t('status.reversed'));
  const name = String(status || '').replace('MATCH_STATUS_', '').toLowerCase();
  return h('span', { class: `badge ${name}`, 'data-status': name }, t(`status.${status}`));
}

/** A programme enum or category name in words: `purpose`, `qss_consulting` → "QSS …". */
export function enumLabel(prefix, value) {
  const name = String(value || '').replace(/^(PURPOSE|APPLICATION_CHANNEL|SIZE_CLASS)_/, '').toLowerCase();
  const key = `${prefix}.${name}`;
  const text = t(key);
  return text === key ? String(value || '') : text;
}
