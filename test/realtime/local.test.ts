import { describe } from 'vitest';
import { createRealtime } from '../../src/realtime/index.ts';
import { realtimeContract } from './realtime.case.ts';

describe('in-process realtime', () => {
  realtimeContract(async ({ onError }) => {
    let now = Date.parse('2026-11-25T06:00:00.000Z');
    const realtime = await createRealtime({ clock: () => now, onError });
    return {
      realtime,
      async elapse(ms) {
        now += ms;
      },
    };
  });
});
