/**
 * @module
 * Where the dashboard's network graph puts things, as pure arithmetic: one column per server
 * (in id order), its tanks in a grid inside it, and each tube as a curve between its two tanks,
 * marked local when both tanks run on the same server. No DOM here, so tests can check it.
 */

export interface GraphTank {
  tank_id: string;
  name: string;
  server_id: string | null;
}

export interface GraphTube {
  connection_id: string;
  source_tank_id: string;
  dest_tank_id: string;
  direction: 'one_way' | 'both';
}

export interface GraphLayout {
  width: number;
  height: number;
  groups: Array<{ server_id: string; x: number; y: number; width: number; height: number }>;
  nodes: Map<string, { x: number; y: number; server_id: string; name: string }>;
  edges: Array<GraphTube & { path: string; local: boolean }>;
}

export interface LayoutOptions {
  width: number;
  /** Room per tank inside a server's column. */
  cell?: number;
  /** Room above a column's tanks for the server's name. */
  header?: number;
  gap?: number;
}

/** Tanks whose server is unknown (down, being moved) sit in a column of their own. */
export const UNPLACED = '(no server)';

/**
 * @example
 * ```ts
 * const layout = layoutNetwork(['server-1', 'server-2'], tanks, tubes, { width: 900 });
 * layout.nodes.get(tankId); // { x, y, server_id, name }
 * ```
 */
export function layoutNetwork(
  serverIds: readonly string[],
  tanks: readonly GraphTank[],
  tubes: readonly GraphTube[],
  { width, cell = 56, header = 28, gap = 16 }: LayoutOptions,
): GraphLayout {
  const byServer = new Map<string, GraphTank[]>([...serverIds].sort().map((id) => [id, []]));
  for (const t of tanks) {
    const key = t.server_id ?? UNPLACED;
    if (!byServer.has(key)) byServer.set(key, []);
    byServer.get(key)!.push(t);
  }
  const columns = [...byServer.entries()];
  const columnWidth = columns.length === 0 ? width : (width - gap * (columns.length + 1)) / columns.length;
  const perRow = Math.max(1, Math.floor(columnWidth / cell));
  const rows = Math.max(1, ...columns.map(([, list]) => Math.ceil(list.length / perRow)));
  const groupHeight = header + rows * cell;
  const layout: GraphLayout = {
    width,
    height: groupHeight + 2 * gap,
    groups: [],
    nodes: new Map(),
    edges: [],
  };
  columns.forEach(([serverId, list], c) => {
    const x = gap + c * (columnWidth + gap);
    layout.groups.push({ server_id: serverId, x, y: gap, width: columnWidth, height: groupHeight });
    // Centred in the column so a server with few tanks does not crowd its left edge.
    const used = Math.min(perRow, list.length) * cell;
    const left = x + (columnWidth - used) / 2;
    [...list]
      .sort((a, b) => a.name.localeCompare(b.name) || a.tank_id.localeCompare(b.tank_id))
      .forEach((t, i) => {
        layout.nodes.set(t.tank_id, {
          x: left + (i % perRow) * cell + cell / 2,
          y: gap + header + Math.floor(i / perRow) * cell + cell / 2,
          server_id: serverId,
          name: t.name,
        });
      });
  });
  for (const tube of tubes) {
    const a = layout.nodes.get(tube.source_tank_id);
    const b = layout.nodes.get(tube.dest_tank_id);
    if (!a || !b) continue;
    layout.edges.push({
      connection_id: tube.connection_id,
      source_tank_id: tube.source_tank_id,
      dest_tank_id: tube.dest_tank_id,
      path: curve(a, b),
      local: a.server_id === b.server_id && a.server_id !== UNPLACED,
      direction: tube.direction,
    });
  }
  return layout;
}

/** A gentle arc from `a` to `b`, bowed to one side so it passes beside the tanks between them. */
function curve(a: { x: number; y: number }, b: { x: number; y: number }): string {
  const mx = (a.x + b.x) / 2;
  const my = (a.y + b.y) / 2;
  const dx = b.x - a.x;
  const dy = b.y - a.y;
  // A fifth of the length, at most 36 px: long tubes across servers stay near their tanks.
  const bow = Math.min(0.2, 36 / Math.max(1, Math.hypot(dx, dy)));
  const cx = mx - dy * bow;
  const cy = my + dx * bow;
  const r = (n: number) => Math.round(n * 10) / 10;
  return `M ${r(a.x)} ${r(a.y)} Q ${r(cx)} ${r(cy)} ${r(b.x)} ${r(b.y)}`;
}
