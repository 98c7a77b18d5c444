/**
 * @module
 * The selected fish's family in the viewer: its lineage id (its founder's uid), its parent and,
 * from `GET /api/lineages/{id}`, where its living relatives are — each tank a link to its viewer,
 * with its server and how many live there. Only tanks the signed-in user may read are listed.
 */
import { ApiFailure, api, el } from './api.ts';

interface Lineage {
  lineage_id: string;
  founder_uid: string;
  living: number;
  tanks: Array<{ tank_id: string; server_id: string; count: number }>;
  servers: Array<{ server_id: string; count: number }>;
  unreachable: string[];
}

/** Facts for the fish panel. */
export function lineageFacts(fish: Record<string, unknown>): Array<[string, string]> {
  return [
    ['lineage', String(fish.lineageId ?? fish.uid)],
    ['parent', fish.parentUid ? String(fish.parentUid) : 'none (founder)'],
  ];
}

/**
 * Fills `list` with where the lineage lives; `here` is the viewer's own tank (marked, not linked).
 * A stale answer (the user picked another fish meanwhile) is dropped by the caller's token.
 */
export async function showRelatives(list: HTMLElement, lineageId: string, here: string): Promise<void> {
  list.replaceChildren(el('li', 'looking for relatives…', 'muted'));
  list.dataset.lineage = lineageId;
  let lineage: Lineage;
  try {
    lineage = await api<Lineage>(`/api/lineages/${encodeURIComponent(lineageId)}`);
  } catch (err) {
    const why = err instanceof ApiFailure ? `${err.status}: ${err.message}` : String(err);
    if (list.dataset.lineage === lineageId) list.replaceChildren(el('li', why, 'error'));
    return;
  }
  if (list.dataset.lineage !== lineageId) return;
  const rows = lineage.tanks.map((t) => {
    const row = el('li');
    const name = t.tank_id === here ? el('span', 'this tank') : el('a', t.tank_id.slice(0, 8));
    if (name instanceof HTMLAnchorElement) name.href = `/tank.html?id=${encodeURIComponent(t.tank_id)}`;
    row.append(name, el('span', ` — ${t.count} on ${t.server_id}`, 'muted'));
    row.dataset.tank = t.tank_id;
    return row;
  });
  const summary = `${lineage.living} living in ${lineage.tanks.length} tank(s) on ${lineage.servers.length} server(s)`;
  list.replaceChildren(el('li', summary, 'small'), ...rows);
  if (lineage.unreachable.length > 0)
    list.append(el('li', `not counted: ${lineage.unreachable.join(', ')} did not answer`, 'muted small'));
}
