/**
 * @module
 * The tank viewer: looks the tank up at the gateway, then connects straight to its server's
 * WebSocket, decodes the binary frames with the project's decoder and draws them, interpolated
 * between the two frames around "now minus one broadcast" so fish glide at the screen's rate.
 * Pause, resume and spawn show only to users who may write (the server says so in `hello`).
 * When the server goes away the viewer reconnects with backoff, looking the tank up again; when
 * the tank moves live (a `moved` message, close 4307) it follows at once to the new server.
 */
import { GENOME_RANGES } from '../../src/sim/index.ts';
import { createFrameDecoder, type FishState, type TankFrame } from '../../src/tank/wire/index.ts';
import { ApiFailure, api, el, relayUrl, webSocketToken } from './api.ts';
import { drawScene } from './draw.ts';
import { lineageFacts, showRelatives } from './lineage.ts';
import { followTankStats } from './tank-stats.ts';
import type { TubeEnd } from './tube-geometry.ts';
import { createTubesView } from './tubes-view.ts';

const RENDER_DELAY_MS = 120;
const TICK_S = 1 / 30;
/** `WsClose.moved` (src/server/ws-close.ts): the tank moved live; the message before says where. */
const MOVED_CLOSE = 4307;
const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const tankId = new URLSearchParams(location.search).get('id') ?? '';
const canvas = $<HTMLCanvasElement>('canvas');
const g = canvas.getContext('2d')!;

/** Decoded frames with the time they arrived, oldest first, a few kept for interpolation. */
let frames: Array<{ at: number; frame: TankFrame }> = [];
let selected: number | null = null;
let lastDrawn: FishState[] = [];
const noteFish = followTankStats({ tankId, panel: $('population'), chart: $('fish-chart') });
const tubes = createTubesView({
  tankId,
  tubeList: $('tubes'),
  emptyNote: $('no-tubes'),
  migrationList: $('migrations'),
  width: canvas.width,
  height: canvas.height,
});

function setConnection(text: string, kind: string): void {
  const badge = $('conn');
  badge.textContent = text;
  badge.className = `badge ${kind}`;
  badge.dataset.state = kind;
}

function lerpFish(a: FishState, b: FishState | undefined, t: number): FishState {
  if (!b) return a;
  return { ...b, x: a.x + (b.x - a.x) * t, y: a.y + (b.y - a.y) * t };
}

/**
 * The tank as it was RENDER_DELAY_MS ago: between the two frames around then, or extrapolated a
 * little past the last one. `ticks` is the tank's clock then; the scenery animates on it, so a
 * paused tank stands still.
 */
function sceneAt(now: number): { scene: TankFrame; ticks: number } | null {
  if (frames.length === 0) return null;
  const when = now - RENDER_DELAY_MS;
  let i = frames.length - 1;
  while (i > 0 && frames[i]!.at > when) i--;
  const a = frames[i]!;
  const b = frames[i + 1];
  if (!b) {
    const ahead = Math.max(0, Math.min((when - a.at) / 1000, 0.25)) / TICK_S;
    return {
      ticks: a.frame.frame + ahead,
      scene: {
        ...a.frame,
        fish: a.frame.fish.map((f) => ({ ...f, x: f.x + f.vx * ahead, y: f.y + f.vy * ahead })),
      },
    };
  }
  const t = Math.max(0, Math.min(1, (when - a.at) / (b.at - a.at)));
  const next = new Map(b.frame.fish.map((f) => [f.id, f]));
  return {
    ticks: a.frame.frame + (b.frame.frame - a.frame.frame) * t,
    scene: {
      ...b.frame,
      fish: a.frame.fish.filter((f) => next.has(f.id)).map((f) => lerpFish(f, next.get(f.id), t)),
    },
  };
}

function render(now: number): void {
  const at = sceneAt(now);
  if (at) {
    lastDrawn = at.scene.fish;
    drawScene(g, { ...at.scene, selected, time: at.ticks * TICK_S * 1000 });
    tubes.draw(g, at.scene.fish, now);
  }
  requestAnimationFrame(render);
}

