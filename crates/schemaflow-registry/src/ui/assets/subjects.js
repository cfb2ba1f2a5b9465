// The subjects list: one call (`GET /schemas?deleted=true`, every version of every subject the
// user may read) gives each subject's type, latest live version, number of live versions and
// whether it has soft-deleted ones; each shown row's compatibility level and mode come from
// `/config/{subject}` and `/mode/{subject}` (Confluent has no bulk call for those), for the
// page shown only — or for every subject once a filter on them is set.

import { get, getOr, pool, seg } from './api.js';
import { badge, h, link, showError, subjectHash } from './show.js';

const PAGE = 50;
const LEVELS = ['BACKWARD', 'BACKWARD_TRANSITIVE', 'FORWARD', 'FORWARD_TRANSITIVE', 'FULL',
  'FULL_TRANSITIVE', 'NONE'];
const MODES = ['READWRITE', 'READONLY', 'IMPORT'];

/** Subject rows from the versions list. */
function rows(versions) {
  const by = new Map();
  for (const v of versions) {
    let r = by.get(v.subject);
    if (!r) {
      r = { subject: v.subject, type: v.schemaType || 'AVRO', latest: null, id: null, count: 0, softDeleted: 0 };
      by.set(v.subject, r);
    }
    if (v.deleted) {
      r.softDeleted += 1;
    } else {
      r.count += 1;
      if (r.latest === null || v.version > r.latest) {
        r.latest = v.version;
        r.id = v.id;
        r.type = v.schemaType || 'AVRO';
      }
    }
  }
  return [...by.values()];
}

/** The subject's own level and mode, or the global ones (marked as such). */
async function levels(row, global) {
  if (row.level) return;
  const [c, m] = await Promise.all([
    getOr(`/config/${seg(row.subject)}`, [40408, 40401, 403], null),
    getOr(`/mode/${seg(row.subject)}`, [40409, 40401, 403], null),
  ]);
  row.level = c && c.compatibilityLevel ? c.compatibilityLevel : global.level;
  row.levelOwn = Boolean(c && c.compatibilityLevel);
  row.mode = m && m.mode ? m.mode : global.mode;
  row.modeOwn = Boolean(m && m.mode);
}

