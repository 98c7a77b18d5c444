/**
 * @module
 * The browser's side of the gateway API: the pasted token (kept in localStorage), JSON calls
 * with it, and the user it names. Every page uses these; none talks to `fetch` directly.
 */
const TOKEN_KEY = 'tankworld.token';

export function getToken(): string | null {
  return localStorage.getItem(TOKEN_KEY);
}

export function setToken(token: string | null): void {
  if (token) localStorage.setItem(TOKEN_KEY, token.trim());
  else localStorage.removeItem(TOKEN_KEY);
}

/** The `sub` of the token, for the header; the gateway is what checks the token. */
export function userOf(token: string): string | null {
  try {
    const payload = JSON.parse(atob(token.split('.')[1]!.replace(/-/g, '+').replace(/_/g, '/')));
    return typeof payload.sub === 'string' ? payload.sub : null;
  } catch {
    return null;
  }
}

/** A problem+json answer (or a network failure) as an error with its status. */
export class ApiFailure extends Error {
  readonly status: number;
  constructor(status: number, message: string) {
    super(message);
    this.status = status;
  }
}

export async function api<T>(path: string, init: { method?: string; body?: unknown } = {}): Promise<T> {
  const headers: Record<string, string> = {};
  const token = getToken();
  if (token) headers.authorization = `Bearer ${token}`;
  if (init.body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(path, {
    method: init.method ?? 'GET',
    headers,
    body: init.body === undefined ? undefined : JSON.stringify(init.body),
  });
  const text = await res.text();
  const body = text ? JSON.parse(text) : null;
  if (!res.ok) throw new ApiFailure(res.status, body?.detail ?? body?.title ?? `HTTP ${res.status}`);
  return body as T;
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
