// One subject: its versions (soft-deleted ones marked), a version's id, guid, schema
// (pretty-printed and highlighted; Protobuf as .proto text through `?format=default`), its
// references and what references it (both linked), the other subjects under the same id, its
// metadata and rule set, and the subject's compatibility level and mode (editable with Write
// permission on the subject).

import { call, get, getOr, permissions, seg } from './api.js';
import { badge, codeBlock, h, link, pretty, showError, subjectHash } from './show.js';

const LEVELS = ['BACKWARD', 'BACKWARD_TRANSITIVE', 'FORWARD', 'FORWARD_TRANSITIVE', 'FULL',
  'FULL_TRANSITIVE', 'NONE'];
const MODES = ['READWRITE', 'READONLY', 'IMPORT'];

function kv(rows) {
  return h('dl', { class: 'kv' }, rows.filter(Boolean).flatMap(([k, v]) => [h('dt', {}, k), h('dd', {}, v)]));
}

/** Where a schema id is registered, as links (`/schemas/ids/{id}/versions`). */
async function usesOf(id) {
  return getOr(`/schemas/ids/${id}/versions?deleted=true`, [40403], []);
}

/** A select with a Save button for a level or mode; shown read-only without permission. */
function editor({ label, id, options, value, own, write, save, reset }) {
  if (!write) {
    return h('span', { id: `${id}-value` }, value, own ? '' : ' (global)');
  }
  const select = h('select', { id, 'aria-label': label },
    options.map((o) => h('option', { value: o, selected: o === value }, o)));
  const form = h('form', { class: 'inline', dataset: { write: 'true' }, onsubmit: async (e) => {
    e.preventDefault();
    try {
      await save(select.value);
      form.querySelector('.saved').textContent = ' saved';
    } catch (err) {
      showError(err);
    }
  } }, select, h('button', { type: 'submit' }, 'Save'),
  own ? h('button', { type: 'button', onclick: async () => {
    try {
      await reset();
      location.reload();
    } catch (err) {
      showError(err);
    }
  } }, 'Use global') : ' (global)', h('span', { class: 'saved', 'aria-live': 'polite' }));
  return form;
}

