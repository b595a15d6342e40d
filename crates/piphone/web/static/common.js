// Shared by every page: the sandbox banner, JSON fetches that send a signed-out user to /login, and small helpers.

/** GET/POST JSON with the session cookie. A 401 means the session is gone: go to the login page. */
export async function api(path, { method = 'GET', body } = {}) {
  const init = { method, credentials: 'same-origin', headers: { accept: 'application/json' } };
  if (body !== undefined) {
    init.headers['content-type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  const res = await fetch(path, init);
  if (res.status === 401) {
    location.assign('/login');
    throw new Error('signed out');
  }
  const data = await res.json().catch(() => ({}));
  if (!res.ok) {
    const err = new Error(data.error || data.message || `HTTP ${res.status}`);
    err.status = res.status;
    throw err;
  }
  return data;
}

/** Show the "Sandbox mode — no real calls" banner when the server runs without Twilio. */
export async function showModeBanner(sandbox) {
  if (sandbox === undefined) {
    try {
      const res = await fetch('/healthz', { headers: { accept: 'application/json' } });
      sandbox = (await res.json()).mode === 'sandbox';
    } catch {
      return;
    }
  }
  for (const el of document.querySelectorAll('[data-testid="sandbox-banner"]')) el.hidden = !sandbox;
}

/** `fn` delayed until `ms` have passed without another call. */
export function debounce(fn, ms) {
  let timer;
  return (...args) => {
    clearTimeout(timer);
    timer = setTimeout(() => fn(...args), ms);
  };
}

/** Seconds as m:ss (or h:mm:ss). */
export function clock(totalSeconds) {
  const s = Math.max(0, Math.floor(totalSeconds));
  const pad = (n) => String(n).padStart(2, '0');
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  return h ? `${h}:${pad(m)}:${pad(s % 60)}` : `${m}:${pad(s % 60)}`;
}