export async function subjectsView({ query }) {
  const [versions, config, mode] = await Promise.all([
    get('/schemas?deleted=true'),
    getOr('/config', [403], null),
    getOr('/mode', [403], null),
  ]);
  const global = {
    level: config ? config.compatibilityLevel : '?',
    mode: mode ? mode.mode : '?',
  };
  const all = rows(versions);
  const state = {
    q: query.get('q') || '',
    type: query.get('type') || '',
    level: query.get('level') || '',
    mode: query.get('mode') || '',
    deleted: query.get('deleted') || '',
    sort: query.get('sort') || 'subject',
    desc: query.get('desc') === '1',
    page: Math.max(1, Number(query.get('page')) || 1),
  };

  const root = h('section', { class: 'subjects', 'aria-labelledby': 'subjects-title' });
  const title = h('h1', { id: 'subjects-title' }, 'Subjects ', h('span', { class: 'muted count', id: 'subject-total' }));
  const search = h('input', { type: 'search', id: 'subject-search', name: 'q', value: state.q,
    placeholder: 'name contains…', 'aria-label': 'Search subjects by name' });
  const select = (id, label, options, value) => h('label', {}, label,
    h('select', { id, name: id }, h('option', { value: '' }, 'any'),
      options.map((o) => h('option', { value: o, selected: o === value }, o))));
  const filters = h('form', { class: 'filters', role: 'search', onsubmit: (e) => e.preventDefault() },
    h('label', {}, 'Search ', search),
    select('filter-type', 'Type ', ['AVRO', 'PROTOBUF', 'JSON'], state.type),
    select('filter-level', 'Compatibility ', LEVELS, state.level),
    select('filter-mode', 'Mode ', MODES, state.mode),
    select('filter-deleted', 'Soft-deleted versions ', ['yes', 'no'], state.deleted));
  const status = h('p', { class: 'muted', id: 'subjects-status', 'aria-live': 'polite' });
  const tableWrap = h('div', { class: 'scroll' });
  const pager = h('nav', { class: 'pager', 'aria-label': 'Pages' });
  root.append(title, filters, status, tableWrap, pager);

  const columns = [
    ['subject', 'Subject'], ['type', 'Type'], ['level', 'Compatibility'], ['mode', 'Mode'],
    ['latest', 'Latest version'], ['count', 'Versions'], ['softDeleted', 'Soft-deleted'],
  ];

  // Keep the view's state in the URL, so that back, reload and links keep it.
  const remember = () => {
    const p = new URLSearchParams();
    for (const [k, v] of Object.entries(state)) {
      if (v && !(k === 'sort' && v === 'subject') && !(k === 'page' && v === 1)) p.set(k, k === 'desc' ? '1' : v);
    }
    const hash = `#/subjects${p.toString() ? `?${p}` : ''}`;
    if (location.hash !== hash) history.replaceState(null, '', hash);
  };

  let drawing = 0;
  const draw = async () => {
    const ticket = ++drawing;
    remember();
    const needle = state.q.toLowerCase();
    if (state.level || state.mode || state.sort === 'level' || state.sort === 'mode') {
      status.textContent = 'Reading every subject\'s compatibility level and mode…';
      await pool(all, 6, (r) => levels(r, global));
      if (ticket !== drawing) return;
    }
    let shown = all.filter((r) => (!needle || r.subject.toLowerCase().includes(needle))
      && (!state.type || r.type === state.type)
      && (!state.level || r.level === state.level)
      && (!state.mode || r.mode === state.mode)
      && (!state.deleted || (state.deleted === 'yes') === (r.softDeleted > 0)));
    const key = state.sort;
    shown.sort((a, b) => {
      const x = a[key] ?? '';
      const y = b[key] ?? '';
      const c = typeof x === 'number' && typeof y === 'number' ? x - y : String(x).localeCompare(String(y));
      return (state.desc ? -c : c) || a.subject.localeCompare(b.subject);
    });
    const pages = Math.max(1, Math.ceil(shown.length / PAGE));
    state.page = Math.min(state.page, pages);
    const page = shown.slice((state.page - 1) * PAGE, state.page * PAGE);
    await pool(page, 6, (r) => levels(r, global));
    if (ticket !== drawing) return;
    title.querySelector('.count').textContent = `(${shown.length} of ${all.length})`;
    status.textContent = shown.length ? '' : 'No subject matches.';
    const head = h('tr', {}, columns.map(([k, label]) => {
      const sorted = state.sort === k;
      return h('th', { scope: 'col', 'aria-sort': sorted ? (state.desc ? 'descending' : 'ascending') : 'none' },
        h('button', { type: 'button', class: 'sort', dataset: { sort: k }, onclick: () => {
          state.desc = sorted ? !state.desc : false;
          state.sort = k;
          draw();
        } }, label, sorted ? (state.desc ? ' ▼' : ' ▲') : ''));
    }));
    const body = page.map((r) => h('tr', { class: 'subject-row', dataset: { subject: r.subject } },
      h('td', {}, link(subjectHash(r.subject), r.subject)),
      h('td', {}, badge(r.type, `type-${r.type.toLowerCase()}`)),
      h('td', { class: r.levelOwn ? '' : 'muted' }, r.level, r.levelOwn ? '' : ' (global)'),
      h('td', { class: r.modeOwn ? '' : 'muted' }, r.mode, r.modeOwn ? '' : ' (global)'),
      h('td', { class: 'num' }, r.latest ?? '—'),
      h('td', { class: 'num' }, r.count),
      h('td', {}, r.softDeleted ? badge(`${r.softDeleted} deleted`, 'deleted') : '')));
    const focused = document.activeElement?.dataset?.sort;
    tableWrap.replaceChildren(h('table', { class: 'list', id: 'subjects-table' },
      h('caption', { class: 'visually-hidden' }, 'Subjects; column headers sort'),
      h('thead', {}, head), h('tbody', {}, body)));
    if (focused) tableWrap.querySelector(`[data-sort="${focused}"]`)?.focus();
    const go = (p) => () => { state.page = p; draw(); };
    pager.replaceChildren(
      h('button', { type: 'button', disabled: state.page <= 1, onclick: go(state.page - 1) }, '← Previous'),
      h('span', { id: 'page-info' }, ` Page ${state.page} of ${pages} `),
      h('button', { type: 'button', disabled: state.page >= pages, onclick: go(state.page + 1) }, 'Next →'));
    root.dataset.ready = 'true';
  };
  const redraw = () => draw().catch(showError);
  search.addEventListener('input', () => { state.q = search.value; state.page = 1; redraw(); });
  for (const [id, k] of [['filter-type', 'type'], ['filter-level', 'level'], ['filter-mode', 'mode'], ['filter-deleted', 'deleted']]) {
    filters.querySelector(`#${id}`).addEventListener('change', (e) => { state[k] = e.target.value; state.page = 1; redraw(); });
  }
  await draw();
  return root;
}
