// The playground page: one WebSocket to the server, which owns the session and trains with
// nerve. This module routes the server's messages (hello, state, data, frame, explain, export,
// error) to the drawings, and the learner's clicks to messages.

import { Controls } from "./controls.js";
import { NetworkView } from "./network.js";
import {
  drawHiddenSpace, drawLossChart, drawOutput, fromEvent, renderMetrics, surfaceImage,
} from "./plots.js";
import { applyHide, readUrl, settingsHash, writeUrl } from "./url.js";
import * as share from "./share.js";
import { Backprop } from "./backprop.js";
import { bytes, download, fmt, fmtEpoch, paintGrid } from "./util.js";

const page = {
  ws: null,
  spec: null, // kind and default of every setting (from hello)
  limits: null, // the server's limits (from hello): neurons, hidden layers, upload size ...
  features: [], // the input features in the server's order (from hello)
  state: null, // the last state message: settings, status, network
  data: null, // the points
  frame: null, // the last frame
  surface: null, // the frame's decision surface, as an offscreen canvas
  hide: [],
  probe: [0.5, 0.5], // the point neurons are explained at (the mouse over the output)
  hover: null, // the neuron under the mouse: {l, j, node}
  lastExplain: 0,
  // A shared link stays in the address bar as it was typed (mended values and all) until the
  // learner changes something: the greeting's defaults and the link's own state keep it.
  keepLink: false,
};
const $ = (id) => document.getElementById(id);

// Messages that only look (hover, the link itself): they leave a shared link in the address
// bar. Anything else is the learner's own change, from which on the address follows the page.
const LOOKING = new Set(["open_link", "explain", "backprop"]);

function send(message) {
  if (!LOOKING.has(message.type)) page.keepLink = false;
  if (page.ws && page.ws.readyState === WebSocket.OPEN) page.ws.send(JSON.stringify(message));
}

const controls = new Controls(send);
const network = new NetworkView($("network"), {
  toggleFeature,
  editWeight: (l, j, i, value, ev) => editNumber(ev, value, (v) => send({
    type: "set_weight", layer: l, row: j, col: i, value: v })),
  editBias: (l, j, value, ev) => editNumber(ev, value, (v) => send({
    type: "set_bias", layer: l, neuron: j, value: v })),
  hover: (l, j, node) => { page.hover = { l, j, node }; showExplain(); requestExplain(); },
  leave: () => { page.hover = null; $("explain").hidden = true; },
  addNeuron: (k) => changeNeurons(k, +1),
  removeNeuron: (k) => changeNeurons(k, -1),
  setActivation: (k, name) => {
    const acts = [...page.state.settings.activations];
    acts[k] = name;
    send({ type: "set", settings: { activations: acts } });
  },
});

// ---------------------------------------------------------------- connection

function connect() {
  const scheme = window.location.protocol === "https:" ? "wss" : "ws";
  const ws = new WebSocket(`${scheme}://${window.location.host}/ws`);
  page.ws = ws;
  ws.addEventListener("open", () => { document.body.dataset.connected = "1"; });
  ws.binaryType = "arraybuffer"; // frames carry their pictures as bytes (wire.py)
  ws.addEventListener("message", (event) => {
    const message = decodeMessage(event.data);
    const handler = HANDLERS[message.type];
    if (handler) handler(message);
  });
  ws.addEventListener("close", (event) => {
    document.body.dataset.connected = "0";
    document.body.dataset.status = "disconnected";
    if (event.code === 1013) return; // busy: the error message says it all
    banner("disconnected", "The connection to the playground server was lost. Is "
      + "`nerve playground` still running? Reload the page to reconnect.");
  });
}

/**
 * A server message: JSON text, or a binary frame (uint32 header length, JSON, payload) whose
 * {"$bytes": [offset, length]} entries become Uint8Array views of the payload (no copies).
 */
function decodeMessage(data) {
  if (typeof data === "string") return JSON.parse(data);
  const view = new DataView(data);
  const n = view.getUint32(0, true);
  const header = JSON.parse(new TextDecoder().decode(new Uint8Array(data, 4, n)));
  const start = 4 + n;
  const restore = (value) => {
    if (Array.isArray(value)) return value.map(restore);
    if (value && typeof value === "object") {
      const ref = value.$bytes;
      if (Array.isArray(ref) && Object.keys(value).length === 1) {
        return new Uint8Array(data, start + ref[0], ref[1]);
      }
      for (const key of Object.keys(value)) value[key] = restore(value[key]);
    }
    return value;
  };
  return restore(header);
}

