// Check a candidate schema before registering it: paste or upload it, choose what to check
// against (the latest version, one version, or every version the subject's level asks for),
// see the registry's verdict and findings; register it from here with Write permission on
// the subject.

import { call, getOr, permissions, seg } from './api.js';
import { h, link, showError, subjectHash, verdict } from './show.js';

export async function checkView({ parts, query }) {
  const initial = parts[0] || query.get('subject') || '';
  const form = h('form', { class: 'card check', id: 'check-form' });
  const subject = h('input', { id: 'check-subject', name: 'subject', value: initial, required: true, autocomplete: 'off' });
  const type = h('select', { id: 'check-type', name: 'schemaType' },
    ['AVRO', 'PROTOBUF', 'JSON'].map((t) => h('option', { value: t }, t)));
  const against = h('select', { id: 'check-against', name: 'against' },
    h('option', { value: 'all' }, 'every version the subject\'s level asks for'),
    h('option', { value: 'latest' }, 'the latest version'));
  const text = h('textarea', { id: 'check-schema', name: 'schema', rows: 10, spellcheck: 'false', required: true,
    'aria-label': 'Candidate schema' });
  const refs = h('textarea', { id: 'check-references', name: 'references', rows: 3, spellcheck: 'false',
    placeholder: '[{"name": "common.proto", "subject": "common", "version": 1}]' });
  const file = h('input', { type: 'file', id: 'check-file', accept: '.avsc,.json,.proto,.txt' });
  const levelNote = h('span', { class: 'muted', id: 'check-level' });
  const result = h('div', { id: 'check-result', 'aria-live': 'polite' });
  const register = h('button', { type: 'button', id: 'register', hidden: true }, 'Register as a new version');

  file.addEventListener('change', async () => {
    const f = file.files && file.files[0];
    if (!f) return;
    text.value = await f.text();
    if (/\.proto$/i.test(f.name)) type.value = 'PROTOBUF';
    else if (/\.avsc$/i.test(f.name)) type.value = 'AVRO';
  });

  // What the subject allows this user, and its versions to choose from.
  const onSubject = async () => {
    const name = subject.value.trim();
    register.hidden = true;
    levelNote.textContent = '';
    if (!name) return;
    try {
      const [p, versions, level] = await Promise.all([
        permissions([name]),
        getOr(`/subjects/${seg(name)}/versions`, [40401, 403], []),
        getOr(`/config/${seg(name)}?defaultToGlobal=true`, [403], null),
      ]);
      register.hidden = p.subjects[name] !== 'WRITE';
      levelNote.textContent = level ? ` Level in force: ${level.compatibilityLevel}.` : '';
      while (against.options.length > 2) against.remove(2);
      for (const v of versions) against.append(h('option', { value: v }, `version ${v}`));
    } catch (e) {
      showError(e);
    }
  };
  subject.addEventListener('change', onSubject);

  const body = () => {
    const b = { schema: text.value, schemaType: type.value };
    if (refs.value.trim()) b.references = JSON.parse(refs.value);
    return b;
  };

  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    result.replaceChildren(h('p', { class: 'muted' }, 'Checking…'));
    result.dataset.state = 'checking';
    const name = seg(subject.value.trim());
    const path = against.value === 'all'
      ? `/compatibility/subjects/${name}/versions?verbose=true`
      : `/compatibility/subjects/${name}/versions/${against.value}?verbose=true`;
    try {
      const answer = await call('POST', path, body());
      result.replaceChildren(verdict(answer, 'Verdict'));
      result.dataset.state = answer.is_compatible ? 'compatible' : 'incompatible';
    } catch (err) {
      result.replaceChildren();
      result.dataset.state = 'error';
      showError(err);
    }
  });

  register.addEventListener('click', async () => {
    const name = subject.value.trim();
    try {
      const r = await call('POST', `/subjects/${seg(name)}/versions`, body());
      result.replaceChildren(h('p', { class: 'verdict ok', id: 'registered' }, `Registered: id ${r.id}. `,
        link(subjectHash(name), `Open ${name}`)));
      result.dataset.state = 'registered';
    } catch (err) {
      showError(err);
    }
  });

  form.append(
    h('h1', {}, 'Check a schema'),
    h('label', {}, 'Subject ', subject), levelNote,
    h('div', { class: 'row' }, h('label', {}, 'Type ', type), h('label', {}, 'Check against ', against)),
    h('label', { class: 'block' }, 'Schema (paste, or upload a file: ', file, ')', text),
    h('details', {}, h('summary', {}, 'References (JSON)'), refs),
    h('div', { class: 'row' }, h('button', { type: 'submit', id: 'check-submit' }, 'Check compatibility'), register),
    result);
  await onSubject();
  return form;
}
