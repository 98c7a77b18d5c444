/**
 * @module
 * `followViewers` in a process of its own (and core), driven over IPC by a benchmark: the
 * viewers' clocks and sockets do not share an event loop with the servers they measure.
 * Messages in: `{cmd:'open', options}`, `{cmd:'reset'}`, `{cmd:'report'}`, `{cmd:'close'}`;
 * out: `{type:'ready'}`, `{type:'report', report}`.
 */
import { type FollowOptions, followViewers, type ViewerFollow } from './viewer-gaps.ts';

type Command =
  | { cmd: 'open'; options: FollowOptions }
  | { cmd: 'reset' }
  | { cmd: 'report' }
  | { cmd: 'close' };

let follow: ViewerFollow | undefined;
process.on('message', async (message: Command) => {
  switch (message.cmd) {
    case 'open':
      follow = followViewers(message.options);
      await follow.ready;
      process.send?.({ type: 'ready' });
      return;
    case 'reset':
      follow?.reset();
      process.send?.({ type: 'reset' });
      return;
    case 'report':
      process.send?.({ type: 'report', report: follow?.report() });
      return;
    case 'close':
      follow?.close();
      process.exit(0);
  }
});