const HANDLERS = {
  hello(message) {
    page.spec = message.spec;
    page.limits = message.limits;
    page.features = message.features.map((f) => f.name);
    page.featureInfo = message.features;
    controls.spec = message.spec;
    controls.datasetNames = message.datasets;
    network.setFeatures(message.features);
    showLimits(message.limits);
    const { settings, hide, unknown } = readUrl(message.spec);
    page.hide = hide;
    applyHide(hide);
    network.setHidden(hide);
    buildHideChooser();
    page.linkNotes = unknown.map((key) => `unknown setting ${JSON.stringify(key.slice(0, 40))}: ignored`);
    if (Object.keys(settings).length) {
      // The server keeps every valid key, clamps or drops a bad one and says which (a "link"
      // message); the address bar keeps the link until the learner changes something.
      page.keepLink = true;
      send({ type: "open_link", settings });
    } else if (page.linkNotes.length) showLinkNotes([]);
  },
  link(message) {
    showLinkNotes(message.notes);
  },
  state(message) {
    page.state = message;
    document.body.dataset.status = message.status;
    $("epoch").textContent = fmtEpoch(message.epoch);
    $("epoch").dataset.epoch = String(message.epoch);
    controls.sync(message.settings);
    controls.datasets($("datasets"), message.settings, message.csv, page.previews);
    controls.hiddenView(message.settings, message.network.sizes);
    $("loss-advice").textContent = `Loss: ${message.loss_advice}.`;
    const n = message.settings.hidden.length;
    $("layer-count").textContent = `${n} hidden layer${n === 1 ? "" : "s"}`;
    $("notes").replaceChildren(...message.notes.map((t) => Object.assign(document.createElement("li"), { textContent: t })));
    $("play").textContent = message.status === "running" ? "❚❚" : "▶";
    if (["diverged", "early_stop", "max_epochs"].includes(message.status)) banner(message.status, message.message);
    else banner("", "");
    if (page.data) network.render(message, page.data.domain);
    if (!page.keepLink && page.spec) writeUrl(message.settings, page.spec, page.hide);
    applyHide(page.hide);
    if (page.updateHideLink) page.updateHideLink();
  },
  data(message) {
    page.data = message;
    const c = message.counts;
    $("data-info").textContent = `${message.name}: ${message.x.length} points (${c.train} train, `
      + `${c.val} validation, ${c.test} test), ${message.task}`;
    $("data-info").dataset.points = String(message.x.length);
    page.previews = message.thumbnails || {};
    if (page.state) {
      controls.datasets($("datasets"), page.state.settings, page.state.csv, page.previews);
    }
    clickChoices(message);
    if (page.state) network.render(page.state, message.domain);
    redrawOutput();
  },
  frame(message) {
    page.frame = message;
    // A counter of drawn frames: tests (and curious learners) can tell a fresh picture.
    $("heatmap").dataset.frames = String(Number($("heatmap").dataset.frames || 0) + 1);
    document.body.dataset.status = message.status;
    $("epoch").textContent = fmtEpoch(message.epoch);
    $("epoch").dataset.epoch = String(message.epoch);
    $("play").textContent = message.status === "running" ? "❚❚" : "▶";
    showLoss("train-loss", message.loss.train);
    showLoss("test-loss", message.loss.test);
    showLoss("val-loss", message.loss.val);
    $("val-loss-box").hidden = message.loss.val === null;
    drawLossChart($("loss-chart"), message.history);
    renderMetrics($("metrics"), message.metrics);
    refreshSurface();
    network.update(message, page.surface);
    drawHiddenSpace($("hidden-space"), message.hidden_view, page.data, showTest());
    $("hidden-axes").textContent = message.hidden_view
      ? `x: ${message.hidden_view.axes[0]}, y: ${message.hidden_view.axes[1]} (layer ${message.hidden_view.layer})` : "";
    if (page.hover && performance.now() - page.lastExplain > 400) requestExplain();
  },
  explain(message) {
    if (!page.hover || page.hover.l !== message.layer || page.hover.j !== message.neuron) return;
    fillExplain(message);
  },
  export(message) {
    const blob = message.text !== undefined
      ? new Blob([message.text], { type: message.mime })
      : new Blob([bytes(message.base64)], { type: message.mime });
    download(blob, message.filename);
    document.body.dataset.exported = message.format;
  },
  error(message) {
    showError(message.message);
    // A rejected value must not stay in its field: show again what the server uses.
    if (page.state) controls.sync(page.state.settings, true);
    if (/busy/.test(message.message)) banner("busy", message.message);
  },
};

