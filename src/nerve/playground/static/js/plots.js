// The output column's drawings: decision surface with points, loss chart, metrics,
// confusion matrix and the hidden-space view. Everything is computed by the server; these
// functions only paint it.

import {
  CLASS_COLORS, bytes, css, diverging, el, floats, fmt, mix, paintGrid,
} from "./util.js";

const WHITE = [255, 255, 255];

/** The colour of one surface cell (binary probability, class + confidence, or a value). */
function surfaceColors(surface, discretize, nClasses) {
  if (surface.kind === "multiclass") {
    const cls = bytes(surface.classes);
    const conf = bytes(surface.confidence);
    const chance = 1 / Math.max(nClasses, 2);
    return (i) => {
      const base = CLASS_COLORS[cls[i] % CLASS_COLORS.length];
      if (discretize) return mix(WHITE, base, 0.75);
      const t = Math.max(0, (conf[i] / 255 - chance) / (1 - chance));
      return mix(WHITE, base, 0.15 + 0.7 * t);
    };
  }
  const values = floats(surface.values);
  if (surface.kind === "binary") {
    return (i) => diverging(discretize ? Math.sign(values[i] - 0.5) : 2 * values[i] - 1);
  }
  return (i) => diverging(discretize ? Math.sign(values[i]) : values[i]);
}

/** Canvas position of a data point. */
export function toCanvas(canvas, domain, x, y) {
  const [x0, x1, y0, y1] = domain;
  return [((x - x0) / (x1 - x0)) * canvas.width, ((y1 - y) / (y1 - y0)) * canvas.height];
}

/** Data coordinates of a mouse event on a canvas. */
export function fromEvent(canvas, domain, event) {
  const rect = canvas.getBoundingClientRect();
  const [x0, x1, y0, y1] = domain;
  const fx = (event.clientX - rect.left) / rect.width;
  const fy = (event.clientY - rect.top) / rect.height;
  return [x0 + fx * (x1 - x0), y1 - fy * (y1 - y0)];
}

/** The colour of a data point: its class, or its target value for regression. */
export function pointColor(data, i) {
  if (data.task === "regression") return diverging(data.y[i]);
  return CLASS_COLORS[data.y[i] % CLASS_COLORS.length];
}

/** Stroke of a point by its part: white for training, grey for validation, black for test. */
const PART_STROKE = ["#fff", "#888", "#000"];

/** The decision surface as an offscreen n x n canvas (drawn once per frame, reused on hover). */
export function surfaceImage(frame, discretize, nClasses) {
  if (!frame || !frame.surface) return null;
  const n = frame.surface.n;
  const off = document.createElement("canvas");
  off.width = n;
  off.height = n;
  paintGrid(off, n, surfaceColors(frame.surface, discretize, nClasses));
  return off;
}

/** Draw the decision surface and the points (test points only when asked). */
export function drawOutput(canvas, surface, data, options) {
  const ctx = canvas.getContext("2d");
  ctx.imageSmoothingEnabled = true;
  if (surface) {
    ctx.drawImage(surface, 0, 0, canvas.width, canvas.height);
  } else {
    ctx.fillStyle = "#eee";
    ctx.fillRect(0, 0, canvas.width, canvas.height);
  }
  let shown = 0;
  for (let i = 0; i < data.x.length; i++) {
    if (data.part[i] === 2 && !options.showTest) continue;
    const [px, py] = toCanvas(canvas, data.domain, data.x[i][0], data.x[i][1]);
    ctx.beginPath();
    ctx.arc(px, py, 3.5, 0, 2 * Math.PI);
    ctx.fillStyle = css(pointColor(data, i));
    ctx.fill();
    ctx.lineWidth = 1;
    ctx.strokeStyle = PART_STROKE[data.part[i]];
    ctx.stroke();
    shown += 1;
  }
  canvas.dataset.points = String(shown);
  if (options.probe) drawProbe(ctx, canvas, data.domain, options.probe);
}

function drawProbe(ctx, canvas, domain, probe) {
  const [px, py] = toCanvas(canvas, domain, probe[0], probe[1]);
  ctx.strokeStyle = "#111";
  ctx.lineWidth = 1.5;
  ctx.beginPath();
  ctx.moveTo(px - 7, py);
  ctx.lineTo(px + 7, py);
  ctx.moveTo(px, py - 7);
  ctx.lineTo(px, py + 7);
  ctx.stroke();
}

