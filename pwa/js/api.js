// Calls to the server. Nothing here stores anything.

export class HTTPError extends Error {
  constructor(status, body) {
    super((body && (body.detail || body.title)) || `HTTP ${status}`);
    this.status = status;
    this.body = body;
  }
}

async function call(path, body, token, method = 'POST', signal = undefined) {
  const headers = { Accept: 'application/json' };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  if (token) headers.Authorization = `Bearer ${token}`;
  const res = await fetch(path, {
    method, headers, body: body === undefined ? undefined : JSON.stringify(body), cache: 'no-store', credentials: 'omit', signal,
  });
  let data = null;
  try { data = await res.json(); } catch { /* empty or not JSON */ }
  if (!res.ok) throw new HTTPError(res.status, data);
  return data;
}

// register signs the outreach worker in and registers this tablet; the
// answer carries the device token, once.
// previous_token (signing in again) proves it is the same tablet, so the
// items it sealed before still open at the desk.
export function register({ email, password, code, label, previous_token }) {
  return call('/api/v1/outreach/devices', { email, password, code, label, previous_token });
}

export function sync(token, batch) {
  return call('/api/v1/outreach/sync', batch, token);
}

// revoke withdraws this tablet's registration, with the device token or
// the revoke-only token; it gives up after a few seconds.
export function revoke(token) {
  return call('/api/v1/outreach/device', undefined, token, 'DELETE', AbortSignal.timeout(8000));
}
