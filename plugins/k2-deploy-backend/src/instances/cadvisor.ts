/** One container's cAdvisor figures from a scrape. */
export interface ContainerSample {
  container: string;
  /** `container_cpu_usage_seconds_total`, a counter. */
  cpuSeconds?: number;
  /** `container_memory_usage_bytes`. */
  memoryUsage?: number;
  /** `container_memory_cache`: page cache, reclaimable. */
  memoryCache?: number;
}

const WANTED = new Set([
  'container_cpu_usage_seconds_total',
  'container_memory_usage_bytes',
  'container_memory_cache',
]);

/** `{a="x",b="y\"z"}` → `{ a: 'x', b: 'y"z' }`. */
function parseLabels(text: string): Record<string, string> {
  const labels: Record<string, string> = {};
  const pattern = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g;
  for (const m of text.matchAll(pattern)) {
    labels[m[1]] = m[2].replace(/\\(.)/g, (_, c) => (c === 'n' ? '\n' : c));
  }
  return labels;
}

/**
 * The containers of one pod in a kubelet's cAdvisor scrape (Prometheus text format).
 * Pod-level series (no `container` label, or the pause container `POD`) are skipped.
 */
export function podSamples(
  text: string,
  namespace: string,
  pod: string,
): ContainerSample[] {
  const byContainer = new Map<string, ContainerSample>();
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const brace = line.indexOf('{');
    if (brace < 0) continue;
    const name = line.slice(0, brace);
    if (!WANTED.has(name)) continue;
    const close = line.lastIndexOf('}');
    const labels = parseLabels(line.slice(brace + 1, close));
    if (labels.namespace !== namespace || labels.pod !== pod) continue;
    const container = labels.container;
    if (!container || container === 'POD') continue;
    const value = Number(
      line
        .slice(close + 1)
        .trim()
        .split(/\s+/)[0],
    );
    if (!Number.isFinite(value)) continue;
    const sample = byContainer.get(container) ?? { container };
    if (name === 'container_cpu_usage_seconds_total') sample.cpuSeconds = value;
    else if (name === 'container_memory_usage_bytes')
      sample.memoryUsage = value;
    else sample.memoryCache = value;
    byContainer.set(container, sample);
  }
  return [...byContainer.values()];
}
