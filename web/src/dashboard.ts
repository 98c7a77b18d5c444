/**
 * @module
 * The network dashboard: servers with health, region and load (with CPU over time), tanks with
 * their server, fish and viewers, a live feed of server changes, tank changes and transfer
 * steps from `/api/events`, and a button that creates a tank. Refreshes on every event and
 * every few seconds, never by reloading the page. Without a session it is the guest's view:
 * the servers and the public tanks (to watch), with the log-in box; the sign-in link that
 * `npm start` prints (`/#token=…`) signs in at once.
 */
import {
  ApiFailure,
  api,
  currentSession,
  el,
  type ServerView,
  signIn,
  signInFromLink,
  signOut,
  type TankListing,
} from './api.ts';
import { sparkline } from './chart.ts';
import { createNetworkGraph, type MigrationEvent, readTubes } from './network-graph.ts';

const REFRESH_MS = 1500;
/** Samples kept per chart: a minute at one sample per refresh. */
const HISTORY = 40;
const history = new Map<string, { cpu: number[]; viewers: number[] }>();

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const graph = createNetworkGraph({
  svg: document.getElementById('network') as unknown as SVGSVGElement,
  summary: $('network-summary'),
  width: 960,
});
/** The last lists read, which the graph draws together. */
const latest: { servers: string[]; tanks: TankListing[] } = { servers: [], tanks: [] };

function remember(s: ServerView): { cpu: number[]; viewers: number[] } {
  const h = history.get(s.server_id) ?? { cpu: [], viewers: [] };
  h.cpu.push(s.load?.cpu_percent ?? 0);
  h.viewers.push(s.load?.ws_connections ?? 0);
  for (const series of [h.cpu, h.viewers]) if (series.length > HISTORY) series.shift();
  history.set(s.server_id, h);
  return h;
}

function chartCell(values: number[], kind: string, floor: number, label: string): HTMLTableCellElement {
  const cell = el('td', undefined, 'chart');
  cell.append(sparkline({ values, capacity: HISTORY, floor, kind }), el('span', label, 'chart-value'));
  return cell;
}

function setSummary(id: string, value: string, note = ''): void {
  $(id).replaceChildren(el('strong', value), el('span', note, 'muted'));
}

async function refreshServers(): Promise<void> {
  const reply = await api<{ servers: ServerView[]; stale: boolean }>('/api/servers');
  latest.servers = reply.servers.map((s) => s.server_id);
  $('stale').hidden = !reply.stale;
  const passing = reply.servers.filter((s) => s.health === 'passing').length;
  setSummary('sum-servers', String(reply.servers.length), `${passing} passing`);
  setSummary(
    'sum-viewers',
    String(reply.servers.reduce((n, s) => n + (s.load?.ws_connections ?? 0), 0)),
    'live connections',
  );
  const body = $('servers').querySelector('tbody')!;
  body.replaceChildren(
    ...reply.servers.map((s) => {
      const h = remember(s);
      const row = el('tr');
      row.dataset.server = s.server_id;
      const health = el('td');
      health.append(el('span', s.health, `badge ${s.health}`));
      row.append(
        el('td', s.server_id, 'strong'),
        health,
        el('td', `${s.region} / ${s.zone}`),
        el('td', String(s.tank_count), 'num'),
        el('td', s.load ? `${Math.round(s.load.memory_mb)} MB` : '–', 'num'),
        chartCell(h.cpu, 'cpu', 10, s.load ? `${s.load.cpu_percent.toFixed(1)} %` : '–'),
        chartCell(h.viewers, 'viewers', 4, String(s.load?.ws_connections ?? '–')),
      );
      return row;
    }),
  );
}

async function refreshTanks(): Promise<void> {
  const reply = await api<{ tanks: TankListing[] }>('/api/tanks?limit=200');
  latest.tanks = reply.tanks;
  const fish = reply.tanks.reduce((n, t) => n + (t.stats?.fish_count ?? 0), 0);
  setSummary(
    'sum-tanks',
    String(reply.tanks.length),
    `${reply.tanks.filter((t) => t.available).length} live`,
  );
  setSummary('sum-fish', String(fish), 'across all tanks');
  const body = $('tanks').querySelector('tbody')!;
  body.replaceChildren(
    ...reply.tanks.map((t) => {
      tankNames.set(t.tank.tank_id, t.tank.name);
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
      const watch = el('td', undefined, 'actions');
      const open = el('a', 'watch →', 'button-link');
      open.href = link.href;
      watch.append(open);
      row.append(
        name,
        server,
        el('td', String(t.stats?.fish_count ?? '–'), 'num'),
        el('td', String(t.stats?.client_count ?? '–'), 'num'),
        el('td', String(t.stats?.frame ?? '–'), 'num'),
        el('td', t.tank.owner ?? '', 'muted'),
        watch,
      );
      return row;
    }),
  );
}

/** Tank names from the last list, so the feed can say "Tank 1" rather than an id. */
const tankNames = new Map<string, string>();
const tankName = (id: string | undefined) => (id && tankNames.get(id)) ?? `tank ${id?.slice(0, 8) ?? '?'}`;

/** Each feed line's event, to reword it once the tank list knows a new tank's name. */
const feedEvents = new WeakMap<Element, Record<string, string>>();

