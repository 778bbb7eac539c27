// Line charts as inline SVG, drawn from data the page already holds; no library, no
// network. Values arrive as approximate numbers (decimal.toNumber): a chart is a picture,
// the exact figures are in the tables beside it.

const NS = 'http://www.w3.org/2000/svg';
const WIDTH = 720;
const HEIGHT = 260;
const PAD = { left: 64, right: 12, top: 12, bottom: 28 };

function svg(tag, attributes = {}, text) {
  const element = document.createElementNS(NS, tag);
  for (const [name, value] of Object.entries(attributes)) element.setAttribute(name, String(value));
  if (text !== undefined) element.textContent = text;
  return element;
}

/**
 * A step chart of cumulative series over time. `series` is `[{ label, points:
 * [{ t: milliseconds, y: number }] }]`, each sorted by `t` (the label picks the
 * colour, class `s-<label>`); `formatY` writes an axis
 * value; `title` is the accessible name.
 */
export function stepChart(series, { title, formatY, formatT }) {
  const all = series.flatMap((s) => s.points);
  const root = svg('svg', { viewBox: `0 0 ${WIDTH} ${HEIGHT}`, class: 'chart', role: 'img', 'aria-label': title });
  root.append(svg('title', {}, title));
  if (all.length === 0) return root;
  const tMin = Math.min(...all.map((p) => p.t));
  const tMax = Math.max(...all.map((p) => p.t), tMin + 1);
  const yMax = Math.max(...all.map((p) => p.y), 1);
  const yMin = Math.min(0, ...all.map((p) => p.y));
  const x = (t) => PAD.left + ((t - tMin) / (tMax - tMin)) * (WIDTH - PAD.left - PAD.right);
  const y = (v) => HEIGHT - PAD.bottom - ((v - yMin) / (yMax - yMin)) * (HEIGHT - PAD.top - PAD.bottom);
  for (let i = 0; i <= 4; i += 1) {
    const value = yMin + ((yMax - yMin) * i) / 4;
    root.append(svg('line', { x1: PAD.left, x2: WIDTH - PAD.right, y1: y(value), y2: y(value), class: 'grid' }));
    root.append(svg('text', { x: PAD.left - 6, y: y(value) + 4, 'text-anchor': 'end' }, formatY(value)));
  }
  for (let i = 0; i <= 4; i += 1) {
    const t = tMin + ((tMax - tMin) * i) / 4;
    const anchor = i === 0 ? 'start' : i === 4 ? 'end' : 'middle';
    root.append(svg('text', { x: x(t), y: HEIGHT - 8, 'text-anchor': anchor }, formatT(t)));
  }
  for (const s of series) {
    if (s.points.length === 0) continue;
    let d = `M${x(s.points[0].t).toFixed(1)},${y(0).toFixed(1)}`;
    for (const point of s.points) {
      d += `H${x(point.t).toFixed(1)}V${y(point.y).toFixed(1)}`;
    }
    d += `H${x(tMax).toFixed(1)}`;
    root.append(svg('path', { d, class: `line s-${s.label}`, 'data-series': s.label }));
  }
  return root;
}
