// The operator's part of the status page with AUTH=token: the key login (an HttpOnly session
// cookie, since EventSource sends no header), logout, and the users panel (disconnect, disable).
// Every value from the server goes in through textContent.

const $ = (id) => document.getElementById(id);

/** `{ auth: 'none' | 'token', role: 'admin' | 'read' | null }`, as GET /proxy/session answers. */
export const session = { auth: 'none', role: null };

function say(text, kind = 'info') {
  const message = $('message');
  message.textContent = text;
  message.dataset.kind = kind;
  message.hidden = false;
}

async function readSession() {
  const res = await fetch('/proxy/session', { cache: 'no-store' });
  Object.assign(session, await res.json());
}

/**
 * Resolves once the page may open its feed: at once with AUTH=none or a live login, else after
 * the operator typed a key that /proxy/login took.
 */
export async function startSession() {
  await readSession();
  document.body.dataset.auth = session.auth;
  if (session.auth !== 'token') return;
  $('logout').addEventListener('click', async () => {
    await fetch('/proxy/logout', { method: 'POST' });
    location.reload();
  });
  if (session.role) return signedIn();
  const form = $('login');
  form.hidden = false;
  $('key').focus();
  await new Promise((resolve) => {
    form.addEventListener('submit', async (event) => {
      event.preventDefault();
      const res = await fetch('/proxy/login', {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ key: $('key').value }),
      });
      $('key').value = '';
      if (!res.ok) {
        const body = await res.json().catch(() => ({}));
        say(`Login refused: ${res.status} ${body.message ?? ''}`, 'error');
        return;
      }
      session.role = (await res.json()).role;
      $('message').hidden = true;
      form.hidden = true;
      resolve();
    });
  });
  signedIn();
}

function signedIn() {
  document.body.dataset.signedIn = 'true';
  $('signed-in').hidden = false;
  $('role').textContent = session.role === 'admin' ? 'admin' : 'read only';
  $('users-section').hidden = false;
}

async function change(path, method, body, what) {
  try {
    const res = await fetch(path, {
      method,
      headers: body ? { 'Content-Type': 'application/json' } : {},
      body: body ? JSON.stringify(body) : undefined,
    });
    const answer = await res.json().catch(() => ({}));
    if (res.ok) say(`Asked to ${what}.`);
    else say(`Could not ${what}: ${res.status} ${answer.message ?? answer.error ?? ''}`, 'error');
  } catch (err) {
    say(`Could not ${what}: ${err.message}`, 'error');
  }
}

function button(text, className, onClick) {
  const b = document.createElement('button');
  b.type = 'button';
  b.textContent = text;
  b.className = className;
  b.addEventListener('click', onClick);
  return b;
}

const cell = (text, className = '') => {
  const td = document.createElement('td');
  td.textContent = text;
  td.className = className;
  return td;
};

const limit = (n) => (n > 0 ? String(n) : 'no limit');

/** The users panel: each user, its limits and what it watches now; the admin's buttons. */
export function renderUsers(snapshot) {
  if (!snapshot.users) return;
  const admin = session.role === 'admin';
  const rows = snapshot.users.map((u) => {
    const name = encodeURIComponent(u.name);
    const tr = document.createElement('tr');
    tr.dataset.user = u.name;
    const actions = document.createElement('td');
    if (admin) {
      actions.append(
        button('Disconnect', 'disconnect', () => change(`/proxy/users/${name}/disconnect`, 'POST', null, `disconnect ${u.name}`)),
        u.enabled
          ? button('Disable', 'disable', () => change(`/proxy/users/${name}`, 'PATCH', { enabled: false }, `disable ${u.name}`))
          : button('Enable', 'enable', () => change(`/proxy/users/${name}`, 'PATCH', { enabled: true }, `enable ${u.name}`)),
      );
    }
    tr.append(
      cell(u.name),
      cell(u.enabled ? (u.expires_at && u.expires_at < snapshot.at ? 'expired' : 'enabled') : 'disabled'),
      cell(String(u.channels.length), 'num'),
      cell(limit(u.limits.channels), 'num'),
      cell(String(u.connections), 'num'),
      cell(limit(u.limits.connections), 'num'),
      cell(u.limits.policy),
      cell(u.channels.map((id) => `${id.slice(0, 8)}…`).join(' ') || '–', 'channels'),
      actions,
    );
    return tr;
  });
  $('users').replaceChildren(...rows);
  $('user-count').textContent = String(snapshot.users_total ?? snapshot.users.length);
  const more = (snapshot.users_total ?? 0) - snapshot.users.length;
  $('more-users').hidden = more <= 0;
  $('more-users').textContent = more > 0 ? `${more} more users (not watching) are not listed.` : '';
}
