/**
 * @module
 * Small hand-drawn SVG charts for the dashboard: a sparkline of recent samples with a filled
 * area under it and a dot on the latest value. Plain SVG keeps the page free of chart libraries.
 */
const SVG = 'http://www.w3.org/2000/svg';

export interface SparklineOptions {
  /** Samples, oldest first; at most `capacity` are drawn, right-aligned so time flows left. */
  values: number[];
  capacity: number;
  /** The value at the top of the chart; the chart grows past it when a sample does. */
  floor?: number;
  width?: number;
  height?: number;
  /** A CSS class for colour (`cpu`, `viewers` …), styled in style.css. */
  kind: string;
}

function node<K extends keyof SVGElementTagNameMap>(tag: K, attrs: Record<string, string | number>) {
  const element = document.createElementNS(SVG, tag);
  for (const [key, value] of Object.entries(attrs)) element.setAttribute(key, String(value));
  return element;
}

/**
 * A sparkline of `values` as an `<svg>`; `data-samples` tells tests how many it holds.
 *
 * @example
 * ```ts
 * cell.append(sparkline({ values: [3, 5, 4], capacity: 40, floor: 10, kind: 'cpu' }));
 * ```
 */
export function sparkline({
  values,
  capacity,
  floor = 1,
  width = 140,
  height = 32,
  kind,
}: SparklineOptions): SVGSVGElement {
  const svg = node('svg', { class: `spark ${kind}`, viewBox: `0 0 ${width} ${height}`, width, height });
  svg.dataset.samples = String(values.length);
  const shown = values.slice(-capacity);
  if (shown.length === 0) return svg;
  const top = Math.max(floor, ...shown);
  // Few samples spread over a dozen slots at first, so a fresh page already shows a trend.
  const slots = Math.min(capacity, Math.max(12, shown.length));
  const step = width / (slots - 1);
  const x = (i: number) => width - (shown.length - 1 - i) * step;
  const y = (v: number) => height - 2 - (v / top) * (height - 4);
  const points = shown.map((v, i) => `${x(i).toFixed(1)},${y(v).toFixed(1)}`);
  svg.append(node('line', { class: 'base', x1: 0, y1: height - 1, x2: width, y2: height - 1 }));
  if (shown.length > 1) {
    const first = x(0).toFixed(1);
    const area = `M${first},${height - 1} L${points.join(' L')} L${width},${height - 1} Z`;
    svg.append(node('path', { class: 'area', d: area }));
    svg.append(node('polyline', { class: 'line', points: points.join(' ') }));
  }
  const last = shown[shown.length - 1]!;
  svg.append(node('circle', { class: 'dot', cx: x(shown.length - 1) - 2, cy: y(last), r: 2.5 }));
  return svg;
}
