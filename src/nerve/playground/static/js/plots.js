// The output column's drawings: decision surface with points, loss chart, metrics,
// confusion matrix and the hidden-space view. Everything is computed by the server; these
// functions only paint it.

import {
  CLASS_COLORS, bytes, css, diverging, el, fmt, mix, paintGrid, units,
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
  if (surface.kind === "binary") {
    const p = bytes(surface.values); // P(class 1) * 255
    return (i) => diverging(discretize ? Math.sign(p[i] - 127.5) : (2 * p[i]) / 255 - 1);
  }
  const values = units(surface.values); // the value, clipped to [-1, 1]
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

/** Outline of a point by its part: dark for training, grey for validation, black (thicker)
 * for test. Dark outlines keep filled dots visible where the surface saturates to their own
 * colour (white outlines there made them look like hollow rings). */
const PART_STROKE = ["rgba(20,20,20,.85)", "#777", "#000"];
const PART_WIDTH = [1, 1.5, 2.2];

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
    ctx.lineWidth = PART_WIDTH[data.part[i]];
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

/** Train, test (and validation) loss over the epochs: a y-axis with three ticks, the epochs
 * below, and the legend in its own row above the plot so that it never hides a curve. */
export function drawLossChart(canvas, history) {
  const ctx = canvas.getContext("2d");
  const w = canvas.width;
  const h = canvas.height;
  const box = { left: 38, right: w - 6, top: 16, bottom: h - 14 }; // the plot area
  ctx.clearRect(0, 0, w, h);
  ctx.fillStyle = "#fafafa";
  ctx.fillRect(box.left, box.top, box.right - box.left, box.bottom - box.top);
  ctx.font = "10px sans-serif";
  if (!history || history.length < 2) {
    ctx.fillStyle = "#888";
    ctx.fillText("the losses appear here once training runs", box.left + 8, (box.top + box.bottom) / 2);
    return;
  }
  const values = history.flatMap((row) => row.slice(1).filter((v) => Number.isFinite(v)));
  const top = Math.max(...values, 1e-9);
  const first = history[0][0];
  const last = history[history.length - 1][0];
  const span = Math.max(last - first, 1);
  const px = (epoch) => box.left + ((epoch - first) / span) * (box.right - box.left);
  const py = (v) => box.bottom - (Math.min(v, top) / top) * (box.bottom - box.top);
  // y-axis: 0, half and the top loss, with faint grid lines
  ctx.strokeStyle = "#999";
  ctx.lineWidth = 1;
  ctx.beginPath();
  ctx.moveTo(box.left, box.top);
  ctx.lineTo(box.left, box.bottom);
  ctx.lineTo(box.right, box.bottom);
  ctx.stroke();
  ctx.textAlign = "right";
  ctx.textBaseline = "middle";
  for (const v of [0, top / 2, top]) {
    ctx.fillStyle = "#555";
    ctx.fillText(fmt(v, 2), box.left - 4, py(v));
    ctx.strokeStyle = "#e4e4e4";
    ctx.beginPath();
    ctx.moveTo(box.left + 1, py(v));
    ctx.lineTo(box.right, py(v));
    ctx.stroke();
  }
  ctx.textBaseline = "alphabetic";
  ctx.textAlign = "left";
  ctx.fillText(`epoch ${first}`, box.left, h - 2);
  ctx.textAlign = "right";
  ctx.fillText(`epoch ${last}`, box.right, h - 2);
  ctx.textAlign = "left";
  const series = [[2, "test", "#000", []], [1, "train", "#999", []], [3, "validation", "#0877bd", [4, 3]]];
  const shown = history.some((row) => Number.isFinite(row[3])) ? 3 : 2;
  let legendX = box.left;
  for (const [col, name, color, dash] of series.slice(0, shown)) {
    ctx.beginPath();
    ctx.setLineDash(dash);
    ctx.strokeStyle = color;
    ctx.lineWidth = 1.5;
    let started = false;
    for (const row of history) {
      const v = row[col];
      if (!Number.isFinite(v)) continue;
      if (started) ctx.lineTo(px(row[0]), py(v));
      else ctx.moveTo(px(row[0]), py(v));
      started = true;
    }
    ctx.stroke();
    // the legend entry: a short line in the curve's style, then its name
    ctx.beginPath();
    ctx.moveTo(legendX, 7);
    ctx.lineTo(legendX + 14, 7);
    ctx.stroke();
    ctx.setLineDash([]);
    ctx.fillStyle = "#333";
    ctx.fillText(`${name} loss`, legendX + 18, 10);
    legendX += 26 + ctx.measureText(`${name} loss`).width;
  }
  ctx.setLineDash([]);
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
    text: good ? "✓ better than the baseline" : "✗ not yet better than the baseline",
  }));
  if (metrics.p_value !== undefined) {
    // the margin behind the verdict: how likely this score is from a model no better
    const chance = metrics.p_value < 0.001 ? "< 0.001" : `= ${fmt(metrics.p_value, 2)}`;
    box.append(el("p", { class: "hint", id: "verdict-test", text: `one-sided test on `
      + `${metrics.n_evaluated} ${metrics.on} points: p ${chance} (better needs p < 0.05)` }));
  }
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
  // uint16 pairs: 0 is lo - span/2, 65535 is hi + span/2 (the frame is [lo, hi], padded)
  const pairs = (raw) => {
    const q = new Uint16Array(raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.byteLength));
    const out = [];
    for (let i = 0; i < q.length; i += 2) out.push([q[i] / 65535, q[i + 1] / 65535]);
    return out;
  };
  const pts = pairs(view.points);
  // t in [0, 1] of the wide box -> the canvas, where [lo, hi] is the middle half
  const sx = (t) => (2 * t - 0.5) * canvas.width;
  const sy = (t) => canvas.height - (2 * t - 0.5) * canvas.height;
  const lines = pairs(view.lines);
  const per = lines.length / view.n_lines;
  ctx.lineWidth = 1;
  for (let k = 0; k < view.n_lines; k++) {
    ctx.strokeStyle = k < view.n_lines / 2 ? "rgba(120,120,120,.45)" : "rgba(24,61,78,.45)";
    ctx.beginPath();
    for (let i = 0; i < per; i++) {
      const [a, b] = lines[k * per + i];
      if (i) ctx.lineTo(sx(a), sy(b));
      else ctx.moveTo(sx(a), sy(b));
    }
    ctx.stroke();
  }
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

