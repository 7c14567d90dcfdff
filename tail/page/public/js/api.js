// Talks to the tail API. Loopback needs no key; from elsewhere the user enters one, kept
// in this browser only (localStorage) and sent as a bearer token, or as ?access_token= on
// streams because EventSource cannot send headers.
const KEY_STORAGE = 'flowtrace.apiKey';

export class ApiError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

export function apiKey() {
  return localStorage.getItem(KEY_STORAGE) ?? '';
}

export function setApiKey(key) {
  if (key) localStorage.setItem(KEY_STORAGE, key);
  else localStorage.removeItem(KEY_STORAGE);
}

/** Sends a request and parses its JSON answer; throws ApiError with the server's message on a non-2xx answer. */
async function requestJson(path, init = {}) {
  const key = apiKey();
  const res = await fetch(path, { ...init, headers: { ...init.headers, ...(key ? { Authorization: `Bearer ${key}` } : {}) } });
  let body;
  try {
    body = await res.json();
  } catch {
    throw new ApiError(res.status, `${res.status} ${res.statusText}`);
  }
  if (!res.ok) throw new ApiError(res.status, body.error ?? `${res.status} ${res.statusText}`);
  return body;
}

/** GET a JSON endpoint. */
export function getJson(path) {
  return requestJson(path);
}

/** POST a JSON body (the workflow service's operations). */
export function postJson(path, body = {}, headers = {}) {
  return requestJson(path, { method: 'POST', headers: { 'Content-Type': 'application/json', ...headers }, body: JSON.stringify(body) });
}

/** A URL for EventSource, with the API key as access_token when one is set. */
export function streamUrl(path, params = {}) {
  const url = new URL(path, location.href);
  for (const [name, value] of Object.entries(params)) if (value !== undefined && value !== '') url.searchParams.set(name, value);
  const key = apiKey();
  if (key) url.searchParams.set('access_token', key);
  return url.toString();
}
