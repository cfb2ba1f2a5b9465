// The page's shell: which view the URL fragment asks for, the sign-in form when the registry
// answers 401, and the registry's error message when a call fails.

import { ApiError, permissions, signInBasic, signInBearer, signOut, signedIn } from './api.js';
import { clearError, h, showError } from './show.js';
import { subjectsView } from './subjects.js';
import { subjectView } from './subject.js';
import { diffView } from './diff.js';
import { checkView } from './check.js';
import { configView } from './config.js';

const main = document.getElementById('main');

/** `#/a/b?x=1` → {parts: ['a', 'b'], query: URLSearchParams}. */
function parseHash() {
  const raw = location.hash.replace(/^#\/?/, '');
  const [path, q] = raw.split('?');
  const parts = path ? path.split('/').map(decodeURIComponent) : [];
  return { parts, query: new URLSearchParams(q || '') };
}

const views = {
  '': subjectsView,
  subjects: subjectsView,
  subject: subjectView,
  diff: diffView,
  check: checkView,
  config: configView,
};

let rendering = 0;

async function render() {
  const ticket = ++rendering;
  const { parts, query } = parseHash();
  const name = parts[0] || '';
  const view = views[name] || subjectsView;
  clearError();
  for (const a of document.querySelectorAll('[data-nav]')) {
    a.toggleAttribute('aria-current', a.dataset.nav === (name || 'subjects') ||
      (name === 'subject' && a.dataset.nav === 'subjects'));
  }
  main.dataset.state = 'loading';
  main.dataset.view = name || 'subjects';
  try {
    const who = await permissions();
    document.getElementById('who').textContent = who.user ? `signed in as ${who.user}` : '';
    document.getElementById('sign-out').hidden = !signedIn();
    const content = await view({ parts: parts.slice(1), query, who });
    if (ticket !== rendering) return;
    main.replaceChildren(content);
    main.dataset.state = 'ready';
  } catch (e) {
    if (ticket !== rendering) return;
    if (e instanceof ApiError && e.status === 401) {
      showSignIn(signedIn() ? 'Those credentials were refused.' : '');
    } else {
      showError(e);
      main.replaceChildren(h('p', { class: 'muted' }, 'This view could not be shown.'));
    }
    main.dataset.state = 'error';
  }
}

function showSignIn(message) {
  const form = document.getElementById('sign-in-template').content.firstElementChild.cloneNode(true);
  if (message) form.prepend(h('p', { class: 'error', role: 'alert' }, message));
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    const data = new FormData(form);
    const token = String(data.get('token') || '').trim();
    if (token) signInBearer(token);
    else signInBasic(String(data.get('user')), String(data.get('password') || ''));
    render();
  });
  main.replaceChildren(form);
  main.dataset.view = 'sign-in';
  form.querySelector('input').focus();
}

document.getElementById('sign-out').addEventListener('click', () => {
  signOut();
  location.hash = '#/';
  render();
});

window.addEventListener('hashchange', () => {
  render().then(() => main.focus({ preventScroll: true }));
});
render();
