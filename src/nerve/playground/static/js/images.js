// nerve playground, images mode: the page side of nerve/playground/images.py.
// The server holds the digits and the CNN; this page asks for training steps, draws what comes
// back (curves, filters, feature maps, confusion matrix, mistakes) and sends a drawn digit as an
// 8x8 grid of intensities in [0, 1]. No user text is ever put into HTML: only textContent.

const $ = (id) => document.getElementById(id);
const STEPS_PER_REQUEST = 10;
const NEG = [245, 147, 34];
const POS = [8, 119, 189];

let socket = null;
let running = false;
let waiting = false; // a train request is out: one at a time, so the page paces the server
let seed = 0;
let predictTimer = 0;

function connect() {
  const scheme = location.protocol === "https:" ? "wss" : "ws";
  socket = new WebSocket(`${scheme}://${location.host}/ws/images`);
  socket.onopen = () => { document.body.dataset.connected = "1"; };
  socket.onclose = () => {
    document.body.dataset.connected = "0";
    setRunning(false);
    say("The connection to the playground server was lost; reload the page to start again.");
  };
  socket.onmessage = (event) => {
    let message;
    try { message = JSON.parse(event.data); } catch { return; }
    if (message.type === "hello") showGallery(message.gallery);
    else if (message.type === "images") showView(message);
    else if (message.type === "prediction") showPrediction(message);
    else if (message.type === "error") { say(message.message); setRunning(false); }
  };
}

function send(message) {
  if (socket && socket.readyState === WebSocket.OPEN) socket.send(JSON.stringify(message));
}

function say(text) {
  const box = $("message");
  box.textContent = text;
  box.hidden = !text;
}

// -- colours and small pictures -------------------------------------------------------------

function diverging(value, scale) {
  // orange for negative, white at zero, blue for positive (the points page's colours)
  const t = Math.max(-1, Math.min(1, scale ? value / scale : 0));
  const end = t < 0 ? NEG : POS;
  const a = Math.abs(t);
  return end.map((c) => Math.round(255 + (c - 255) * a));
}

function ink(value) {
  const v = Math.round(255 * (1 - Math.max(0, Math.min(1, value))));
  return [v, v, v]; // dark ink on white paper, as the digits are usually shown
}

function grid(values) {
  // a 2-D list as rows; a 1-D list as a single row
  return Array.isArray(values[0]) ? values : [values];
}

function picture(values, cell, colour) {
  const rows = grid(values);
  const canvas = document.createElement("canvas");
  canvas.width = rows[0].length * cell;
  canvas.height = rows.length * cell;
  const ctx = canvas.getContext("2d");
  rows.forEach((row, y) => row.forEach((v, x) => {
    const [r, g, b] = colour(v);
    ctx.fillStyle = `rgb(${r},${g},${b})`;
    ctx.fillRect(x * cell, y * cell, cell, cell);
  }));
  return canvas;
}

function tile(canvas, caption) {
  const box = document.createElement("div");
  box.className = "tile";
  box.appendChild(canvas);
  if (caption !== undefined) {
    const label = document.createElement("span");
    label.textContent = caption;
    box.appendChild(label);
  }
  return box;
}

function maxAbs(values) {
  let m = 0;
  const walk = (v) => { if (Array.isArray(v)) v.forEach(walk); else m = Math.max(m, Math.abs(v)); };
  walk(values);
  return m;
}

// -- the training view ----------------------------------------------------------------------

function showGallery(digits) {
  const box = $("gallery");
  box.replaceChildren();
  digits.forEach((digit, index) => {
    const item = tile(picture(digit.pixels, 4, ink), String(digit.label));
    item.setAttribute("role", "option");
    item.dataset.index = String(index);
    item.tabIndex = 0;
    item.addEventListener("click", () => send({ type: "digit", index }));
    item.addEventListener("keydown", (e) => {
      if (e.key === "Enter" || e.key === " ") send({ type: "digit", index });
    });
    box.appendChild(item);
  });
}

function showView(view) {
  waiting = false;
  const last = view.history[view.history.length - 1];
  document.body.dataset.step = String(view.step);
  document.body.dataset.accuracy = String(last.test_accuracy);
  $("step-count").textContent = String(view.step);
  $("accuracy").textContent = `${(100 * last.test_accuracy).toFixed(1)}%`;
  drawCurves(view.history);
  const scale = maxAbs(view.filters.values);
  $("filters").replaceChildren(
    ...view.filters.values.map((f, i) => tile(picture(f, 8, (v) => diverging(v, scale)), `${i}`)),
  );
  document.querySelectorAll("#gallery .tile").forEach((item) => {
    item.setAttribute("aria-selected", String(Number(item.dataset.index) === view.chosen.index));
  });
  const probabilities = view.chosen.probabilities;
  const guess = probabilities.indexOf(Math.max(...probabilities));
  $("chosen-info").textContent = `A ${view.chosen.label}; the network says ${guess} `
    + `(${(100 * probabilities[guess]).toFixed(0)}%). Every layer's output, one small picture `
    + "per channel:";
  showLayers($("chosen-maps"), view.chosen.layers);
  drawConfusion(view.confusion);
  const wrong = view.misclassified.map((d) => tile(picture(d.pixels, 4, ink), `${d.label}\u2192${d.predicted}`));
  $("wrong").replaceChildren(...wrong);
  if (!wrong.length) $("wrong").textContent = "none";
  if (running) train();
}

