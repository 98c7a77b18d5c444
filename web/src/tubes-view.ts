/**
 * @module
 * The viewer's tubes: the mouths the server lists in `hello.tubes`, and the fish that go through
 * them (`fish_left`, `fish_arrived` on the tank's WebSocket). Each migration becomes a line in the
 * page's "Migrations" list with a link to the other tank, a pulse on its mouth, and on the canvas
 * a ghost of the leaving fish sliding into the mouth or a ring around the fish that came in.
 * Frames carry entity ids, not uids: an arriving fish is looked up by its uid (the entity route
 * takes one) for its id, exactly; a leaving one is gone by then, so its ghost is the fish nearest
 * the mouth in the last frames (a picture, nothing more).
 */
import type { FishState } from '../../src/tank/wire/index.ts';
import { api, el } from './api.ts';
import { drawTubes, GHOST_MS, RING_MS, type TubeMarks } from './tube-draw.ts';
import { mouthSegment, nearestFish, type TubeEnd } from './tube-geometry.ts';

/** What the server sends viewers when a fish goes through one of the tank's tubes. */
export type TubeMessage =
  | { type: 'fish_left'; uid: string; connection_id: string; to_tank_id: string }
  | { type: 'fish_arrived'; uid: string; connection_id: string; from_tank_id: string };

/** How far from a mouth (canvas pixels) a fish may be and still be the one that went through. */
const NEAR_MOUTH = 160;
const MIGRATIONS_SHOWN = 20;
/** Arrivals looked up at once (a busy tube may bring several a second). */
const MAX_LOOKUPS = 4;

export interface TubesView {
  /** The tubes from the latest `hello` (a reconnect or a move may change them). */
  setTubes(tubes: readonly TubeEnd[]): void;
  /** Handles `fish_left` / `fish_arrived`; false for any other message. */
  onMessage(message: { type: string }): boolean;
  /** Each decoded frame's fish, to match migrations to fish. */
  noteFrame(fish: readonly FishState[]): void;
  /** Draws the mouths and effects over the scene just drawn. */
  draw(g: CanvasRenderingContext2D, fish: readonly FishState[], now: number): void;
}

export interface TubesViewOptions {
  tankId: string;
  /** The list of tubes (links to the tanks they lead to). */
  tubeList: HTMLElement;
  /** Shown while the tank has no tubes. */
  emptyNote?: HTMLElement;
  /** The list of migrations, newest first. */
  migrationList: HTMLElement;
  /** The tank's canvas size in tank coordinates. */
  width: number;
  height: number;
  now?: () => number;
}

const tankLink = (tankId: string, text: string) => {
  const a = el('a', text);
  a.href = `/tank.html?id=${encodeURIComponent(tankId)}`;
  a.dataset.tank = tankId;
  return a;
};

/**
 * @example
 * ```ts
 * const tubes = createTubesView({ tubeList: $('tubes'), migrationList: $('migrations'), width: 1088, height: 612 });
 * ws.onmessage = (m) => { const msg = JSON.parse(m.data); if (msg.type === 'hello') tubes.setTubes(msg.tubes ?? []); else tubes.onMessage(msg); };
 * ```
 */
