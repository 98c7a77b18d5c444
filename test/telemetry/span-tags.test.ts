/**
 * @module
 * What each exported span carries into a real Zipkin (started from the cached jar, as the mesh
 * starts it): the service name and instance id the traces are read by, and not the host, OS and
 * process tags of OpenTelemetry's other resource detectors, which the Zipkin exporter copies into
 * every span (~570 of its ~970 bytes; `npm run bench tracing` measures the cost).
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { startZipkin, type ZipkinHandle } from '../../src/mesh/index.ts';
import { startTracing, trace } from '../../src/telemetry/index.ts';
import { binaries, useCleanup, waitFor } from '../support/index.ts';

const cleanup = useCleanup();

interface ZipkinSpan {
  name: string;
  localEndpoint?: { serviceName?: string };
  tags?: Record<string, string>;
}

describe('exported span tags', () => {
  let zipkin: ZipkinHandle;
  // Zipkin's JVM starts in ~6 s on a quiet machine, up to a minute on a busy one.
  beforeAll(async () => {
    zipkin = await startZipkin({ jar: binaries().zipkinJar, startTimeout: 150_000 });
    cleanup.add(() => zipkin.stop());
  });

  it('should send the service and its instance id with each span, and no host, OS or process tags', async () => {
    const tracing = await startTracing({
      serviceName: 'span-tags-test',
      zipkinEndpoint: zipkin.spansUrl,
      instanceId: 'server-7',
    });
    trace.getTracer('span-tags-test').startActiveSpan('GET /gateway/tanks/:id', (span) => {
      span.setAttribute('http.response.status_code', 200);
      span.end();
    });
    await tracing.shutdown(); // flushes the batch

    const [span] = await waitFor(
      async () => {
        const res = await fetch(`${zipkin.url}/api/v2/traces?serviceName=span-tags-test&limit=10`);
        const traces = (await res.json()) as ZipkinSpan[][];
        return traces.flat().length > 0 ? traces.flat() : undefined;
      },
      { what: 'the span in Zipkin', timeout: 30_000, interval: 200 },
    );
    expect(span!.name).toBe('get /gateway/tanks/:id');
    expect(span!.localEndpoint?.serviceName).toBe('span-tags-test');
    expect(span!.tags?.['service.instance.id']).toBe('server-7');
    expect(span!.tags?.['http.response.status_code']).toBe('200');
    expect(Object.keys(span!.tags ?? {}).filter((k) => /^(host|os|process)\./.test(k))).toEqual([]);
  });
});