export async function subjectView({ parts, query }) {
  const subject = parts[0] || '';
  const s = seg(subject);
  const [all, live, perms] = await Promise.all([
    get(`/subjects/${s}/versions?deleted=true`),
    getOr(`/subjects/${s}/versions`, [40401], []),
    permissions([subject]),
  ]);
  const write = perms.subjects[subject] === 'WRITE';
  const liveSet = new Set(live);
  const asked = query.get('v');
  const version = asked && all.includes(Number(asked)) ? Number(asked) : (live.length ? live[live.length - 1] : all[all.length - 1]);
  const v = await get(`/subjects/${s}/versions/${version}?deleted=true&format=default`);
  const type = v.schemaType || 'AVRO';
  const [referencedBy, sameId, config, ownConfig, mode, ownMode] = await Promise.all([
    liveSet.has(version) ? getOr(`/subjects/${s}/versions/${version}/referencedby`, [40401, 40402], []) : [],
    usesOf(v.id),
    getOr(`/config/${s}?defaultToGlobal=true`, [403], null),
    getOr(`/config/${s}`, [40408, 403], null),
    getOr(`/mode/${s}?defaultToGlobal=true`, [403], null),
    getOr(`/mode/${s}`, [40409, 403], null),
  ]);
  const users = (await Promise.all(referencedBy.map(async (id) => (await usesOf(id)).map((u) => ({ ...u, id }))))).flat();

  const root = h('section', { class: 'subject', 'aria-labelledby': 'subject-title' });
  root.append(h('p', { class: 'crumbs' }, link('#/', 'Subjects'), ' / '),
    h('h1', { id: 'subject-title' }, subject, ' ', badge(type, `type-${type.toLowerCase()}`)));

  // Versions.
  const versionRows = all.map((n) => h('tr', { class: n === version ? 'current' : '', dataset: { version: n } },
    h('td', {}, h('a', { href: subjectHash(subject, n), 'aria-current': n === version ? 'page' : false }, `v${n}`)),
    h('td', {}, liveSet.has(n) ? '' : badge('soft-deleted', 'deleted'))));
  const pick = (id, selected) => h('select', { id, 'aria-label': id === 'diff-from' ? 'Compare from version' : 'Compare to version' },
    all.map((n) => h('option', { value: n, selected: n === selected }, `v${n}`)));
  const from = pick('diff-from', all.length > 1 ? all[all.indexOf(version) - 1] ?? all[0] : version);
  const to = pick('diff-to', version);
  const compare = h('form', { class: 'inline', id: 'compare', onsubmit: (e) => {
    e.preventDefault();
    location.hash = `#/diff/${seg(subject)}/${from.value}/${to.value}`;
  } }, 'Compare ', from, ' with ', to, ' ', h('button', { type: 'submit' }, 'Diff'));
  const side = h('aside', { class: 'card versions' }, h('h2', {}, 'Versions'),
    h('table', { class: 'list', id: 'versions' }, h('tbody', {}, versionRows)), compare,
    h('p', {}, link(`#/check/${seg(subject)}`, write ? 'Check or register a new version' : 'Check a candidate')));

  // The version shown.
  const refs = (v.references || []).map((r) => h('li', { class: 'reference' },
    h('code', {}, r.name), ' → ', link(subjectHash(r.subject, r.version), `${r.subject} v${r.version}`)));
  const usedBy = users.map((u) => h('li', { class: 'used-by' }, link(subjectHash(u.subject, u.version), `${u.subject} v${u.version}`), ` (id ${u.id})`));
  const others = sameId.filter((u) => !(u.subject === subject && u.version === version))
    .map((u) => h('li', { class: 'same-id' }, link(subjectHash(u.subject, u.version), `${u.subject} v${u.version}`)));
  const main = h('div', { class: 'card version', id: 'version-view', dataset: { version, id: v.id } },
    h('h2', {}, `Version ${version}`, liveSet.has(version) ? '' : ' ', liveSet.has(version) ? '' : badge('soft-deleted', 'deleted')),
    kv([['Schema id', h('span', { id: 'schema-id' }, v.id)], v.guid && ['GUID', h('code', {}, v.guid)]]),
    codeBlock(type, pretty(type, v.schema), `Schema of ${subject} version ${version}`),
    h('h3', {}, 'References'), refs.length ? h('ul', { id: 'references' }, refs) : h('p', { class: 'muted' }, 'None.'),
    h('h3', {}, 'Used by'), usedBy.length ? h('ul', { id: 'used-by' }, usedBy) : h('p', { class: 'muted' }, 'No schema references this version.'),
    h('h3', {}, 'Same schema id elsewhere'), others.length ? h('ul', { id: 'same-id' }, others) : h('p', { class: 'muted' }, 'Only here.'));
  if (v.metadata) {
    main.append(h('h3', {}, 'Metadata'), codeBlock('JSON', pretty('JSON', JSON.stringify(v.metadata)), 'Metadata'));
  }
  if (v.ruleSet) {
    main.append(h('h3', {}, 'Rule set'), codeBlock('JSON', pretty('JSON', JSON.stringify(v.ruleSet)), 'Rule set'));
  }

  // Level and mode.
  const settings = h('div', { class: 'card settings', id: 'subject-settings' }, h('h2', {}, 'Compatibility and mode'),
    kv([
      ['Compatibility', editor({
        label: 'Compatibility level', id: 'subject-level', options: LEVELS,
        value: config ? config.compatibilityLevel : '?', own: Boolean(ownConfig && ownConfig.compatibilityLevel), write,
        save: (level) => call('PUT', `/config/${s}`, { compatibility: level }),
        reset: () => call('DELETE', `/config/${s}`),
      })],
      ['Mode', editor({
        label: 'Mode', id: 'subject-mode', options: MODES,
        value: mode ? mode.mode : '?', own: Boolean(ownMode), write,
        save: (m) => call('PUT', `/mode/${s}`, { mode: m }),
        reset: () => call('DELETE', `/mode/${s}`),
      })],
    ]));
  root.append(h('div', { class: 'columns' }, h('div', { class: 'wide' }, main), h('div', { class: 'narrow-col' }, side, settings)));
  return root;
}