function showLayers(box, layers) {
  box.replaceChildren();
  for (const layer of layers) {
    const part = document.createElement("div");
    part.className = "layer";
    const title = document.createElement("h4");
    title.textContent = `${layer.name}  ${layer.shape.join("x")}`;
    const tiles = document.createElement("div");
    tiles.className = "tiles";
    const scale = maxAbs(layer.values);
    const maps = layer.shape.length === 3 ? layer.values : [layer.values];
    const side = layer.shape.length === 3 ? layer.shape[1] : 1;
    const cell = layer.shape.length === 3 ? Math.max(3, Math.floor(26 / side)) : 14; // ~26 px a map: a row of 8 fits a phone
    for (const map of maps) tiles.appendChild(picture(map, cell, (v) => diverging(v, scale)));
    part.append(title, tiles);
    box.appendChild(part);
  }
}

function drawCurves(history) {
  const canvas = $("curves");
  const ctx = canvas.getContext("2d");
  const W = canvas.width, H = canvas.height, L = 30, R = 34, T = 8, B = 20;
  ctx.clearRect(0, 0, W, H);
  ctx.font = "10px sans-serif";
  ctx.strokeStyle = "#ccc";
  ctx.fillStyle = "#666";
  ctx.strokeRect(L, T, W - L - R, H - T - B);
  const steps = Math.max(1, history[history.length - 1].step);
  const losses = history.map((p) => p.loss).filter((v) => v !== null);
  const top = Math.max(0.1, ...losses);
  for (const t of [0, 0.5, 1]) {
    const y = T + (1 - t) * (H - T - B);
    ctx.fillText(t.toFixed(1), 4, y + 3); // accuracy, left
    ctx.fillText((t * top).toFixed(2), W - R + 4, y + 3); // loss, right
  }
  ctx.fillText("0", L, H - 6);
  ctx.fillText(`step ${steps}`, W - R - 48, H - 6);
  const x = (s) => L + (s / steps) * (W - L - R);
  const line = (key, colour, scale) => {
    ctx.strokeStyle = colour;
    ctx.lineWidth = 2;
    ctx.beginPath();
    let started = false;
    for (const p of history) {
      if (p[key] === null) continue;
      const y = T + (1 - p[key] / scale) * (H - T - B);
      if (started) ctx.lineTo(x(p.step), y); else ctx.moveTo(x(p.step), y);
      started = true;
    }
    ctx.stroke();
  };
  line("train_accuracy", "#888", 1);
  line("test_accuracy", "rgb(8,119,189)", 1);
  line("loss", "#c62828", top);
  ctx.lineWidth = 1;
}

function drawConfusion(matrix) {
  const canvas = $("confusion");
  const ctx = canvas.getContext("2d");
  const M = 22, n = matrix.length, cell = (canvas.width - M) / n;
  ctx.clearRect(0, 0, canvas.width, canvas.height);
  ctx.font = "11px sans-serif";
  ctx.textAlign = "center";
  ctx.textBaseline = "middle";
  matrix.forEach((row, i) => {
    const total = row.reduce((a, b) => a + b, 0) || 1;
    ctx.fillStyle = "#666";
    ctx.fillText(String(i), M / 2, M + (i + 0.5) * cell); // true digit
    ctx.fillText(String(i), M + (i + 0.5) * cell, M / 2); // predicted digit
    row.forEach((count, j) => {
      const share = count / total;
      const [r, g, b] = i === j ? diverging(share, 1) : diverging(-share, 1);
      ctx.fillStyle = `rgb(${r},${g},${b})`;
      ctx.fillRect(M + j * cell, M + i * cell, cell - 1, cell - 1);
      if (count) {
        ctx.fillStyle = share > 0.6 ? "white" : "#222";
        ctx.fillText(String(count), M + (j + 0.5) * cell, M + (i + 0.5) * cell);
      }
    });
  });
}

// -- training controls ----------------------------------------------------------------------

function train() {
  if (waiting) return;
  waiting = true;
  send({ type: "train", steps: STEPS_PER_REQUEST });
}

function setRunning(on) {
  running = on;
  document.body.dataset.running = on ? "1" : "0";
  $("play").textContent = on ? "\u23F8" : "\u25B6";
}

$("play").addEventListener("click", () => { setRunning(!running); if (running) train(); });
$("step").addEventListener("click", () => { setRunning(false); train(); });
$("reset").addEventListener("click", () => {
  setRunning(false);
  seed += 1;
  send({ type: "reset", seed });
});

