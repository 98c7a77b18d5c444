/**
 * @module
 * The browser's side of the gateway API: the session (the pasted token is posted once to
 * `/api/session`, which keeps it in an HttpOnly cookie that no script here can read; the page
 * stores no token anywhere), JSON calls that the cookie authenticates, and the short-lived token the
 * viewer's WebSocket needs. Every page uses these; none talks to `fetch` directly.
 */

/** Sent with every call: the gateway takes the session cookie for writes only with it (CSRF). */
const PAGE_HEADERS = { 'x-requested-with': 'tankworld' };

/** A problem+json answer (or a network failure) as an error with its status. */
export class ApiFailure extends Error {
  readonly status: number;
  constructor(status: number, message: string) {
    super(message);
    this.status = status;
  }
}

export async function api<T>(path: string, init: { method?: string; body?: unknown } = {}): Promise<T> {
  const headers: Record<string, string> = { ...PAGE_HEADERS };
  if (init.body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(path, {
    method: init.method ?? 'GET',
    headers,
    credentials: 'same-origin',
    body: init.body === undefined ? undefined : JSON.stringify(init.body),
  });
  const text = await res.text();
  const body = text ? JSON.parse(text) : null;
  if (!res.ok) throw new ApiFailure(res.status, body?.detail ?? body?.title ?? `HTTP ${res.status}`);
  return body as T;
}

export interface Session {
  user_id: string;
  expires_at: string;
}

/** Signs in with a pasted token: the gateway verifies it and sets the session cookie. */
export function signIn(token: string): Promise<Session> {
  return api<Session>('/api/session', { method: 'POST', body: { token: token.trim() } });
}

/**
 * Signs in from the link `npm start` prints (`/#token=…`): the token sits in the fragment, which
 * the browser never sends, and leaves the address bar (and the history entry) before the one call
 * that trades it for the HttpOnly cookie, so it is neither bookmarked nor kept by the page.
 * Resolves false when the address has no such fragment.
 */
export async function signInFromLink(): Promise<boolean> {
  const match = /^#token=([^&]+)/.exec(location.hash);
  if (!match) return false;
  history.replaceState(null, '', location.pathname + location.search);
  await signIn(decodeURIComponent(match[1]!));
  return true;
}

/** The signed-in user; an `ApiFailure` with status 401 when there is no session. */
export function currentSession(): Promise<Session> {
  return api<Session>('/api/session');
}

/** Signs out: the gateway clears the cookie. */
export async function signOut(): Promise<void> {
  await api('/api/session', { method: 'DELETE' });
}

/**
 * A token for the tank server's WebSocket, which takes one only in its URL: it lives about a
 * minute (servers check it when the socket opens), so ask for a new one on every connect.
 * Undefined for a guest (no session): it watches through the gateway's relay instead.
 */
export async function webSocketToken(): Promise<string | undefined> {
  try {
    return (await api<{ token: string }>('/api/session/ws-token')).token;
  } catch (err) {
    if (err instanceof ApiFailure && err.status === 401) return undefined;
    throw err;
  }
}

/** The gateway's own relay of a tank's stream (`/ws/<id>`): what a guest watches through. */
export function relayUrl(tankId: string): string {
  return `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/ws/${encodeURIComponent(tankId)}`;
}

export interface ServerLoad {
  tank_count: number;
  cpu_percent: number;
  memory_mb: number;
  ws_connections: number;
}

export interface ServerView {
  server_id: string;
  region: string;
  zone: string;
  status: string;
  health: 'passing' | 'warning' | 'critical';
  tank_count: number;
  load: ServerLoad | null;
}

export interface TankListing {
  tank: { tank_id: string; name: string; owner: string | null; server_id: string | null };
  websocket_url: string | null;
  available: boolean;
  stats: { frame: number; fish_count: number; client_count: number } | null;
}

/** Creates an element with a class and text: the pages build their rows with it. */
export function el<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  text?: string,
  className?: string,
): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  if (text !== undefined) node.textContent = text;
  if (className) node.className = className;
  return node;
}
