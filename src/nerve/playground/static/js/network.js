// The network diagram: input features, hidden layers and outputs as small heatmaps, weights as
// lines (colour = sign, width = size), biases as small squares. Features toggle on click,
// weights and biases are edited on click, and hovering a neuron asks the server to explain it.

import { css, diverging, el, fmt, mix, paintGrid, svgEl, units, CLASS_COLORS } from "./util.js";

// Node size and row distance in pixels: full size up to 8 neurons a layer, smaller beyond so
// that 32 neurons still fit on a screen.
let NODE = 34;
let ROW = 48;
const TOP = 64; // room for the layer headings
const COLUMN = 92; // the least distance between two layers (their heads are 90 px wide)
const WHITE = [255, 255, 255];
// How to paint a switched-off feature's small heatmap; the list of features and their labels
// come from the server's hello (a feature missing here is drawn blank).
const FEATURE_FN = {
  x1: (a) => a, x2: (a, b) => b, x1sq: (a) => a * a, x2sq: (a, b) => b * b,
  x1x2: (a, b) => a * b, sin_x1: (a) => Math.sin(Math.PI * a), sin_x2: (a, b) => Math.sin(Math.PI * b),
};
const ACTIVATION_NAMES = {
  relu: "ReLU", tanh: "Tanh", sigmoid: "Sigmoid", linear: "Linear", leaky_relu: "LeakyReLU",
  elu: "ELU", gelu: "GELU", silu: "SiLU",
};

export class NetworkView {
  /**
   * container: the #network element; handlers: toggleFeature(name), editWeight(l, j, i, w, ev),
   * editBias(l, j, b, ev), hover(l, j, node), leave(), addNeuron(k), removeNeuron(k),
   * setActivation(k, name).
   */
  constructor(container, handlers) {
    this.box = container;
    this.on = handlers;
    this.nodes = new Map(); // "l:j" -> {node, canvas, bias}
    this.links = new Map(); // "l:j:i" -> path
    this.maps = new Map(); // "l:j" -> values of the neuron's heatmap
    this.structureKey = "";
    this.features = []; // the input features' names, in the server's order
    this.labels = {}; // name -> label (x1 -> x₁)
    this.hidden = []; // hide=... of the link: "features" locks the column, a name hides one
  }

  /** What a teacher's link hides: "features" (no toggling; unused features not shown) or
   * single features by name (not shown while unused, not toggled). */
  setHidden(hide) {
    this.hidden = hide;
    this.structureKey = "";
  }

  featureLocked(name) {
    return this.hidden.includes("features") || this.hidden.includes(name);
  }

  /** The input features from the server's hello: [{name, label}]. */
  setFeatures(features) {
    this.features = features.map((f) => f.name);
    // The server writes x1, x2; subscripts read better beside the nodes.
    this.labels = Object.fromEntries(features.map((f) => [f.name, f.label.replace(/x([12])/g,
      (_, d) => `x${d === "1" ? "₁" : "₂"}`)]));
    this.structureKey = "";
  }

  /** Rebuild the diagram when the structure (features, layer sizes, activations) changed. */
  render(state, domain) {
    const s = state.settings;
    const key = JSON.stringify([
      s.features, state.network.sizes, s.activations, state.network.output_activation, domain,
    ]);
    if (key === this.structureKey) return;
    this.structureKey = key;
    this.state = state;
    this.domain = domain;
    this.box.replaceChildren();
    this.nodes.clear();
    this.links.clear();
    const sizes = state.network.sizes;
    const nLayers = sizes.length; // inputs, hidden..., outputs
    const rows = Math.max(this.features.length, ...sizes);
    [NODE, ROW] = rows > 8 ? [22, rows > 16 ? 26 : 32] : [34, 48];
    // Many layers widen the diagram beyond its column, which then scrolls sideways.
    const width = Math.max(this.box.clientWidth || 560, 420, 150 + (nLayers - 1) * COLUMN);
    this.colX = (c) => 40 + (c * (width - 150)) / Math.max(nLayers - 1, 1);
    const height = TOP + rows * ROW + 20;
    this.box.style.height = `${height}px`;
    this.svg = svgEl("svg", { width: String(width), height: String(height) });
    this.box.append(this.svg);
    this.drawFeatures(s.features);
    for (let l = 1; l < nLayers; l++) this.drawLayer(l, sizes[l], l === nLayers - 1, state);
    for (let l = 1; l < nLayers; l++) this.drawLinks(l, sizes, s.features);
  }

  featureRow(l, i, features) {
    // Layer 0's neuron i is the i-th *enabled* feature, drawn at its place in the full list.
    return l === 0 ? this.features.indexOf(features[i]) : i;
  }

  center(l, row) {
    return [this.colX(l) + NODE / 2, TOP + row * ROW + NODE / 2];
  }

