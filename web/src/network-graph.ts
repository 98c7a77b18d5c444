/**
 * @module
 * The dashboard's network graph: tanks grouped by server, tubes as edges (solid when both tanks
 * share a server, dashed across servers), and each `migration` event from `/api/events` as a dot
 * that runs along its tube (green local, amber across servers) with a running count of how many
 * migrations stayed on one server. Plain SVG, like the sparklines; the layout is
 * `network-layout.ts`.
 */
import { ApiFailure, api } from './api.ts';
import { type GraphTank, type GraphTube, layoutNetwork } from './network-layout.ts';

const SVG = 'http://www.w3.org/2000/svg';
/** How long a migration's dot takes along its tube. */
const FLIGHT_MS = 900;

/** The SSE `migration` event (issue 22 contract). */
export interface MigrationEvent {
  type: 'migration';
  connection_id: string;
  fish_uid: string;
  lineage_id?: string;
  from_tank_id: string;
  to_tank_id: string;
  from_server_id: string;
  to_server_id: string;
  local: boolean;
  at: string;
}

export interface NetworkGraph {
  /** Redraws servers, tanks and tubes when they changed; dots in flight keep going. */
  update(serverIds: readonly string[], tanks: readonly GraphTank[], tubes: readonly GraphTube[]): void;
  /** Runs one migration's dot along its tube and counts it. */
  migrate(event: MigrationEvent): void;
}

/** The network's tubes the user may see; none when the gateway lists none (or predates tubes). */
export async function readTubes(): Promise<GraphTube[]> {
  try {
    return (await api<{ connections: GraphTube[] }>('/api/connections?limit=500')).connections;
  } catch (err) {
    if (err instanceof ApiFailure && err.status === 401) throw err;
    return [];
  }
}

function node<K extends keyof SVGElementTagNameMap>(tag: K, attrs: Record<string, string | number>) {
  const element = document.createElementNS(SVG, tag);
  for (const [key, value] of Object.entries(attrs)) element.setAttribute(key, String(value));
  return element;
}

/**
 * @example
 * ```ts
 * const graph = createNetworkGraph({ svg: $('network'), summary: $('network-summary'), width: 960 });
 * graph.update(servers.map((s) => s.server_id), tanks, connections);
 * source.addEventListener('migration', (m) => graph.migrate(JSON.parse(m.data)));
 * ```
 */
export function createNetworkGraph({
  svg,
  summary,
  width,
}: {
  svg: SVGSVGElement;
  summary: HTMLElement;
  width: number;
}): NetworkGraph {
  const drawn = node('g', { class: 'drawn' });
  const flights = node('g', { class: 'flights' });
  svg.append(drawn, flights);
  let key = '';
  let edges = new Map<string, { path: string; source: string }>();
  const seen = { all: 0, local: 0 };

  function showSummary(): void {
    summary.dataset.migrations = String(seen.all);
    summary.dataset.local = String(seen.local);
    summary.textContent =
      seen.all === 0
        ? 'no migrations seen yet'
        : `${seen.all} migrations seen, ${Math.round((100 * seen.local) / seen.all)} % stayed on one server`;
  }

  function update(
    serverIds: readonly string[],
    tanks: readonly GraphTank[],
    tubes: readonly GraphTube[],
  ): void {
    const next = JSON.stringify([serverIds, tanks, tubes]);
    if (next === key) return;
    key = next;
    const layout = layoutNetwork(serverIds, tanks, tubes, { width });
    svg.setAttribute('viewBox', `0 0 ${layout.width} ${layout.height}`);
    svg.setAttribute('height', String(layout.height));
    const parts: SVGElement[] = [];
    for (const g of layout.groups) {
      parts.push(
        node('rect', {
          class: 'server',
          x: g.x,
          y: g.y,
          width: g.width,
          height: g.height,
          rx: 8,
          'data-server': g.server_id,
        }),
      );
      const label = node('text', { class: 'server-name', x: g.x + 10, y: g.y + 18 });
      label.textContent = g.server_id;
      parts.push(label);
    }
    for (const e of layout.edges)
      parts.push(
        node('path', {
          class: `tube ${e.local ? 'local' : 'remote'}`,
          d: e.path,
          'data-connection': e.connection_id,
          'data-local': String(e.local),
        }),
      );
    for (const [tankId, n] of layout.nodes) {
      const link = node('a', { href: `/tank.html?id=${encodeURIComponent(tankId)}` });
      const circle = node('circle', { class: 'tank', cx: n.x, cy: n.y, r: 12, 'data-tank': tankId });
      const title = node('title', {});
      title.textContent = `${n.name} on ${n.server_id}`;
      const label = node('text', { class: 'tank-name', x: n.x, y: n.y + 24 });
      label.textContent = n.name.length > 10 ? `${n.name.slice(0, 9)}…` : n.name;
      circle.append(title);
      link.append(circle, label);
      parts.push(link);
    }
    drawn.replaceChildren(...parts);
    edges = new Map(layout.edges.map((e) => [e.connection_id, { path: e.path, source: e.source_tank_id }]));
  }

  function migrate(event: MigrationEvent): void {
    seen.all++;
    if (event.local) seen.local++;
    showSummary();
    const edge = edges.get(event.connection_id);
    if (!edge) return;
    const { path } = edge;
    // The path runs source → destination; a fish going back through a two-way tube runs it backward.
    const forward = edge.source === event.from_tank_id;
    const dot = node('circle', {
      class: `flight ${event.local ? 'local' : 'remote'}`,
      r: 5,
      'data-uid': event.fish_uid,
    });
    const motion = node('animateMotion', {
      dur: `${FLIGHT_MS}ms`,
      path,
      fill: 'freeze',
      keyPoints: forward ? '0;1' : '1;0',
      keyTimes: '0;1',
      calcMode: 'linear',
    });
    dot.append(motion);
    flights.append(dot);
    (motion as SVGAnimationElement).beginElement?.();
    setTimeout(() => dot.remove(), FLIGHT_MS + 100);
    const target = drawn.querySelector(`circle[data-tank="${event.to_tank_id}"]`);
    target?.classList.add('arrived');
    setTimeout(() => target?.classList.remove('arrived'), FLIGHT_MS + 600);
  }

  showSummary();
  return { update, migrate };
}
