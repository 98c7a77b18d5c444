/**
 * @module
 * The network dashboard: servers with health, region and load (with CPU over time), tanks with
 * their server, fish and viewers, a live feed of server changes, tank changes and transfer
 * steps from `/api/events`, and a button that creates a tank. Refreshes on every event and
 * every few seconds, never by reloading the page.
 */
import { ApiFailure, api, el, getToken, type ServerView, setToken, type TankListing, userOf } from './api.ts';

const REFRESH_MS = 3000;
const HISTORY = 40;
const cpuHistory = new Map<string, number[]>();

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;

function sparkline(values: number[]): SVGSVGElement {
  const svg = document.createElementNS('http://www.w3.org/2000/svg', 'svg');
  svg.setAttribute('class', 'spark');
  svg.setAttribute('viewBox', `0 0 ${HISTORY} 28`);
  const top = Math.max(10, ...values);
  const line = document.createElementNS('http://www.w3.org/2000/svg', 'polyline');
  const start = HISTORY - values.length;
  line.setAttribute('points', values.map((v, i) => `${start + i},${27 - (v / top) * 26}`).join(' '));
  svg.append(line);
  return svg;
}

async function refreshServers(): Promise<void> {
  const reply = await api<{ servers: ServerView[]; stale: boolean }>('/api/servers');
  $('stale').hidden = !reply.stale;
  const body = $('servers').querySelector('tbody')!;
  body.replaceChildren(
    ...reply.servers.map((s) => {
      const history = cpuHistory.get(s.server_id) ?? [];
      history.push(s.load?.cpu_percent ?? 0);
      if (history.length > HISTORY) history.shift();
      cpuHistory.set(s.server_id, history);
      const row = el('tr');
      row.dataset.server = s.server_id;
      const health = el('td');
      health.append(el('span', s.health, `badge ${s.health}`));
      const chart = el('td');
      chart.append(sparkline(history));
      row.append(
        el('td', s.server_id),
        health,
        el('td', `${s.region} / ${s.zone}`),
        el('td', String(s.tank_count)),
        el('td', String(s.load?.ws_connections ?? '–')),
        el('td', s.load ? `${s.load.cpu_percent.toFixed(1)} %` : '–'),
        el('td', s.load ? `${Math.round(s.load.memory_mb)} MB` : '–'),
        chart,
      );
      return row;
    }),
  );
}

async function refreshTanks(): Promise<void> {
  const reply = await api<{ tanks: TankListing[] }>('/api/tanks?limit=200');
  const body = $('tanks').querySelector('tbody')!;
  body.replaceChildren(
    ...reply.tanks.map((t) => {
      const row = el('tr');
      row.dataset.tank = t.tank.tank_id;
      const link = el('a', t.tank.name);
      link.href = `/tank.html?id=${encodeURIComponent(t.tank.tank_id)}`;
      const name = el('td');
      name.append(link);
      const server = el('td');
      server.append(
        el('span', t.tank.server_id ?? '–'),
        ...(t.available ? [] : [el('span', ' unavailable', 'badge down')]),
      );
      row.append(
        name,
        server,
        el('td', String(t.stats?.fish_count ?? '–')),
        el('td', String(t.stats?.client_count ?? '–')),
        el('td', String(t.stats?.frame ?? '–')),
        el('td', t.tank.owner ? `owner ${t.tank.owner}` : '', 'muted'),
      );
      return row;
    }),
  );
}

function describe(event: Record<string, string>): string {
  switch (event.type) {
    case 'server_up':
      return `server ${event.server_id} is up`;
    case 'server_down':
      return `server ${event.server_id} went down`;
    case 'tank_created':
      return `tank ${event.tank_id?.slice(0, 8)} created on ${event.server_id}`;
    case 'tank_deleted':
      return `tank ${event.tank_id?.slice(0, 8)} deleted`;
    case 'tank_moved':
      return `tank ${event.tank_id?.slice(0, 8)} moved ${event.from} → ${event.to}`;
    case 'transfer_step':
      return `transfer ${event.transfer_id?.slice(0, 8)}: ${event.step} (tank ${event.source_tank_id?.slice(0, 8)} → ${event.dest_tank_id?.slice(0, 8)})`;
    default:
      return event.type ?? 'event';
  }
}

function followEvents(token: string, onChange: () => void): void {
  const source = new EventSource(`/api/events?token=${encodeURIComponent(token)}`);
  const feed = $('feed');
  for (const type of [
    'server_up',
    'server_down',
    'tank_created',
    'tank_deleted',
    'tank_moved',
    'transfer_step',
  ]) {
    source.addEventListener(type, (message) => {
      const event = JSON.parse((message as MessageEvent).data) as Record<string, string>;
      const item = el('li', `${new Date(event.at ?? Date.now()).toLocaleTimeString()} — ${describe(event)}`);
      item.dataset.type = type;
      feed.prepend(item);
      while (feed.children.length > 100) feed.lastElementChild?.remove();
      onChange();
    });
  }
}

async function refresh(): Promise<void> {
  try {
    await Promise.all([refreshServers(), refreshTanks()]);
  } catch (err) {
    if (err instanceof ApiFailure && err.status === 401)
      showLogin('That token was refused; paste a fresh one.');
  }
}

function showLogin(message = ''): void {
  setToken(null);
  $('dashboard').hidden = true;
  $('login').hidden = false;
  $('login-error').textContent = message;
}

async function start(): Promise<void> {
  const token = getToken();
  if (!token) return showLogin();
  try {
    await api('/api/servers');
  } catch (err) {
    return showLogin(err instanceof ApiFailure ? `${err.message} (${err.status})` : String(err));
  }
  $('login').hidden = true;
  $('dashboard').hidden = false;
  $('who').textContent = `signed in as ${userOf(token) ?? 'unknown'}`;
  $('logout').hidden = false;
  let pending: number | undefined;
  const soon = () => {
    clearTimeout(pending);
    pending = window.setTimeout(refresh, 150);
  };
  followEvents(token, soon);
  await refresh();
  setInterval(refresh, REFRESH_MS);
}

$('login-form').addEventListener('submit', (event) => {
  event.preventDefault();
  setToken(($('token') as HTMLTextAreaElement).value);
  void start();
});
$('logout').addEventListener('click', () => {
  showLogin();
  location.reload();
});
$('create').addEventListener('click', async () => {
  const name = prompt('Name of the new tank', `Tank ${new Date().toLocaleTimeString()}`);
  if (!name) return;
  try {
    await api('/api/tanks', { method: 'POST', body: { name } });
    await refresh();
  } catch (err) {
    alert(`Could not create the tank: ${(err as Error).message}`);
  }
});
void start();