// -- the drawing pad ------------------------------------------------------------------------

const pad = $("pad");
const padCtx = pad.getContext("2d");
let drawing = false;
let drawn = false;

function clearPad() {
  padCtx.fillStyle = "black";
  padCtx.fillRect(0, 0, pad.width, pad.height);
  drawn = false;
  $("prediction").textContent = "Draw a digit with the mouse or a finger.";
  $("prediction").dataset.predicted = "";
  $("bars").replaceChildren();
  $("drawn-maps").replaceChildren();
  $("seen").getContext("2d").clearRect(0, 0, 64, 64);
}

function at(event) {
  const box = pad.getBoundingClientRect();
  return [(event.clientX - box.left) * pad.width / box.width,
    (event.clientY - box.top) * pad.height / box.height];
}

pad.addEventListener("pointerdown", (event) => {
  drawing = true;
  pad.setPointerCapture(event.pointerId);
  const [x, y] = at(event);
  padCtx.beginPath();
  padCtx.moveTo(x, y);
  padCtx.lineTo(x + 0.1, y);
  stroke();
});
pad.addEventListener("pointermove", (event) => {
  if (!drawing) return;
  const [x, y] = at(event);
  padCtx.lineTo(x, y);
  stroke();
});
pad.addEventListener("pointerup", () => { drawing = false; predictSoon(0); });
pad.addEventListener("pointercancel", () => { drawing = false; });
$("clear").addEventListener("click", clearPad);

function stroke() {
  padCtx.strokeStyle = "white";
  padCtx.lineWidth = 18;
  padCtx.lineCap = "round";
  padCtx.lineJoin = "round";
  padCtx.stroke();
  drawn = true;
  predictSoon(150);
}

function predictSoon(delay) {
  clearTimeout(predictTimer);
  predictTimer = setTimeout(() => { if (drawn) send({ type: "predict", pixels: downsample() }); }, delay);
}

// The digits were written in a box and scaled so that each fills its 8x8 grid: crop the
// drawing to its ink, fit it into 32x32 keeping its proportions, then average 4x4 blocks.
function downsample() {
  const { width: W, height: H } = pad;
  const data = padCtx.getImageData(0, 0, W, H).data;
  let x0 = W, y0 = H, x1 = -1, y1 = -1;
  for (let y = 0; y < H; y++) {
    for (let x = 0; x < W; x++) {
      if (data[(y * W + x) * 4] > 40) {
        x0 = Math.min(x0, x); x1 = Math.max(x1, x); y0 = Math.min(y0, y); y1 = Math.max(y1, y);
      }
    }
  }
  const small = document.createElement("canvas");
  small.width = small.height = 32;
  const sctx = small.getContext("2d");
  sctx.fillStyle = "black";
  sctx.fillRect(0, 0, 32, 32);
  if (x1 >= 0) {
    const w = x1 - x0 + 1, h = y1 - y0 + 1, scale = 30 / Math.max(w, h);
    const dw = w * scale, dh = h * scale;
    sctx.drawImage(pad, x0, y0, w, h, (32 - dw) / 2, (32 - dh) / 2, dw, dh);
  }
  const pixels = sctx.getImageData(0, 0, 32, 32).data;
  const grid8 = [];
  for (let by = 0; by < 8; by++) {
    for (let bx = 0; bx < 8; bx++) {
      let sum = 0;
      for (let y = 0; y < 4; y++) for (let x = 0; x < 4; x++) sum += pixels[((by * 4 + y) * 32 + bx * 4 + x) * 4];
      grid8.push(Math.round(1000 * Math.min(1, sum / (16 * 255))) / 1000);
    }
  }
  const seen = $("seen").getContext("2d");
  const rows = [];
  for (let i = 0; i < 8; i++) rows.push(grid8.slice(8 * i, 8 * i + 8));
  seen.drawImage(picture(rows, 8, ink), 0, 0);
  return grid8;
}

function showPrediction(message) {
  const p = message.probabilities;
  const box = $("prediction");
  box.dataset.predicted = String(message.predicted);
  const strong = document.createElement("strong");
  strong.textContent = String(message.predicted);
  box.replaceChildren("The network says ", strong, ` (${(100 * p[message.predicted]).toFixed(0)}%)`);
  const bars = [];
  p.forEach((value, digit) => {
    const label = document.createElement("span");
    label.textContent = String(digit);
    const track = document.createElement("div");
    track.className = "track";
    const fill = document.createElement("div");
    fill.className = "fill";
    fill.style.width = `${(100 * value).toFixed(1)}%`;
    track.appendChild(fill);
    const share = document.createElement("span");
    share.textContent = `${(100 * value).toFixed(0)}%`;
    bars.push(label, track, share);
  });
  $("bars").replaceChildren(...bars);
  showLayers($("drawn-maps"), message.layers);
}

clearPad();
setRunning(false);
connect();
