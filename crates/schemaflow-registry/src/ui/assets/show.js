// Building the page: the error box, DOM helpers (text is always inserted as text, never as HTML), schema
// pretty-printing and highlighting.

/** An element: h('a', {href: '#/'}, 'text', child, …); null and false children are skipped. */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === null || v === undefined || v === false) continue;
    if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
    else if (k === 'dataset') Object.assign(el.dataset, v);
    else if (v === true) el.setAttribute(k, '');
    else el.setAttribute(k, String(v));
  }
  for (const c of children.flat()) {
    if (c === null || c === undefined || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}

/** A link to a view of the page. */
export function link(hash, ...children) {
  return h('a', { href: hash }, ...children);
}

/** `#/subject/NAME` (with `?v=N` when given). */
export function subjectHash(subject, version) {
  const v = version === undefined ? '' : `?v=${encodeURIComponent(version)}`;
  return `#/subject/${encodeURIComponent(subject)}${v}`;
}

/** The schema text laid out for reading: JSON indented (Avro, JSON Schema), .proto as is. */
export function pretty(type, text) {
  if (type === 'PROTOBUF') return text.replace(/\s+$/, '') + '\n';
  try {
    return JSON.stringify(JSON.parse(text), null, 2) + '\n';
  } catch {
    return text;
  }
}

const PROTO_KEYWORDS = new Set(('syntax package import public weak option message enum service rpc ' +
  'returns stream oneof map repeated optional required reserved extensions extend to max ' +
  'double float int32 int64 uint32 uint64 sint32 sint64 fixed32 fixed64 sfixed32 sfixed64 ' +
  'bool string bytes true false').split(' '));

/** Tokens of one line: [class or '', text]. */
function tokens(type, line) {
  const out = [];
  const re = type === 'PROTOBUF'
    ? /(\/\/.*$)|("(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*')|(\b-?\d+(?:\.\d+)?\b)|([A-Za-z_][\w.]*)|(\s+)|(.)/g
    : /("(?:[^"\\]|\\.)*")(\s*:)?|(-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)|(\btrue\b|\bfalse\b|\bnull\b)|(\s+)|(.)/g;
  let m;
  while ((m = re.exec(line)) !== null) {
    if (type === 'PROTOBUF') {
      if (m[1]) out.push(['tok-comment', m[1]]);
      else if (m[2]) out.push(['tok-string', m[2]]);
      else if (m[3]) out.push(['tok-number', m[3]]);
      else if (m[4]) out.push([PROTO_KEYWORDS.has(m[4]) ? 'tok-keyword' : 'tok-name', m[4]]);
      else out.push(['', m[0]]);
    } else if (m[1]) {
      out.push([m[2] ? 'tok-key' : 'tok-string', m[1]]);
      if (m[2]) out.push(['', m[2]]);
    } else if (m[3]) out.push(['tok-number', m[3]]);
    else if (m[4]) out.push(['tok-keyword', m[4]]);
    else out.push(['', m[0]]);
  }
  return out;
}

/** One highlighted line as a fragment of spans. */
export function highlightLine(type, line) {
  const f = document.createDocumentFragment();
  for (const [cls, text] of tokens(type, line)) {
    f.append(cls ? h('span', { class: cls }, text) : document.createTextNode(text));
  }
  return f;
}

/** A highlighted code block of `text` (already pretty). */
export function codeBlock(type, text, label) {
  const code = h('code', { class: `lang-${(type || 'AVRO').toLowerCase()}` });
  const lines = text.replace(/\n$/, '').split('\n');
  lines.forEach((line, i) => {
    code.append(highlightLine(type, line));
    if (i < lines.length - 1) code.append('\n');
  });
  return h('pre', { class: 'code', tabindex: 0, 'aria-label': label || 'Schema' }, code);
}

/** A compatibility finding `RULE at PATH (DIRECTION against LABEL): message`, split. */
export function parseFinding(text) {
  const m = /^(\S+) at (.*?) \((\w+) against (.+?)\): ([\s\S]*)$/.exec(text);
  if (!m) return { rule: '', path: '', direction: '', against: '', message: text };
  return { rule: m[1], path: m[2], direction: m[3], against: m[4], message: m[5] };
}

/** The verdict and findings of a verbose compatibility answer, as a block. */
export function verdict(answer, title) {
  const ok = answer.is_compatible;
  const box = h('section', { class: `verdict ${ok ? 'ok' : 'bad'}`, dataset: { compatible: String(ok) } },
    h('h3', {}, title ? `${title}: ` : '', h('span', { class: 'verdict-word' }, ok ? 'compatible' : 'incompatible')));
  const messages = answer.messages || [];
  if (messages.length) {
    const rows = messages.map((m) => {
      const f = parseFinding(m);
      return h('tr', { class: 'finding' },
        h('td', { class: 'rule' }, h('code', {}, f.rule || '—')),
        h('td', { class: 'path' }, h('code', {}, f.path || '—')),
        h('td', {}, f.direction ? `${f.direction} vs ${f.against}` : ''),
        h('td', { class: 'message' }, f.message));
    });
    box.append(h('div', { class: 'scroll' }, h('table', { class: 'findings' },
      h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'Rule'), h('th', { scope: 'col' }, 'Path'),
        h('th', { scope: 'col' }, 'Direction'), h('th', { scope: 'col' }, 'Message'))),
      h('tbody', {}, rows))));
  } else if (!ok) {
    box.append(h('p', {}, 'The registry gave no reason.'));
  }
  return box;
}

/** A small label (type, deleted, …). */
export function badge(text, cls = '') {
  return h('span', { class: `badge ${cls}` }, text);
}

/** Show a failure above the view: the registry's error code and message. */
export function showError(e) {
  const box = document.getElementById('error');
  box.hidden = false;
  box.replaceChildren(
    h('strong', {}, e && e.status ? `Error ${e.code}: ` : 'Error: '),
    h('span', { class: 'error-message' }, e && e.message ? e.message : String(e)));
  box.scrollIntoView({ block: 'nearest' });
}

export function clearError() {
  const box = document.getElementById('error');
  box.hidden = true;
  box.replaceChildren();
}