function showStats(frame: TankFrame): void {
  const rows: Array<[string, string]> = [
    ['frame', String(frame.frame)],
    ['fish', String(frame.fish.length)],
    ['food', String(frame.food.length)],
    ['plants', String(frame.plants.length)],
    ['time of day', frame.dayPhase > 0.25 && frame.dayPhase < 0.75 ? 'day' : 'night'],
  ];
  noteFish(frame.fish.length);
  $('stats').replaceChildren(...rows.flatMap(([k, v]) => [el('dt', k), el('dd', v)]));
}

/** A gene as a bar across its range (the sim's own `GENOME_RANGES`), its value beside it. */
function geneRow(key: string, value: number): HTMLElement[] {
  const range = (GENOME_RANGES as Record<string, { min: number; max: number; description: string }>)[key];
  const share = range ? (value - range.min) / (range.max - range.min) : 0.5;
  const bar = el('span', undefined, 'gene-bar');
  const fill = el('span');
  fill.style.width = `${Math.round(Math.max(0, Math.min(1, share)) * 100)}%`;
  if (key === 'hue') fill.style.background = `hsl(${Math.round(value * 360)}, 75%, 55%)`;
  bar.append(fill);
  const cell = el('dd', undefined, 'gene');
  cell.append(bar, el('span', Number.isInteger(value) ? String(value) : value.toFixed(2)));
  const name = el('dt', key);
  if (range) name.title = range.description;
  return [name, cell];
}

async function showFish(id: number): Promise<void> {
  const fish = await api<Record<string, unknown>>(`/api/tanks/${tankId}/entities/${id}`).catch(() => null);
  $('hint').hidden = fish !== null;
  if (!fish) return;
  const facts: Array<[string, string]> = [
    ['id', String(fish.id)],
    ['uid', String(fish.uid)],
    ['energy', String(Math.round(Number(fish.energy)))],
    ['generation', String(fish.generation)],
    ['age', String(fish.age)],
    ...lineageFacts(fish),
  ];
  $('fish').replaceChildren(...facts.flatMap(([k, v]) => [el('dt', k), el('dd', v)]));
  void showRelatives($('relatives'), String(fish.lineageId ?? fish.uid), tankId);
  const genome = (fish.genome ?? {}) as Record<string, number>;
  $('genome').replaceChildren(...Object.entries(genome).flatMap(([k, v]) => geneRow(k, Number(v))));
}

function setPaused(paused: boolean): void {
  $('pause').hidden = paused;
  $('resume').hidden = !paused;
}

async function command(path: string, body?: unknown): Promise<void> {
  $('error').textContent = '';
  try {
    const reply = await api<{ status?: string; paused?: boolean }>(`/api/tanks/${tankId}/${path}`, {
      method: 'POST',
      body,
    });
    if (path === 'pause' || path === 'resume') setPaused(path === 'pause');
    return void reply;
  } catch (err) {
    $('error').textContent = err instanceof ApiFailure ? `${err.status}: ${err.message}` : String(err);
  }
}

function connect(attempt = 0): void {
  setConnection(attempt === 0 ? 'connecting' : `reconnecting (${attempt})`, 'warn');
  api<{ tank: { name: string }; server: { server_id: string }; websocket_url: string }>(
    `/gateway/tanks/${encodeURIComponent(tankId)}`,
  )
    .then(({ tank, server, websocket_url }) => {
      $('tank-name').textContent = tank.name;
      document.title = `${tank.name} — Tank World Net`;
      return watch({ websocketUrl: websocket_url, serverId: server.server_id, attempt });
    })
    .catch((err) => {
      // No session (or it expired): the dashboard asks for a token.
      if (err instanceof ApiFailure && err.status === 401) {
        location.href = '/';
        return;
      }
      $('error').textContent = err instanceof ApiFailure ? `${err.status}: ${err.message}` : String(err);
      if (!(err instanceof ApiFailure) || err.status >= 500) retry(attempt + 1);
      else setConnection('unavailable', 'down');
    });
}

/** What the server says before it closes with 4307: the tank moved, live, to `websocket_url`. */
interface MovedMessage {
  type: 'moved';
  websocket_url: string;
  server_id: string;
  frame: number;
}

