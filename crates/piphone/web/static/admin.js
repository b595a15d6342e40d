// Admin page: users (add, change role, disable/enable, set password) and the latest refused calls.
// Everything from the server goes into the page as text (textContent), never as HTML.
import { api, showModeBanner } from './common.js';

const ROLES = {
  admin: 'Admin — everything, including this page',
  host: 'Host — calls out and takes calls',
  screener: 'Screener — screens the call-in queue',
  caller: 'Caller — calls out only',
};

const message = document.getElementById('admin-message');
const userRows = document.getElementById('user-rows');
const refusalRows = document.getElementById('refusal-rows');

function say(text, ok = false) {
  message.textContent = text;
  message.hidden = !text;
  message.classList.toggle('ok', ok);
}

function el(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(props)) {
    if (k === 'dataset') Object.assign(node.dataset, v);
    else if (k in node) node[k] = v;
    else node.setAttribute(k, v);
  }
  node.append(...children);
  return node;
}

function roleSelect(current, label) {
  const select = el('select', { 'aria-label': label });
  for (const [value, text] of Object.entries(ROLES)) select.append(el('option', { value, textContent: text }));
  select.value = current;
  return select;
}

async function update(username, change, done) {
  try {
    await api(`/api/admin/users/${encodeURIComponent(username)}`, { method: 'POST', body: change });
    say(done, true);
  } catch (err) {
    say(`Could not update ${username}: ${err.message}`);
  }
  await loadUsers();
}

function userRow(user, me) {
  const self = user.username === me;
  const role = roleSelect(user.role, `Role of ${user.username}`);
  role.disabled = self;
  role.addEventListener('change', () => update(user.username, { role: role.value }, `${user.username} is now ${role.value}.`));
  const toggle = el('button', {
    type: 'button',
    textContent: user.disabled ? 'Enable' : 'Disable',
    disabled: self,
    dataset: { testid: `toggle-${user.username}` },
  });
  toggle.addEventListener('click', () =>
    update(user.username, { disabled: !user.disabled }, `${user.username} is ${user.disabled ? 'enabled' : 'disabled'}.`),
  );
  const reset = el('button', { type: 'button', textContent: 'Set password…' });
  reset.addEventListener('click', () => {
    const password = prompt(`New password for ${user.username} (at least 8 characters):`);
    if (password) update(user.username, { password }, `Password of ${user.username} changed.`);
  });
  return el(
    'tr',
    { dataset: { testid: `user-${user.username}` } },
    el('th', { scope: 'row', textContent: user.username + (self ? ' (you)' : '') }),
    el('td', {}, role),
    el('td', { textContent: user.disabled ? 'Disabled' : 'Active' }),
    el('td', { className: 'actions' }, toggle, reset),
  );
}

let me = '';
async function loadUsers() {
  const { users } = await api('/api/admin/users');
  userRows.replaceChildren(...users.map((u) => userRow(u, me)));
}

async function loadRefusals() {
  const { refusals } = await api('/api/admin/refusals');
  document.getElementById('refusals-empty').hidden = refusals.length > 0;
  document.querySelector('[data-testid="refusals"]').hidden = refusals.length === 0;
  refusalRows.replaceChildren(
    ...refusals.map((r) =>
      el(
        'tr',
        {},
        el('td', { textContent: new Date(r.at * 1000).toLocaleString() }),
        el('td', { textContent: r.username }),
        el('td', { textContent: r.number }),
        el('td', { textContent: r.reason }),
      ),
    ),
  );
}

function wireNewUser() {
  const form = document.getElementById('new-user');
  const role = form.elements.role;
  for (const [value, text] of Object.entries(ROLES)) role.append(el('option', { value, textContent: text }));
  role.value = 'host';
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const body = { username: form.elements.username.value.trim(), password: form.elements.password.value, role: role.value };
    try {
      await api('/api/admin/users', { method: 'POST', body });
      say(`Added ${body.username}.`, true);
      form.reset();
      role.value = 'host';
    } catch (err) {
      say(`Could not add ${body.username}: ${err.message}`);
    }
    await loadUsers();
  });
}

async function main() {
  const who = await api('/api/me');
  me = who.identity;
  document.getElementById('identity').textContent = who.identity;
  showModeBanner(Boolean(who.sandbox));
  wireNewUser();
  await Promise.all([loadUsers(), loadRefusals()]);
}

main().catch((err) => say(`Could not load: ${err.message}`));