// Classroom: the "step through backprop" panel answers the server's backprop messages.
const backprop = new Backprop(send);
HANDLERS.backprop = (message) => backprop.show(message);

// ---------------------------------------------------------------- drawing

function showTest() {
  return Boolean(page.state && page.state.settings.show_test);
}

function showLoss(id, value) {
  $(id).textContent = fmt(value);
  $(id).dataset.value = value === null ? "" : String(value);
}

function refreshSurface() {
  if (!page.data || !page.frame) return;
  const discretize = Boolean(page.state && page.state.settings.discretize);
  page.surface = surfaceImage(page.frame, discretize, page.data.class_names.length);
  redrawOutput();
}

function redrawOutput() {
  if (!page.data) return;
  drawOutput($("heatmap"), page.surface, page.data, { showTest: showTest(), probe: page.probe });
}

function banner(kind, text) {
  const box = $("banner");
  box.dataset.kind = kind;
  box.textContent = text;
  box.hidden = !kind;
}

let errorTimer = null;
function showError(text) {
  const box = $("error");
  box.textContent = text;
  box.hidden = false;
  box.dataset.count = String(Number(box.dataset.count || 0) + 1);
  clearTimeout(errorTimer);
  errorTimer = setTimeout(() => { box.hidden = true; }, 8000);
}

// ---------------------------------------------------------------- explain a neuron

function requestExplain() {
  if (!page.hover) return;
  page.lastExplain = performance.now();
  const [x, y] = page.probe;
  send({ type: "explain", layer: page.hover.l, neuron: page.hover.j, x, y });
}

function showExplain() {
  const card = $("explain");
  const { l, j, node } = page.hover;
  const rect = node.getBoundingClientRect();
  card.style.left = `${rect.right + window.scrollX + 12}px`;
  card.style.top = `${rect.top + window.scrollY - 20}px`;
  card.dataset.layer = String(l);
  card.dataset.neuron = String(j);
  const canvas = document.createElement("canvas");
  canvas.width = 160;
  canvas.height = 160;
  const values = network.mapOf(l, j);
  const colour = network.colorOf(l, j);
  if (values) paintGrid(canvas, 25, (i) => colour(values[i]));
  else if (page.surface) canvas.getContext("2d").drawImage(page.surface, 0, 0, 160, 160);
  card.replaceChildren(canvas, Object.assign(document.createElement("div"), {
    className: "explain-text", textContent: "…" }));
  card.hidden = false;
}

function fillExplain(m) {
  const box = $("explain").querySelector(".explain-text");
  if (!box) return;
  const rows = [
    ["at (x₁, x₂)", `(${fmt(m.x)}, ${fmt(m.y)})`],
    // a class's output neuron holds its logit z itself: one row, not two equal ones
    m.z !== null && !String(m.value_label).startsWith("logit") ? ["z (weighted sum)", fmt(m.z)] : null,
    [m.value_label || "value", fmt(m.value)],
    [m.output_label, fmt(m.output)],
    [`∂ ${m.output_label} / ∂ ${m.name}`, fmt(m.gradient)],
  ].filter(Boolean);
  const table = document.createElement("table");
  for (const [k, v] of rows) {
    const tr = table.insertRow();
    tr.insertCell().textContent = k;
    tr.insertCell().textContent = v;
  }
  const formula = Object.assign(document.createElement("div"), {
    className: "formula",
    textContent: m.formula || `${m.name}: an input feature (after normalization, if on)`,
  });
  const hint = Object.assign(document.createElement("div"), {
    className: "hint", textContent: "Move the mouse over the output to choose the point; the gradient is from nerve's autograd." });
  box.replaceChildren(formula, table, hint);
  $("explain").dataset.gradient = String(m.gradient);
}

// ---------------------------------------------------------------- editing

function editNumber(ev, value, apply) {
  const box = $("edit-box");
  box.value = String(value);
  box.style.left = `${ev.pageX + 6}px`;
  box.style.top = `${ev.pageY - 12}px`;
  box.hidden = false;
  box.focus();
  box.select();
  box.onkeydown = (e) => {
    if (e.key === "Enter") {
      const v = Number.parseFloat(box.value);
      if (Number.isFinite(v)) apply(v);
      box.hidden = true;
    } else if (e.key === "Escape") box.hidden = true;
  };
  box.onblur = () => { box.hidden = true; };
}

function toggleFeature(name) {
  const now = new Set(page.state.settings.features);
  if (now.has(name)) now.delete(name);
  else now.add(name);
  send({ type: "set", settings: { features: page.features.filter((f) => now.has(f)) } });
}

