/**
 * @module
 * Prometheus HTTP service discovery (`http_sd_configs`): `GET /internal/prometheus/targets`
 * lists every `/metrics` endpoint discovery knows — gateways, tank servers, and each Envoy
 * sidecar with a metrics listener — one target group each, with `job` and `service_id` labels
 * (not the health: a label that changes would start a new series for the same target).
 * Debian's Prometheus is built without Consul discovery, so it asks here. Down
 * instances stay listed: Prometheus must see them as `up == 0` for the server-down alert.
 */
import { ApiError, createRoute, type OpenAPIHono, problemResponses, z } from '../http/index.ts';
import type { GatewayContext, GatewayEnv } from './context.ts';

/** The path Prometheus's `http_sd_configs` points at. */
export const PROMETHEUS_TARGETS_PATH = '/internal/prometheus/targets';

const TargetGroupSchema = z.object({
  targets: z.array(z.string()),
  labels: z.object({ job: z.string(), service_id: z.string() }),
});

const targetsRoute = createRoute({
  method: 'get',
  path: PROMETHEUS_TARGETS_PATH,
  tags: ['meta'],
  summary: 'Prometheus HTTP service discovery: every metrics endpoint discovery knows',
  responses: {
    200: {
      description: 'target groups, as `http_sd_configs` reads them',
      content: { 'application/json': { schema: z.array(TargetGroupSchema) } },
    },
    ...problemResponses(503),
  },
});

/**
 * @example
 * ```ts
 * registerPrometheusRoutes(app, ctx);
 * // prometheus.yml: http_sd_configs: [{ url: 'http://gateway:8080/internal/prometheus/targets' }]
 * ```
 */
export function registerPrometheusRoutes(app: OpenAPIHono<GatewayEnv>, ctx: GatewayContext): void {
  app.openapi(targetsRoute, async (c) => {
    let targets: Awaited<ReturnType<typeof ctx.discovery.scrapeTargets>>;
    try {
      targets = await ctx.discovery.scrapeTargets();
    } catch (err) {
      // Prometheus keeps the last list it got when a refresh fails: better than an empty one.
      throw new ApiError('discovery_unavailable', 'discovery cannot be reached to list the metrics targets', {
        cause: err,
      });
    }
    return c.json(
      targets.map((t) => ({
        targets: [t.address],
        labels: { job: t.job, service_id: t.serviceId },
      })),
      200,
    );
  });
}
