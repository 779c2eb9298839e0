import { useEffect, useRef } from 'preact/hooks';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { chartData, type Sample } from './throughput.ts';

/** A colour of the stylesheet's palette (styles.css, whose contrast test/unit/console/contrast.test.ts checks). */
const css = (name: string) => getComputedStyle(document.documentElement).getPropertyValue(name).trim();

/** HH:MM:SS in UTC, like every other time the console shows. */
const clock = (seconds: number) => new Date(seconds * 1000).toISOString().slice(11, 19);

/**
 * The throughput chart (uPlot on a canvas): the API's last-hour average and the rate measured between the
 * page's samples, finished jobs per minute. The canvas carries an aria-label and a text fallback; the
 * figures are also printed next to it.
 */
export function ThroughputChart({ samples, summary, describedBy }: { samples: readonly Sample[]; summary: string; describedBy: string }) {
  const container = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);

  useEffect(() => {
    const el = container.current;
    if (!el) return;
    const width = () => Math.max(260, el.clientWidth);
    const u = new uPlot(
      {
        width: width(),
        height: 220,
        series: [
          { label: 'Time (UTC)', value: (_u, v) => (v === null ? '—' : clock(v)) },
          {
            label: 'Hour average (API)',
            stroke: css('--series-1'),
            width: 2,
            value: (_u, v) => (v === null ? '—' : `${v.toFixed(2)}/min`),
          },
          {
            label: 'Measured',
            stroke: css('--series-2'),
            width: 2,
            dash: [6, 4],
            value: (_u, v) => (v === null ? '—' : `${v.toFixed(2)}/min`),
          },
        ],
        axes: [
          { stroke: css('--axis'), space: 80, values: (_u, splits) => splits.map(clock) },
          { stroke: css('--axis'), label: 'jobs/min', size: 50 },
        ],
        scales: { y: { range: (_u, _min, max) => [0, Math.max(1, Math.ceil(max * 1.2))] } },
        cursor: { drag: { x: false, y: false } },
      },
      chartData([]),
      el,
    );
    const canvas = u.root.querySelector('canvas');
    canvas?.setAttribute('role', 'img');
    canvas?.setAttribute('aria-describedby', describedBy);
    plot.current = u;
    const resize = new ResizeObserver(() => u.setSize({ width: width(), height: 220 }));
    resize.observe(el);
    return () => {
      resize.disconnect();
      u.destroy();
      plot.current = null;
    };
  }, [describedBy]);

  useEffect(() => {
    const u = plot.current;
    if (!u) return;
    u.setData(chartData(samples));
    const canvas = u.root.querySelector('canvas');
    if (canvas) {
      canvas.setAttribute('aria-label', `Throughput chart: ${summary}`);
      canvas.textContent = summary; // fallback content for anything that cannot draw
    }
  }, [samples, summary]);

  return <div class="chart" ref={container} />;
}
