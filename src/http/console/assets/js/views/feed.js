// The live event feed: the last few events, then each new one as it commits (Subscribe).

import { query, stream } from '../api.js';
import { h, replace } from '../dom.js';
import { t } from '../i18n.js';
import { eventTable } from '../events.js';

/** Events shown before the live ones. */
const FEED_BACKLOG_EVENTS = 20;
/** Events kept on the page; older ones scroll away. */
const FEED_EVENTS_SHOWN_MAX = 200;

export async function render(main, _params, signal) {
  const { answered_at_sequence: head = 0 } = await query('ListPhaseBalances', {});
  const from = Math.max(1, Number(head) - FEED_BACKLOG_EVENTS + 1);
  const holder = h('section', { class: 'card', id: 'feed' });
  const state = h('p', { class: 'muted', id: 'feed-state', role: 'status' }, t('feed.live'));
  replace(main, h('h1', {}, t('feed.title')), state, holder);
  let events = [];
  let pending = false;
  const draw = () => {
    pending = false;
    replace(holder, eventTable(events));
  };
  draw();
  try {
    await stream('AuditService', 'Subscribe', { from_sequence: from }, (event) => {
      events = [event, ...events].slice(0, FEED_EVENTS_SHOWN_MAX);
      if (!pending) {
        pending = true;
        requestAnimationFrame(draw);
      }
    }, { signal });
    replace(state, t('feed.ended'));
  } catch (error) {
    if (signal.aborted) return;
    throw error;
  }
}