/**
 * Opens the tank's WebSocket. A `moved` message (a live move, a drain) is followed at once to
 * the URL it names, without a lookup or a reload; the first frame there is a keyframe, and the
 * frame counter goes on. Any other close looks the tank up again (`retry`).
 */
async function watch({
  websocketUrl,
  serverId,
  attempt,
  movedFrom,
}: {
  websocketUrl: string;
  serverId: string;
  attempt: number;
  movedFrom?: string;
}): Promise<void> {
  // The server takes a token only in the URL: a fresh one of a minute where the gateway can
  // mint (see GET /api/session/ws-token), so the long-lived token never sits in a URL.
  const token = await webSocketToken();
  const moved = movedFrom ? ` (moved from ${movedFrom})` : '';
  $('where').textContent = `on ${serverId} · ${new URL(websocketUrl).host}${moved}`;
  // A guest has no token for the server: public tanks come through the gateway's relay.
  const ws = new WebSocket(
    token === undefined ? relayUrl(tankId) : `${websocketUrl}?token=${encodeURIComponent(token)}`,
  );
  ws.binaryType = 'arraybuffer';
  const decoder = createFrameDecoder();
  let movedTo: MovedMessage | undefined;
  let live = false;
  ws.onmessage = (message) => {
    if (typeof message.data === 'string') {
      const text = JSON.parse(message.data) as {
        type: string;
        level?: string;
        status?: string;
        tubes?: TubeEnd[];
      };
      if (tubes.onMessage(text)) return;
      // hello lists the tank's tubes; a later state message lists them again when they change.
      if (Array.isArray(text.tubes) || text.type === 'hello') tubes.setTubes(text.tubes ?? []);
      if (text.type === 'hello') {
        attempt = 0;
        live = true;
        setConnection('live', 'live');
        $('controls').hidden = text.level !== 'write' && text.level !== 'admin';
        setPaused(text.status === 'paused');
      } else if (text.type === 'moved') {
        movedTo = text as MovedMessage;
      }
      return;
    }
    const frame = decoder.decode(new Uint8Array(message.data as ArrayBuffer));
    if (!frame) return;
    frames.push({ at: performance.now(), frame });
    if (frames.length > 8) frames = frames.slice(-8);
    tubes.noteFrame(frame.fish);
    showStats(frame);
  };
  ws.onclose = (event) => {
    if (event.code === 4401 || event.code === 4403 || event.code === 4404) {
      setConnection(`closed: ${event.reason || event.code}`, 'down');
      return;
    }
    if (event.code === MOVED_CLOSE && movedTo && live) {
      setConnection('following the move', 'warn');
      const next = {
        websocketUrl: movedTo.websocket_url,
        serverId: movedTo.server_id,
        attempt: 0,
        movedFrom: serverId,
      };
      watch(next).catch(() => retry(1));
      return;
    }
    retry(attempt + 1);
  };
}

/**
 * Backoff: 0.5 s doubling to 5 s, with jitter so viewers of a restarted server do not all come
 * back at once. The cap is short because a failed-over tank is back within seconds.
 */
function retry(attempt: number): void {
  setConnection(`reconnecting (${attempt})`, 'warn');
  const delay = Math.min(5000, 500 * 2 ** Math.min(attempt - 1, 4)) * (0.75 + Math.random() * 0.5);
  setTimeout(() => connect(attempt), delay);
}

canvas.addEventListener('click', (event) => {
  const box = canvas.getBoundingClientRect();
  const x = ((event.clientX - box.left) / box.width) * canvas.width;
  const y = ((event.clientY - box.top) / box.height) * canvas.height;
  let best: FishState | undefined;
  for (const f of lastDrawn)
    if (!best || Math.hypot(f.x - x, f.y - y) < Math.hypot(best.x - x, best.y - y)) best = f;
  if (best && Math.hypot(best.x - x, best.y - y) < 40) {
    selected = best.id;
    void showFish(best.id);
  }
});
$('pause').addEventListener('click', () => void command('pause'));
$('resume').addEventListener('click', () => void command('resume'));
$('spawn-fish').addEventListener('click', () => void command('fish', {}));
$('spawn-food').addEventListener('click', () => void command('food', { count: 5 }));
connect();
requestAnimationFrame(render);