function renameFeed(): void {
  for (const item of $('feed').children) {
    const event = feedEvents.get(item);
    const what = item.querySelector('.what');
    if (event && what) what.textContent = describe(event);
  }
}

function describe(event: Record<string, string>): string {
  switch (event.type) {
    case 'server_up':
      return `${event.server_id} joined the network`;
    case 'server_down':
      return `${event.server_id} went down`;
    case 'tank_created':
      return `${tankName(event.tank_id)} created on ${event.server_id}`;
    case 'tank_deleted':
      return `${tankName(event.tank_id)} deleted`;
    case 'tank_moved':
      return `${tankName(event.tank_id)} moved ${event.from} → ${event.to}`;
    case 'migration':
      return `fish ${event.fish_uid?.slice(0, 8)} swam ${tankName(event.from_tank_id)} → ${tankName(event.to_tank_id)}${String(event.local) === 'true' ? ' (same server)' : ` (${event.from_server_id} → ${event.to_server_id})`}`;
    case 'transfer_step':
      return `fish ${tankName(event.source_tank_id)} → ${tankName(event.dest_tank_id)}: ${event.step}`;
    default:
      return event.type ?? 'event';
  }
}

function followEvents(onChange: () => void): void {
  // Same origin: the session cookie goes along, so the token never sits in the URL.
  const source = new EventSource('/api/events');
  const feed = $('feed');
  for (const type of [
    'server_up',
    'server_down',
    'tank_created',
    'tank_deleted',
    'tank_moved',
    'transfer_step',
    'migration',
  ]) {
    source.addEventListener(type, (message) => {
      const event = JSON.parse((message as MessageEvent).data) as Record<string, string>;
      if (type === 'migration') graph.migrate(event as unknown as MigrationEvent);
      const item = el('li');
      item.dataset.type = type;
      item.append(
        el('time', new Date(event.at ?? Date.now()).toLocaleTimeString([], { hour12: false })),
        el('span', type.replace('_', ' '), `kind ${type}`),
        el('span', describe(event), 'what'),
      );
      feedEvents.set(item, event);
      $('feed-empty').hidden = true;
      feed.prepend(item);
      while (feed.children.length > 100) feed.lastElementChild?.remove();
      onChange();
    });
  }
}

async function refresh(): Promise<void> {
  try {
    const [, , tubes] = await Promise.all([refreshServers(), refreshTanks(), readTubes()]);
    graph.update(
      latest.servers,
      latest.tanks.map(({ tank }) => ({ tank_id: tank.tank_id, name: tank.name, server_id: tank.server_id })),
      tubes,
    );
    renameFeed();
  } catch (err) {
    if (err instanceof ApiFailure && err.status === 401)
      showLogin('That token was refused; paste a fresh one.');
  }
}

function showLogin(message = ''): void {
  $('dashboard').hidden = true;
  $('login').hidden = false;
  $('login-error').textContent = message;
}

/** `/#/tank/<id>` is the viewer's short address; the viewer page itself is tank.html. */
function openViewerFromHash(): boolean {
  const viewer = /^#\/tank\/([^/?#]+)$/.exec(location.hash);
  if (viewer) location.replace(`/tank.html?id=${viewer[1]}`);
  return viewer !== null;
}

/** The signed-in user, undefined for a guest; an error other than "no session" is shown. */
async function sessionUser(): Promise<string | undefined> {
  try {
    await signInFromLink();
  } catch (err) {
    showLogin(`That sign-in link was refused: ${(err as Error).message}`);
  }
  try {
    return (await currentSession()).user_id;
  } catch (err) {
    if (err instanceof ApiFailure && err.status === 401) return undefined;
    throw err;
  }
}

async function start(): Promise<void> {
  if (openViewerFromHash()) return;
  let user: string | undefined;
  try {
    user = await sessionUser();
    await api('/api/servers');
  } catch (err) {
    return showLogin(err instanceof ApiFailure ? `${err.message} (${err.status})` : String(err));
  }
  $('dashboard').hidden = false;
  // A guest sees the public tanks and the log-in box; creating and the live feed need a session.
  $('login').hidden = user !== undefined;
  $('who').textContent = user === undefined ? 'watching public tanks as a guest' : `signed in as ${user}`;
  $('logout').hidden = user === undefined;
  $('create').hidden = user === undefined;
  $('feed-card').hidden = user === undefined;
  let pending: number | undefined;
  const soon = () => {
    clearTimeout(pending);
    pending = window.setTimeout(refresh, 150);
  };
  if (user !== undefined) followEvents(soon);
  await refresh();
  setInterval(refresh, REFRESH_MS);
}

window.addEventListener('hashchange', openViewerFromHash);
$('login-form').addEventListener('submit', async (event) => {
  event.preventDefault();
  const field = $('token') as HTMLTextAreaElement;
  try {
    await signIn(field.value);
  } catch (err) {
    return showLogin(err instanceof ApiFailure ? `${err.message} (${err.status})` : String(err));
  }
  // The page keeps no copy: from here the HttpOnly cookie is the session.
  field.value = '';
  location.reload();
});
$('logout').addEventListener('click', async () => {
  await signOut().catch(() => undefined);
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