/** A data set's preview: a sample of its real points at the current settings (from the
 * server), classes in their colours or targets on the diverging scale; "CSV" for an upload. */
export function drawThumbnail(canvas, name, preview) {
  const ctx = canvas.getContext("2d");
  const n = canvas.width;
  ctx.fillStyle = "#fff";
  ctx.fillRect(0, 0, n, n);
  if (!preview) {
    ctx.fillStyle = "#555";
    ctx.font = "bold 16px sans-serif";
    ctx.fillText(name === "csv" ? "CSV" : "…", 10, 33);
    return;
  }
  const xy = new Int8Array(preview.xy.buffer, preview.xy.byteOffset, preview.xy.byteLength);
  const y = preview.task === "regression"
    ? new Int8Array(preview.y.buffer, preview.y.byteOffset, preview.y.byteLength)
    : preview.y;
  for (let i = 0; i < y.length; i++) {
    // int8 hundredths of the toy sets' [-1.3, 1.3] view
    const px = ((xy[2 * i] / 100 + 1.3) / 2.6) * n;
    const py = ((1.3 - xy[2 * i + 1] / 100) / 2.6) * n;
    const colour = preview.task === "regression"
      ? diverging(y[i] / 100) : CLASS_COLORS[y[i] % CLASS_COLORS.length];
    ctx.fillStyle = css(colour);
    ctx.fillRect(px - 1.5, py - 1.5, 3, 3);
  }
}