/** Train, test (and validation) loss over the epochs. */
export function drawLossChart(canvas, history) {
  const ctx = canvas.getContext("2d");
  const w = canvas.width;
  const h = canvas.height;
  ctx.clearRect(0, 0, w, h);
  ctx.fillStyle = "#fafafa";
  ctx.fillRect(0, 0, w, h);
  if (!history || history.length < 2) return;
  const values = history.flatMap((row) => row.slice(1).filter((v) => Number.isFinite(v)));
  const top = Math.max(...values, 1e-9);
  const first = history[0][0];
  const last = history[history.length - 1][0];
  const span = Math.max(last - first, 1);
  const series = [[1, "#999", []], [2, "#000", []], [3, "#0877bd", [4, 3]]];
  for (const [col, color, dash] of series) {
    ctx.beginPath();
    ctx.setLineDash(dash);
    ctx.strokeStyle = color;
    ctx.lineWidth = 1.5;
    let started = false;
    for (const row of history) {
      const v = row[col];
      if (!Number.isFinite(v)) continue;
      const x = ((row[0] - first) / span) * (w - 4) + 2;
      const y = h - 3 - (Math.min(v, top) / top) * (h - 8);
      if (started) ctx.lineTo(x, y);
      else ctx.moveTo(x, y);
      started = true;
    }
    ctx.stroke();
  }
  ctx.setLineDash([]);
  ctx.font = "10px sans-serif";
  const label = (text, x, y, color) => {
    // A white backing keeps the labels readable where a curve passes under them.
    ctx.fillStyle = "rgba(255,255,255,.85)";
    ctx.fillRect(x - 2, y - 9, ctx.measureText(text).width + 4, 12);
    ctx.fillStyle = color;
    ctx.fillText(text, x, y);
  };
  label(`max ${fmt(top)}`, 3, 11, "#555");
  label(`epoch ${last}`, w - 62, h - 4, "#555");
  const legend = [["test", "#000"], ["train", "#999"], ["validation", "#0877bd"]];
  const shown = history.some((row) => Number.isFinite(row[3])) ? 3 : 2;
  legend.slice(0, shown).forEach(([name, color], k) => label(`— ${name}`, 90 + k * 58, 11, color));
}

const NAMES = { accuracy: "Accuracy", precision: "Precision", recall: "Recall", f1: "F1",
  mse: "MSE", mae: "MAE", r2: "R²" };

/** Metrics beside the baseline, the verdict, and the confusion matrix. */
export function renderMetrics(box, metrics) {
  box.replaceChildren();
  if (!metrics) return;
  const baselineName = metrics.task === "regression"
    ? "mean baseline" : `baseline (always “${metrics.majority_class}”)`;
  const head = el("tr", {}, el("th", { text: `on ${metrics.on} data` }),
    el("th", { text: "model" }), el("th", { text: baselineName }));
  const rows = Object.keys(metrics.model).map((key) => el("tr", {},
    el("td", { text: NAMES[key] || key }),
    el("td", { id: `metric-${key}`, "data-value": String(metrics.model[key]),
      text: fmt(metrics.model[key]) }),
    el("td", { id: `baseline-${key}`, text: fmt(metrics.baseline[key]) })));
  box.append(el("table", {}, head, ...rows));
  const good = metrics.better_than_baseline;
  box.append(el("p", {
    class: `verdict ${good ? "good" : "bad"}`,
    id: "verdict",
    "data-better": good ? "1" : "0",
    text: good ? "✓ better than the baseline" : "✗ not better than the baseline yet",
  }));
  if (metrics.train_accuracy !== undefined && metrics.train_accuracy !== null) {
    box.append(el("p", { class: "hint", text: `training accuracy ${fmt(metrics.train_accuracy)}` }));
  }
  if (metrics.confusion) box.append(confusionTable(metrics));
}

function confusionTable(metrics) {
  const k = metrics.class_names.length;
  const total = metrics.confusion.flat().reduce((a, b) => a + b, 0) || 1;
  const head = el("tr", {}, el("th", { text: "true \\ predicted" }),
    ...metrics.class_names.map((c, j) => el("th", { title: c, text: String(j) })));
  const rows = metrics.confusion.map((row, i) => el("tr", {},
    el("th", { title: metrics.class_names[i], text: `${i}: ${metrics.class_names[i]}` }),
    ...row.map((count, j) => {
      const cell = el("td", { text: String(count) });
      const shade = Math.min(1, (count / total) * k);
      cell.style.background = css(i === j ? [8, 119, 189] : [214, 39, 40], 0.08 + 0.5 * shade);
      return cell;
    })));
  return el("table", { class: "confusion", id: "confusion" }, el("caption", {
    class: "hint", text: "confusion matrix" }), head, ...rows);
}

