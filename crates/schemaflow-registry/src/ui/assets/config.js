// The global compatibility level and mode; editable with Write permission on `Config:`.

import { call, getOr } from './api.js';
import { h, showError } from './show.js';

const LEVELS = ['BACKWARD', 'BACKWARD_TRANSITIVE', 'FORWARD', 'FORWARD_TRANSITIVE', 'FULL',
  'FULL_TRANSITIVE', 'NONE'];
const MODES = ['READWRITE', 'READONLY', 'IMPORT'];

function setting(label, id, options, value, write, save) {
  if (!write) return h('p', {}, `${label}: `, h('strong', { id: `${id}-value` }, value));
  const select = h('select', { id }, options.map((o) => h('option', { value: o, selected: o === value }, o)));
  const saved = h('span', { class: 'saved', 'aria-live': 'polite' });
  return h('form', { class: 'inline', dataset: { write: 'true' }, onsubmit: async (e) => {
    e.preventDefault();
    saved.textContent = '';
    try {
      await save(select.value);
      saved.textContent = ' saved';
    } catch (err) {
      showError(err);
    }
  } }, h('label', {}, `${label} `, select), ' ', h('button', { type: 'submit' }, 'Save'), saved);
}

export async function configView({ who }) {
  const [config, mode] = await Promise.all([getOr('/config', [403], null), getOr('/mode', [403], null)]);
  const write = who.config === 'WRITE';
  const card = h('section', { class: 'card', id: 'global-config', 'aria-labelledby': 'config-title' },
    h('h1', { id: 'config-title' }, 'Global compatibility and mode'),
    h('p', { class: 'muted' }, 'What a subject without its own setting uses. A subject\'s own setting is on its page.'));
  if (!config && !mode) {
    card.append(h('p', {}, 'You may not read the global config.'));
    return card;
  }
  card.append(
    setting('Compatibility level', 'global-level', LEVELS, config ? config.compatibilityLevel : '?', write,
      (l) => call('PUT', '/config', { compatibility: l })),
    setting('Mode', 'global-mode', MODES, mode ? mode.mode : '?', write,
      (m) => call('PUT', '/mode', { mode: m })));
  if (!write) card.append(h('p', { class: 'muted' }, 'Read only: changing these needs Write on Config.'));
  return card;
}
