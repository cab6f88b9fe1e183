/** Prometheus text 0.0.4, our own: `prom-client` needs three more packages and a global registry.
 * @module */

export type Labels = Readonly<Record<string, string>>;

/** Holds every metric of the process and renders them for a scrape. */
export type MetricsRegistry = ReturnType<typeof createMetricsRegistry>;

/** The content type of {@linkcode MetricsRegistry}'s rendered text. */
export const PROMETHEUS_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

export function createMetricsRegistry() {
  const metrics = new Map<string, { help: string; type: string; lines: () => string[] }>();

  function add(name: string, help: string, type: string, lines: () => string[]) {
    if (metrics.has(name)) throw new RangeError(`Metric ${name} exists already`);
    metrics.set(name, { help, type, lines });
  }

  return {
    counter(name: string, help: string) {
      const values = new Map<string, number>();
      add(name, help, "counter", () => [...values].map(([labels, n]) => `${name}${labels} ${n}`));
      return {
        inc(labels: Labels = {}, by = 1) {
          const key = formatLabels(labels);
          values.set(key, (values.get(key) ?? 0) + by);
        },
      };
    },
    histogram(name: string, help: string, buckets: readonly number[]) {
      const bounds = [...buckets].sort((a, b) => a - b);
      const series = new Map<string, { labels: Labels; counts: number[]; sum: number }>();
      add(name, help, "histogram", () =>
        [...series.values()].flatMap(({ labels, counts, sum }) => [
          ...bounds.map((bound, i) =>
            `${name}_bucket${formatLabels({ ...labels, le: String(bound) })} ${counts[i]}`
          ),
          `${name}_bucket${formatLabels({ ...labels, le: "+Inf" })} ${counts[bounds.length]}`,
          `${name}_sum${formatLabels(labels)} ${sum}`,
          `${name}_count${formatLabels(labels)} ${counts[bounds.length]}`,
        ]));
      return {
        observe(labels: Labels, value: number) {
          const key = formatLabels(labels);
          let entry = series.get(key);
          if (!entry) {
            series.set(key, entry = { labels, counts: bounds.map(() => 0).concat(0), sum: 0 });
          }
          // Buckets are cumulative: an observation counts in every bucket at or above it.
          bounds.forEach((bound, i) => {
            if (value <= bound) entry.counts[i]!++;
          });
          entry.counts[bounds.length]!++;
          entry.sum += value;
        },
      };
    },
    /** A gauge whose samples, labels and value, `collect` reads at each scrape. */
    gauge(name: string, help: string, collect: () => Iterable<readonly [Labels, number]>) {
      const lines = () =>
        [...collect()].map(([labels, n]) => `${name}${formatLabels(labels)} ${n}`);
      add(name, help, "gauge", lines);
    },
    render(): string {
      return [...metrics].map(([name, { help, type, lines }]) =>
        [
          `# HELP ${name} ${help.replace(/\\/g, "\\\\").replace(/\n/g, "\\n")}`,
          `# TYPE ${name} ${type}`,
          ...lines(),
        ].join("\n") + "\n"
      ).join("");
    },
  };
}

// Runs on every count (a few per call): a loop, and no replacing when nothing needs escaping.
function formatLabels(labels: Labels): string {
  let text = "";
  for (const name in labels) {
    text += `${text ? "," : "{"}${name}="${escapeValue(labels[name]!)}"`;
  }
  return text && `${text}}`;
}

function escapeValue(value: string): string {
  if (!/[\\"\n]/.test(value)) return value;
  return value.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n");
}
