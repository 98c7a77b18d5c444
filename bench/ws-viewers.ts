/**
 * @module
 * The viewer load generator for `bench/ws.ts`, run in its own process (and core): opens N
 * WebSockets spread over the given tanks, counts frames and bytes per second, and reports to
 * its parent over IPC. Not a benchmark on its own.
 */
import WebSocket from 'ws';

interface Start {
  urls: string[];
  viewers: number;
  seconds: number;
}

process.once('message', async ({ urls, viewers, seconds }: Start) => {
  const sockets: WebSocket[] = [];
  let frames = 0;
  let bytes = 0;
  let closed = 0;
  let opened = 0;
  await new Promise<void>((resolve) => {
    for (let i = 0; i < viewers; i++) {
      const ws = new WebSocket(urls[i % urls.length]!, { perMessageDeflate: false });
      ws.on('open', () => {
        if (++opened === viewers) resolve();
      });
      ws.on('message', (data: Buffer, isBinary) => {
        if (!isBinary) return;
        frames++;
        bytes += data.length;
      });
      ws.on('error', () => {});
      ws.on('close', () => {
        closed++;
      });
      sockets.push(ws);
    }
  });
  // Let every viewer get its first keyframe before measuring.
  await new Promise((resolve) => setTimeout(resolve, 1000));
  frames = 0;
  bytes = 0;
  const started = performance.now();
  await new Promise((resolve) => setTimeout(resolve, seconds * 1000));
  const wall = (performance.now() - started) / 1000;
  process.send?.({ frames, bytes, wall, closed });
  for (const ws of sockets) ws.terminate();
  process.exit(0);
});