export function createTubesView({
  tankId,
  tubeList,
  emptyNote,
  migrationList,
  width,
  height,
  now = () => performance.now(),
}: TubesViewOptions): TubesView {
  let tubes: TubeMarks['tubes'] = [];
  const ghosts: TubeMarks['ghosts'] = [];
  const rings = new Map<number, number>();
  /** The last two frames' fish: a leaver may already be gone from the newest. */
  let recent: Array<readonly FishState[]> = [];
  /** Arrivals being looked up; beyond a few at once the rest go without a ring. */
  let lookups = 0;
  const names = new Map<string, string>();
  const outgoing = new Map<string, boolean>();

  /** The other tank's name, once the gateway says (a private tank may stay an id). */
  function nameOf(tankId: string): string {
    if (!names.has(tankId)) {
      names.set(tankId, `tank ${tankId.slice(0, 8)}`);
      api<{ tank: { name: string } }>(`/gateway/tanks/${encodeURIComponent(tankId)}`)
        .then(({ tank }) => {
          names.set(tankId, tank.name);
          for (const a of document.querySelectorAll<HTMLAnchorElement>(`a[data-tank="${tankId}"]`))
            a.textContent = tank.name;
          for (const mark of tubes) if (mark.tube.other_tank_id === tankId) mark.label = tank.name;
        })
        .catch(() => undefined);
    }
    return names.get(tankId)!;
  }

  /**
   * Which way each one-way tube runs here: the tank's connections say which end is the source
   * (`hello.tubes` lists both ends alike). Until they answer, a one-way tube shows no arrow.
   */
  function readDirections(tankId: string): void {
    api<{ connections: Array<{ connection_id: string; source_tank_id: string }> }>(
      `/api/tanks/${encodeURIComponent(tankId)}/connections`,
    )
      .then(({ connections }) => {
        for (const c of connections) outgoing.set(c.connection_id, c.source_tank_id === tankId);
        listTubes();
      })
      .catch(() => undefined);
  }

  /** The arrow for a tube: both ways, out of this tank, into it, or not known yet. */
  function arrowOf(tube: TubeEnd): string {
    if (tube.direction === 'both') return '⇄';
    const out = outgoing.get(tube.connection_id);
    return out === undefined ? '–' : out ? '→' : '←';
  }

  function listTubes(): void {
    for (const mark of tubes) mark.arrow = arrowOf(mark.tube);
    tubeList.replaceChildren(
      ...tubes.map(({ tube }) => {
        const item = el('li');
        item.dataset.connection = tube.connection_id;
        item.append(
          el('span', `${tube.mouth} ${arrowOf(tube)} `),
          tankLink(tube.other_tank_id, nameOf(tube.other_tank_id)),
        );
        return item;
      }),
    );
    tubeList.hidden = tubes.length === 0;
    if (emptyNote) emptyNote.hidden = tubes.length > 0;
  }

  function record(message: TubeMessage, at: number): void {
    const left = message.type === 'fish_left';
    const other = left ? message.to_tank_id : message.from_tank_id;
    const item = el('li');
    item.dataset.kind = left ? 'left' : 'arrived';
    item.dataset.uid = message.uid;
    item.dataset.connection = message.connection_id;
    item.append(
      el('time', new Date().toLocaleTimeString([], { hour12: false })),
      el('span', `fish ${message.uid.slice(0, 8)} ${left ? 'left for' : 'arrived from'} `),
      tankLink(other, nameOf(other)),
    );
    migrationList.prepend(item);
    while (migrationList.children.length > MIGRATIONS_SHOWN) migrationList.lastElementChild?.remove();
    const mark = tubes.find((t) => t.tube.connection_id === message.connection_id);
    if (!mark) return;
    mark.pulse = { kind: left ? 'left' : 'arrived', at };
    if (left) {
      const seen = new Map<number, FishState>();
      for (const frame of recent) for (const f of frame) seen.set(f.id, f);
      const fish = nearestFish([...seen.values()], mark.segment, NEAR_MOUTH);
      if (!fish) return;
      ghosts.push({ fish, segment: mark.segment, at });
    } else {
      ringArrival(message.uid, item);
    }
  }

  /** Rings the fish that came in: its entity id from its uid (it swims near the mouth now). */
  function ringArrival(uid: string, item: HTMLElement): void {
    if (lookups >= MAX_LOOKUPS) return;
    lookups++;
    api<{ id: number }>(`/api/tanks/${encodeURIComponent(tankId)}/entities/${encodeURIComponent(uid)}`)
      .then(({ id }) => {
        rings.set(id, now());
        // The fish drawn with the ring, for whoever reads the page (the browser test does).
        item.dataset.entity = String(id);
      })
      .catch(() => undefined) // moved on or died already: no ring
      .finally(() => lookups--);
  }

  function forgetOld(t: number): void {
    while (ghosts.length > 0 && t - ghosts[0]!.at > GHOST_MS) ghosts.shift();
    for (const [id, at] of rings) if (t - at > RING_MS) rings.delete(id);
  }

  return {
    setTubes(list) {
      tubes = list.map((tube) => ({
        tube,
        segment: mouthSegment(tube, width, height),
        label: nameOf(tube.other_tank_id),
        arrow: '–',
      }));
      listTubes();
      if (list.some((t) => t.direction === 'one_way' && !outgoing.has(t.connection_id)))
        readDirections(tankId);
    },
    onMessage(message) {
      if (message.type !== 'fish_left' && message.type !== 'fish_arrived') return false;
      record(message as TubeMessage, now());
      return true;
    },
    noteFrame(fish) {
      recent = [...recent.slice(-1), fish];
    },
    draw(g, fish, t) {
      forgetOld(t);
      if (tubes.length === 0 && ghosts.length === 0) return;
      drawTubes(g, { tubes, ghosts, rings }, fish, t);
    },
  };
}
