// The API over HTTP, as the mini-program would call it (SPEC §10). Tokens live in
// sessionStorage only (gone when the tab closes); the family's and the clerk's are kept apart.

const KEYS = { family: "mp.family", clerk: "mp.clerk" };

export class ApiError extends Error {
  /** An error answer in the one shape {code, message, errors}; status 0 = the network failed. */
  constructor(status, code, message, errors = {}) {
    super(message);
    this.status = status;
    this.code = code;
    this.errors = flattenErrors(errors);
  }
}

/** {"deceased": {"bank_account": {"account_number": [..]}}} or dotted keys → {"deceased.bank_account.account_number": [..]} */
export function flattenErrors(errors, prefix = "") {
  const flat = {};
  for (const [key, value] of Object.entries(errors || {})) {
    const path = prefix ? `${prefix}.${key}` : key;
    if (value && typeof value === "object" && !Array.isArray(value)) Object.assign(flat, flattenErrors(value, path));
    else flat[path] = Array.isArray(value) ? value.map(String) : [String(value)];
  }
  return flat;
}

export function session(role) {
  try {
    return JSON.parse(sessionStorage.getItem(KEYS[role]) || "null");
  } catch {
    return null;
  }
}

export function saveSession(role, answer, extra = {}) {
  const old = session(role) || {};
  const value = { ...old, ...extra, access_token: answer.access_token, refresh_token: answer.refresh_token };
  sessionStorage.setItem(KEYS[role], JSON.stringify(value));
  return value;
}

export function clearSession(role) {
  sessionStorage.removeItem(KEYS[role]);
}

async function send(role, method, path, { json, form, headers = {}, signal } = {}) {
  const s = session(role);
  const h = { Accept: "application/json", ...headers };
  if (s && s.access_token) h.Authorization = `Bearer ${s.access_token}`;
  let body;
  if (json !== undefined) {
    h["Content-Type"] = "application/json";
    body = JSON.stringify(json);
  } else if (form !== undefined) {
    body = form; // multipart: the browser sets the boundary
  }
  try {
    return await fetch(path, { method, headers: h, body, signal, cache: "no-store", credentials: "omit" });
  } catch (err) {
    if (err.name === "AbortError") throw err;
    throw new ApiError(0, "network", "网络连接失败，请检查网络后再试一次");
  }
}

async function refresh(role) {
  const s = session(role);
  if (!s || !s.refresh_token) return false;
  const response = await send(role, "POST", "/api/v1/auth/refresh", { json: { refresh_token: s.refresh_token } });
  if (!response.ok) return false;
  saveSession(role, await response.json());
  return true;
}

async function errorOf(response) {
  let body = null;
  try {
    body = await response.json();
  } catch {
    /* not JSON */
  }
  if (body && body.code) return new ApiError(response.status, body.code, body.message || "出错了，请稍后再试", body.errors);
  return new ApiError(response.status, "http_error", `出错了（${response.status}），请稍后再试`);
}

/**
 * Call the API as `role` ("family" or "clerk"). Returns the decoded JSON, or the Response when
 * `raw` is set (also for 304). An expired access token is refreshed once; a refused refresh ends
 * the session. Throws ApiError for every error answer.
 */
export async function api(role, method, path, options = {}) {
  let response = await send(role, method, path, options);
  if (response.status === 401 && !path.startsWith("/api/v1/auth/") && (await refresh(role))) {
    response = await send(role, method, path, options);
  }
  if (response.status === 401 && !path.startsWith("/api/v1/auth/") && !path.startsWith("/sandbox/")) {
    clearSession(role);
    throw new ApiError(401, "unauthorized", "登录已过期，请重新登录");
  }
  if (!response.ok && response.status !== 304) throw await errorOf(response);
  if (options.raw) return response;
  if (response.status === 204 || response.status === 304) return null;
  const text = await response.text();
  return text ? JSON.parse(text) : null;
}

/** A file the API serves only with the bearer token (QR code, PDF), as a blob: URL. */
export async function blobUrl(role, path) {
  const response = await api(role, "GET", path, { raw: true, headers: { Accept: "*/*" } });
  const blob = await response.blob();
  return URL.createObjectURL(blob);
}
