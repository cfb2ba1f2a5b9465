// Two versions of a subject side by side, changed lines marked (a line diff by longest
// common subsequence, here in the page), and the registry's compatibility verdict between
// them in each direction with the checker's findings (`/compatibility/…?verbose=true`).

import { call, get, seg } from './api.js';
import { codeBlock, h, highlightLine, link, pretty, subjectHash, verdict } from './show.js';

/** The line diff of `a` and `b`: [{op: ' '|'-'|'+', a?: line index, b?: line index}]. */
export function lineDiff(a, b) {
  const n = a.length;
  const m = b.length;
  // LCS lengths from the ends; schemas are short (hundreds of lines), so n×m is small.
  const lcs = Array.from({ length: n + 1 }, () => new Uint32Array(m + 1));
  for (let i = n - 1; i >= 0; i--) {
    for (let j = m - 1; j >= 0; j--) {
      lcs[i][j] = a[i] === b[j] ? lcs[i + 1][j + 1] + 1 : Math.max(lcs[i + 1][j], lcs[i][j + 1]);
    }
  }
  const out = [];
  let i = 0;
  let j = 0;
  while (i < n && j < m) {
    if (a[i] === b[j]) out.push({ op: ' ', a: i++, b: j++ });
    else if (lcs[i + 1][j] >= lcs[i][j + 1]) out.push({ op: '-', a: i++ });
    else out.push({ op: '+', b: j++ });
  }
  while (i < n) out.push({ op: '-', a: i++ });
  while (j < m) out.push({ op: '+', b: j++ });
  return out;
}

/** Side-by-side rows: a removed line faces the added line that replaces it. */
function sideBySide(type, a, b) {
  const ops = lineDiff(a, b);
  const rows = [];
  for (let k = 0; k < ops.length;) {
    if (ops[k].op === ' ') {
      rows.push([ops[k].a, ops[k].b, 'same']);
      k++;
      continue;
    }
    const dels = [];
    const adds = [];
    while (k < ops.length && ops[k].op !== ' ') {
      if (ops[k].op === '-') dels.push(ops[k].a);
      else adds.push(ops[k].b);
      k++;
    }
    for (let x = 0; x < Math.max(dels.length, adds.length); x++) {
      rows.push([dels[x], adds[x], 'changed']);
    }
  }
  const cell = (lines, idx, cls) => idx === undefined
    ? [h('td', { class: 'ln' }), h('td', { class: 'empty' })]
    : [h('td', { class: 'ln' }, idx + 1), h('td', { class: cls }, highlightLine(type, lines[idx]))];
  return rows.map(([x, y, kind]) => h('tr', { class: kind },
    cell(a, x, kind === 'changed' ? 'del' : ''), cell(b, y, kind === 'changed' ? 'add' : '')));
}

async function check(subject, against, candidate) {
  try {
    return await call('POST', `/compatibility/subjects/${seg(subject)}/versions/${against}?verbose=true`, {
      schema: candidate.schema,
      schemaType: candidate.schemaType || 'AVRO',
      references: candidate.references || [],
    });
  } catch (e) {
    return { error: e };
  }
}

function verdictOrError(answer, title) {
  if (answer.error) {
    return h('section', { class: 'verdict bad' }, h('h3', {}, `${title}: `),
      h('p', { class: 'error-message' }, `Error ${answer.error.code}: ${answer.error.message}`));
  }
  return verdict(answer, title);
}

export async function diffView({ parts }) {
  const [subject, va, vb] = parts;
  const s = seg(subject || '');
  const [a, b, level] = await Promise.all([
    get(`/subjects/${s}/versions/${seg(va)}?deleted=true&format=default`),
    get(`/subjects/${s}/versions/${seg(vb)}?deleted=true&format=default`),
    get(`/config/${s}?defaultToGlobal=true`).catch(() => null),
  ]);
  const type = b.schemaType || 'AVRO';
  const la = pretty(a.schemaType || 'AVRO', a.schema).replace(/\n$/, '').split('\n');
  const lb = pretty(type, b.schema).replace(/\n$/, '').split('\n');
  const [forward, backward] = await Promise.all([check(subject, a.version, b), check(subject, b.version, a)]);
  const changed = lineDiff(la, lb).filter((o) => o.op !== ' ').length;
  const levelText = level ? level.compatibilityLevel : 'the subject\'s level';
  return h('section', { class: 'diff', 'aria-labelledby': 'diff-title' },
    h('p', { class: 'crumbs' }, link('#/', 'Subjects'), ' / ', link(subjectHash(subject), subject), ' / '),
    h('h1', { id: 'diff-title' }, `${subject}: v${a.version} → v${b.version}`),
    h('p', { class: 'muted', id: 'diff-summary' }, changed ? `${changed} changed line${changed === 1 ? '' : 's'}` : 'The two versions print the same.',
      ` · checked under ${levelText}`),
    h('div', { class: 'verdicts' },
      verdictOrError(forward, `v${b.version} as a new version after v${a.version}`),
      verdictOrError(backward, `v${a.version} as a new version after v${b.version}`)),
    h('div', { class: 'scroll' }, h('table', { class: 'diff-table code', id: 'diff-table' },
      h('colgroup', {}, h('col', { class: 'ln' }), h('col'), h('col', { class: 'ln' }), h('col')),
      h('thead', {}, h('tr', {}, h('th', { colspan: 2, scope: 'colgroup' }, `v${a.version} (id ${a.id})`),
        h('th', { colspan: 2, scope: 'colgroup' }, `v${b.version} (id ${b.id})`))),
      h('tbody', {}, sideBySide(type, la, lb)))),
    h('details', {}, h('summary', {}, 'Both schemas in full'),
      codeBlock(a.schemaType || 'AVRO', pretty(a.schemaType || 'AVRO', a.schema), `v${a.version}`),
      codeBlock(type, pretty(type, b.schema), `v${b.version}`)));
}
