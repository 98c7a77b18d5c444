/**
 * @module
 * The viewer's population panel: the tank's statistics from its server (through the gateway's
 * `/api/tanks/:id/stats`), read every few seconds because the live frames carry positions, not
 * history, and a small chart of the fish count over the last minutes.
 */
import { api, el } from './api.ts';
import { sparkline } from './chart.ts';

const POLL_MS = 3000;
const HISTORY = 60;

interface TankStatsView {
  max_generation: number;
  births: Record<string, number>;
  deaths: Record<string, number>;
  transfers_in: number;
  transfers_out: number;
  poker: { hands: number; energy_moved: number };
  fish_energy: number;
  plant_energy: number;
}

const sum = (counts: Record<string, number>) => Object.values(counts).reduce((a, b) => a + b, 0);

/**
 * Polls the tank's stats into `panel` and charts the fish counts it is told of into `chart`.
 * Returns `noteFish`, which the viewer calls with each frame's fish count.
 *
 * @example
 * ```ts
 * const noteFish = followTankStats({ tankId, panel: $('population'), chart: $('fish-chart') });
 * noteFish(frame.fish.length);
 * ```
 */
export function followTankStats({
  tankId,
  panel,
  chart,
}: {
  tankId: string;
  panel: HTMLElement;
  chart: HTMLElement;
}): (fishCount: number) => void {
  const counts: number[] = [];

  async function poll(): Promise<void> {
    try {
      const s = await api<TankStatsView>(`/api/tanks/${encodeURIComponent(tankId)}/stats`);
      const rows: Array<[string, string]> = [
        ['max generation', String(s.max_generation)],
        ['births', String(sum(s.births))],
        ['deaths', String(sum(s.deaths))],
        ['transfers in / out', `${s.transfers_in} / ${s.transfers_out}`],
        ['poker hands', String(s.poker.hands)],
        ['fish energy', String(Math.round(s.fish_energy))],
        ['plant energy', String(Math.round(s.plant_energy))],
      ];
      panel.replaceChildren(...rows.flatMap(([k, v]) => [el('dt', k), el('dd', v)]));
    } catch {
      // The tank is moving or its server is gone; the connection badge already says so.
    }
  }

  void poll();
  setInterval(() => {
    if (!document.hidden) void poll();
  }, POLL_MS);

  // One sample a second of the latest count, frames or not, so a pause reads as a flat line.
  let latest: number | null = null;
  setInterval(() => {
    if (latest === null) return;
    counts.push(latest);
    if (counts.length > HISTORY) counts.shift();
    chart.replaceChildren(
      sparkline({ values: counts, capacity: HISTORY, floor: 10, width: 480, height: 40, kind: 'fish' }),
    );
  }, 1000);

  return function noteFish(fishCount: number): void {
    latest = fishCount;
  };
}