/** The data points and the warped grid lines in the space of a hidden layer. */
export function drawHiddenSpace(canvas, view, data, showTest) {
  const ctx = canvas.getContext("2d");
  ctx.fillStyle = "#fff";
  ctx.fillRect(0, 0, canvas.width, canvas.height);
  if (!view) {
    ctx.fillStyle = "#888";
    ctx.fillText("add a hidden layer to see its space", 70, 160);
    return;
  }
  const pts = view.points;
  const xs = pts.map((p) => p[0]);
  const ys = pts.map((p) => p[1]);
  const lo = [Math.min(...xs), Math.min(...ys)];
  const hi = [Math.max(...xs), Math.max(...ys)];
  const pad = [0.08 * (hi[0] - lo[0]) + 1e-3, 0.08 * (hi[1] - lo[1]) + 1e-3];
  const sx = (v) => ((v - lo[0] + pad[0]) / (hi[0] - lo[0] + 2 * pad[0])) * canvas.width;
  const sy = (v) => canvas.height - ((v - lo[1] + pad[1]) / (hi[1] - lo[1] + 2 * pad[1])) * canvas.height;
  ctx.lineWidth = 1;
  view.lines.forEach((line, k) => {
    ctx.strokeStyle = k < view.lines.length / 2 ? "rgba(120,120,120,.45)" : "rgba(24,61,78,.45)";
    ctx.beginPath();
    line.forEach(([a, b], i) => (i ? ctx.lineTo(sx(a), sy(b)) : ctx.moveTo(sx(a), sy(b))));
    ctx.stroke();
  });
  pts.forEach(([a, b], i) => {
    if (data.part[i] === 2 && !showTest) return;
    ctx.beginPath();
    ctx.arc(sx(a), sy(b), 3, 0, 2 * Math.PI);
    ctx.fillStyle = css(pointColor(data, i));
    ctx.fill();
    ctx.strokeStyle = PART_STROKE[data.part[i]];
    ctx.stroke();
  });
}

/** Small previews of the data sets (drawn here: shapes, not the real points). */
export function drawThumbnail(canvas, name) {
  const ctx = canvas.getContext("2d");
  const n = canvas.width;
  let seed = 7;
  const rand = () => ((seed = (seed * 16807) % 2147483647) / 2147483647) * 2 - 1;
  ctx.fillStyle = "#fff";
  ctx.fillRect(0, 0, n, n);
  const dot = (x, y, c) => {
    ctx.fillStyle = css(c);
    ctx.fillRect(((x + 1) / 2) * n - 1.5, ((1 - y) / 2) * n - 1.5, 3, 3);
  };
  const field = (f) => {
    for (let i = 0; i < n; i += 3) {
      for (let j = 0; j < n; j += 3) {
        ctx.fillStyle = css(diverging(f((i / n) * 2 - 1, 1 - (j / n) * 2)));
        ctx.fillRect(i, j, 3, 3);
      }
    }
  };
  const shapes = {
    circle: () => { for (let i = 0; i < 80; i++) { const x = rand(), y = rand(); const r = Math.hypot(x, y); if (r < 0.45) dot(x, y, CLASS_COLORS[1]); else if (r > 0.6 && r < 0.95) dot(x, y, CLASS_COLORS[0]); } },
    xor: () => { for (let i = 0; i < 80; i++) { const x = rand(), y = rand(); dot(x, y, CLASS_COLORS[x * y > 0 ? 1 : 0]); } },
    gaussian: () => { for (let i = 0; i < 60; i++) { const c = i % 2; dot((c ? 0.45 : -0.45) + 0.25 * rand(), (c ? 0.45 : -0.45) + 0.25 * rand(), CLASS_COLORS[c]); } },
    spiral: () => { for (let i = 0; i < 90; i++) { const c = i % 2; const t = (i / 90); const a = 3.5 * Math.PI * t + Math.PI * c; dot(0.9 * t * Math.sin(a), 0.9 * t * Math.cos(a), CLASS_COLORS[c]); } },
    moons: () => { for (let i = 0; i < 70; i++) { const c = i % 2; const t = Math.PI * Math.abs(rand()); dot(c ? (1 - Math.cos(t)) / 1.5 - 0.33 : Math.cos(t) / 1.5 - 0.33, c ? (0.5 - Math.sin(t)) / 1.5 - 0.17 : Math.sin(t) / 1.5 - 0.17, CLASS_COLORS[c]); } },
    blobs: () => { for (let i = 0; i < 75; i++) { const c = i % 3; const a = (2 * Math.PI * c) / 3 + Math.PI / 2; dot(0.55 * Math.cos(a) + 0.2 * rand(), 0.55 * Math.sin(a) + 0.2 * rand(), CLASS_COLORS[c]); } },
    plane: () => field((x, y) => 0.9 * x - 0.6 * y),
    "multi-gaussian": () => field((x, y) => [[-0.6, 0.4, 1], [0, 0.4, -1], [0.6, 0.4, 1], [-0.6, -0.4, -1], [0, -0.4, 1], [0.6, -0.4, -1]].reduce((s, [a, b, g]) => s + g * Math.exp(-((x - a) ** 2 + (y - b) ** 2) / 0.08), 0)),
    sine: () => field((x, y) => Math.sin(Math.PI * x) * Math.cos((Math.PI * y) / 2)),
    csv: () => { ctx.fillStyle = "#555"; ctx.font = "bold 16px sans-serif"; ctx.fillText("CSV", 10, 33); },
  };
  (shapes[name] || shapes.csv)();
}