// Relative changes: the server applies each click to what it has, in order, so that quick
// clicks made before the page hears back are never lost.
function changeNeurons(k, delta) {
  send({ type: "add_neurons", layer: k, delta });
}

/** The limits the server enforces, where the page states them. */
function showLimits(limits) {
  $("upload-limits").textContent = `at most ${limits.upload_rows} rows, `
    + `${Math.round(limits.upload_bytes / 1024)} KB`;
  for (const slider of document.querySelectorAll("[data-setting='n_points']")) {
    slider.max = String(limits.points);
  }
}

function showLinkNotes(notes) {
  share.showLinkNotes($("link-notes"), [...(page.linkNotes || []), ...notes]);
  page.linkNotes = [];
}

function buildHideChooser() {
  const linkFor = (hide) => page.state && page.spec
    ? window.location.origin + window.location.pathname
      + settingsHash(page.state.settings, page.spec, hide)
    : window.location.href;
  page.updateHideLink = share.buildHideChooser(
    $("hide-chooser"), share.hideChoices(page.featureInfo), page.hide, linkFor);
}

function clickChoices(data) {
  const select = $("click-class");
  const value = $("click-value");
  const regression = data.task === "regression";
  select.hidden = regression;
  value.hidden = !regression;
  // Regression has targets, not classes: no Classes control and no "point of class" text.
  $("click-what").textContent = regression ? "with the target value" : "of class";
  document.body.dataset.task = data.task;
  const previous = select.value;
  select.replaceChildren(...data.class_names.map((name, c) => Object.assign(
    document.createElement("option"), { value: String(c), textContent: `${c}: ${name}` })));
  if (previous && Number(previous) < data.class_names.length) select.value = previous;
  else if (data.class_names.length > 1) select.value = "1";
}

// ---------------------------------------------------------------- page events

$("play").addEventListener("click", () => {
  send({ type: page.state && page.state.status === "running" ? "pause" : "play" });
});
$("step").addEventListener("click", () => send({ type: "step" }));
$("link-notes-close").addEventListener("click", () => { $("link-notes").hidden = true; });
// Phones: the training settings fold away so that Play and the output fit on one screen.
$("settings-toggle").addEventListener("click", () => {
  const open = document.body.classList.toggle("settings-open");
  $("settings-toggle").setAttribute("aria-expanded", String(open));
});
$("reset").addEventListener("click", () => send({ type: "reset", keep_weights: $("keep-weights").checked }));
$("regenerate").addEventListener("click", () => send({ type: "regenerate" }));
$("add-layer").addEventListener("click", () => send({ type: "add_layers", delta: 1 }));
$("remove-layer").addEventListener("click", () => send({ type: "add_layers", delta: -1 }));
for (const format of ["safetensors", "nerve", "torch"]) {
  $(`export-${format}`).addEventListener("click", () => send({ type: "export", format }));
}
$("share").addEventListener("click", async () => {
  $("share-url").value = window.location.href;
  $("share-url").select();
  try {
    await navigator.clipboard.writeText(window.location.href);
    $("share").textContent = "Link copied";
  } catch {
    $("share").textContent = "Copy the link below";
  }
});
$("csv-file").addEventListener("change", async () => {
  const file = $("csv-file").files[0];
  if (!file) return;
  const limit = page.limits ? page.limits.upload_bytes : Infinity; // the server checks too
  if (file.size > limit) {
    showError(`${file.name} is ${Math.round(file.size / 1024)} KB; `
      + `the limit is ${Math.round(limit / 1024)} KB`);
  } else {
    send({ type: "upload_csv", name: file.name, text: await file.text() });
  }
  $("csv-file").value = "";
});

const heatmap = $("heatmap");
heatmap.addEventListener("click", (ev) => {
  if (!page.data) return;
  const [x, y] = fromEvent(heatmap, page.data.domain, ev);
  if (ev.shiftKey) send({ type: "remove_point", x, y });
  else {
    const regression = page.data.task === "regression";
    const label = regression ? Number.parseFloat($("click-value").value) || 0 : Number($("click-class").value);
    send({ type: "add_point", x, y, label });
  }
});
heatmap.addEventListener("mousemove", (ev) => {
  if (!page.data) return;
  page.probe = fromEvent(heatmap, page.data.domain, ev);
  $("probe-label").textContent = `(x₁, x₂) = (${fmt(page.probe[0])}, ${fmt(page.probe[1])})`;
  redrawOutput();
});

// A link pasted into this tab (only the hash differs) opens that set-up afresh. The page's own
// updates use history.replaceState, which fires no hashchange.
window.addEventListener("hashchange", () => window.location.reload());

connect();