  drawFeatures(enabled) {
    const x = this.colX(0);
    this.box.append(el("div", { class: "layer-head", text: "FEATURES" }));
    this.box.lastChild.style.left = `${x - 28}px`;
    this.box.lastChild.style.top = "4px";
    this.features.forEach((name, row) => {
      const on = enabled.includes(name);
      const locked = this.featureLocked(name);
      if (locked && !on) return; // a hidden feature is not offered
      const canvas = el("canvas", { width: "25", height: "25" });
      const node = el("div", {
        class: `node feature${on ? "" : " off"}`,
        "data-feature": name,
        "data-layer": "0",
        "data-neuron": on ? String(enabled.indexOf(name)) : "",
        title: locked ? this.labels[name] : `${this.labels[name]}: click to ${on ? "turn off" : "use"}`,
      }, canvas);
      node.style.width = node.style.height = `${NODE}px`;
      if (locked) node.classList.add("locked");
      this.place(node, x, TOP + row * ROW);
      if (!locked) node.addEventListener("click", () => this.on.toggleFeature(name));
      const label = el("div", { class: "node-label", text: this.labels[name] });
      this.place(label, x - 62, TOP + row * ROW + 10);
      label.style.width = "56px";
      label.style.textAlign = "right";
      this.box.append(node, label);
      if (on) {
        const j = enabled.indexOf(name);
        this.nodes.set(`0:${j}`, { node, canvas });
        node.addEventListener("mouseenter", () => this.on.hover(0, j, node));
        node.addEventListener("mouseleave", () => this.on.leave());
      } else {
        this.paintFeature(canvas, name);
      }
    });
  }

  paintFeature(canvas, name) {
    const [x0, x1, y0, y1] = this.domain || [-1.3, 1.3, -1.3, 1.3];
    const f = FEATURE_FN[name] || (() => 0);
    paintGrid(canvas, 25, (i) => {
      const a = x0 + ((i % 25) / 24) * (x1 - x0);
      const b = y1 - (Math.floor(i / 25) / 24) * (y1 - y0);
      return diverging(f(a, b));
    });
  }

  drawLayer(l, size, isOutput, state) {
    const x = this.colX(l);
    if (!isOutput) this.drawLayerHead(l, size, state.settings.activations[l - 1], x);
    else {
      const head = el("div", { class: "layer-head", text: `OUTPUT (${state.network.output_activation})` });
      this.place(head, x - 28, 4);
      this.box.append(head);
    }
    for (let j = 0; j < size; j++) {
      const canvas = el("canvas", { width: "25", height: "25" });
      const bias = el("div", { class: "bias", "data-layer": String(l), "data-neuron": String(j) });
      const node = el("div", {
        class: `node${isOutput ? " output" : ""}`,
        "data-layer": String(l),
        "data-neuron": String(j),
      }, canvas, bias);
      node.style.width = node.style.height = `${NODE}px`;
      if (isOutput && state.task === "multiclass") {
        node.style.borderLeft = `5px solid ${css(CLASS_COLORS[j % CLASS_COLORS.length])}`;
      }
      this.place(node, x, TOP + j * ROW);
      node.addEventListener("mouseenter", () => this.on.hover(l, j, node));
      node.addEventListener("mouseleave", () => this.on.leave());
      bias.addEventListener("click", (ev) => {
        ev.stopPropagation();
        this.on.editBias(l, j, Number(bias.dataset.value || 0), ev);
      });
      this.box.append(node);
      const entry = { node, canvas, bias };
      if (isOutput) {
        entry.biasText = el("div", { class: "bias-text", "data-output-bias": String(j) });
        this.place(entry.biasText, x + NODE + 6, TOP + j * ROW + 10);
        entry.biasText.addEventListener("click", (ev) => this.on.editBias(l, j, Number(bias.dataset.value || 0), ev));
        this.box.append(entry.biasText);
      }
      this.nodes.set(`${l}:${j}`, entry);
    }
  }

  drawLayerHead(l, size, activation, x) {
    const k = l - 1;
    const plus = el("button", { title: "Add a neuron", "data-action": "add-neuron", "data-layer": String(k), text: "+" });
    const minus = el("button", { title: "Remove a neuron", "data-action": "remove-neuron", "data-layer": String(k), text: "−" });
    plus.addEventListener("click", () => this.on.addNeuron(k));
    minus.addEventListener("click", () => this.on.removeNeuron(k));
    const select = el("select", { "data-layer-activation": String(k), title: "Activation of this layer" },
      ...Object.entries(ACTIVATION_NAMES).map(([v, t]) => el("option", { value: v, text: t })));
    select.value = activation;
    select.addEventListener("change", () => this.on.setActivation(k, select.value));
    const head = el("div", { class: "layer-head" }, el("div", {}, plus, " ", minus),
      el("div", { text: `${size} neuron${size > 1 ? "s" : ""}` }), select);
    this.place(head, x - 28, 0);
    this.box.append(head);
  }

  drawLinks(l, sizes, features) {
    for (let j = 0; j < sizes[l]; j++) {
      for (let i = 0; i < sizes[l - 1]; i++) {
        const [xa, ya] = this.center(l - 1, this.featureRow(l - 1, i, features));
        const [xb, yb] = this.center(l, j);
        const x1 = xa + NODE / 2;
        const x2 = xb - NODE / 2;
        const mid = (x1 + x2) / 2;
        const d = `M${x1},${ya} C${mid},${ya} ${mid},${yb} ${x2},${yb}`;
        const attrs = { "data-layer": String(l), "data-row": String(j), "data-col": String(i) };
        const path = svgEl("path", { class: "link", d, ...attrs });
        const hit = svgEl("path", { class: "link link-hit", d, stroke: "transparent", "stroke-width": "9", ...attrs });
        const title = svgEl("title");
        hit.append(title);
        hit.addEventListener("click", (ev) => this.on.editWeight(l, j, i, Number(path.dataset.value || 0), ev));
        this.svg.append(path, hit);
        this.links.set(`${l}:${j}:${i}`, { path, title });
      }
    }
  }

  place(node, x, y) {
    node.style.left = `${x}px`;
    node.style.top = `${y}px`;
  }

  /** Heatmaps, weights and biases of a new frame. */
  update(frame, outputCanvas) {
    if (!this.state) return;
    const names = this.state.network.names;
    (frame.neurons || []).forEach((layer, l) => layer.forEach((b64, j) => {
      const entry = this.nodes.get(`${l}:${j}`);
      if (!entry) return;
      const values = units(b64);
      this.maps.set(`${l}:${j}`, values);
      paintGrid(entry.canvas, 25, (i) => diverging(values[i]));
    }));
    // Each output neuron shows its own output: for k classes, its class's probability
    // (white to the class colour); else P(class 1) or the value on the diverging scale.
    const last = this.state.network.sizes.length - 1;
    const multi = this.state.task === "multiclass";
    (frame.outputs || []).forEach((raw, j) => {
      const entry = this.nodes.get(`${last}:${j}`);
      if (!entry) return;
      const colour = CLASS_COLORS[j % CLASS_COLORS.length];
      const values = multi ? Array.from(raw, (q) => q / 255) : units(raw);
      this.maps.set(`${last}:${j}`, multi ? values.map((p) => 2 * p - 1) : values);
      paintGrid(entry.canvas, 25, (i) => (multi ? mix(WHITE, colour, values[i]) : diverging(values[i])));
    });
    // float32 bytes (little-endian, as every browser's Float32Array): rows are neurons
    // shown with 6 digits: a float32 0.1 is 0.100000001490116 in full
    const f32 = (raw) => Array.from(
      new Float32Array(raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.byteLength)),
      (v) => Number(v.toPrecision(6)));
    (frame.weights || []).forEach((layer, k) => {
      const l = k + 1;
      const [rows, cols] = layer.shape;
      const flat = f32(layer.w);
      const w = Array.from({ length: rows }, (_, j) => flat.slice(j * cols, (j + 1) * cols));
      const b = f32(layer.b);
      w.forEach((row, j) => row.forEach((value, i) => {
        const link = this.links.get(`${l}:${j}:${i}`);
        if (!link) return;
        link.path.dataset.value = String(value);
        link.path.setAttribute("stroke", css(diverging(Math.sign(value))));
        link.path.setAttribute("stroke-width", String(Math.min(8, 0.5 + Math.abs(value) * 1.6)));
        link.path.setAttribute("stroke-opacity", String(Math.min(1, 0.35 + Math.abs(value) / 2)));
        link.title.textContent = `w = ${fmt(value)} (${names[l - 1][i]} → ${names[l][j]}); click to edit`;
      }));
      b.forEach((value, j) => {
        const entry = this.nodes.get(`${l}:${j}`);
        if (!entry) return;
        entry.bias.dataset.value = String(value);
        entry.bias.style.background = css(diverging(Math.sign(value) * Math.min(1, Math.abs(value))));
        entry.bias.title = `bias of ${names[l][j]} = ${fmt(value)}; click to edit`;
        if (entry.biasText) entry.biasText.textContent = `bias ${fmt(value)}`;
      });
    });
  }

  /** How a neuron's map values in [-1, 1] are coloured: a class's output neuron goes from
   * white to its class colour (its probability), every other neuron orange-white-blue. */
  colorOf(l, j) {
    const last = this.state ? this.state.network.sizes.length - 1 : -1;
    if (l === last && this.state.task === "multiclass") {
      const colour = CLASS_COLORS[j % CLASS_COLORS.length];
      return (v) => mix(WHITE, colour, (v + 1) / 2);
    }
    return diverging;
  }

  /** The heatmap values of a neuron (for the enlarged view), or null. */
  mapOf(l, j) {
    return this.maps.get(`${l}:${j}`) || null;
  }
}
