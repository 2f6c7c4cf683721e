// Step through backprop: one training example (or a mini-batch) through the network, step by
// step. Forward layer by layer (each neuron's z and a), the loss, backward layer by layer
// (∂L/∂a, ∂L/∂z, ∂L/∂w), then the update w ← w − lr·g and the new loss. Every number comes
// from the server's trace (nerve's autograd, see backprop.py); this module only lays it out.
// Keys while the panel is open: → or n next, ← or p previous, Esc closes.

import { chainRule, explainStep } from "./backprop_text.js";
import { css, diverging, el, fmt, svgEl } from "./util.js";

const COL = 130; // px between layer columns in the diagram's own coordinates
const ROW = 46; // px between neurons
const TOP = 34; // room for the layer headings
const R = 13; // neuron radius

/** The steps of a trace with L weight layers: inputs, L forward, loss, L backward, update. */
export function stepsOf(nLayers) {
  const steps = [{ phase: "forward", layer: 0 }];
  for (let l = 1; l <= nLayers; l++) steps.push({ phase: "forward", layer: l });
  steps.push({ phase: "loss", layer: nLayers });
  for (let l = nLayers; l >= 1; l--) steps.push({ phase: "backward", layer: l });
  steps.push({ phase: "update", layer: 0 });
  return steps;
}

export class Backprop {
  /** send(message) talks to the server; the panel and its opening button are in the page. */
  constructor(send) {
    this.send = send;
    this.box = document.getElementById("backprop");
    this.trace = null;
    this.step = 0;
    this.shown = 0; // which example of a mini-batch the per-neuron numbers are of
    // The weight whose chain rule is written out: null follows the backward pass (the first
    // weight of the layer it is at), a click on a line fixes it.
    this.weight = null;
    this.build();
    const open = document.getElementById("backprop-open");
    if (open) open.addEventListener("click", () => this.open());
    document.addEventListener("keydown", (ev) => this.key(ev));
  }

  build() {
    const $ = (tag, attrs, ...kids) => el(tag, attrs, ...kids);
    this.example = $("input", { type: "number", id: "bp-example", min: "0", value: "0", class: "num",
      "aria-label": "training point number" });
    this.batch = $("input", { type: "checkbox", id: "bp-batch" });
    this.prevButton = $("button", { id: "bp-prev", title: "Previous step (← or p)", text: "◀ previous" });
    this.nextButton = $("button", { id: "bp-next", title: "Next step (→ or n)", text: "next ▶" });
    this.counter = $("span", { id: "bp-counter", class: "bp-counter" });
    this.caption = $("div", { id: "bp-caption", class: "bp-caption", "aria-live": "polite" });
    this.diagram = $("div", { id: "bp-diagram", class: "bp-diagram" });
    this.numbers = $("div", { id: "bp-numbers", class: "bp-numbers" });
    this.chain = $("div", { id: "bp-chain", class: "bp-chain" });
    this.info = $("div", { id: "bp-info", class: "hint" });
    const close = $("button", { id: "bp-close", class: "bp-close", title: "Close (Esc)", "aria-label": "close", text: "×" });
    close.addEventListener("click", () => this.close());
    this.prevButton.addEventListener("click", () => this.go(this.step - 1));
    this.nextButton.addEventListener("click", () => this.go(this.step + 1));
    this.example.addEventListener("change", () => this.request());
    this.batch.addEventListener("change", () => this.request());
    const again = $("button", { id: "bp-again", title: "Trace the current weights again", text: "↻ trace again" });
    again.addEventListener("click", () => this.request());
    this.box.setAttribute("role", "dialog");
    this.box.setAttribute("aria-label", "Step through backpropagation");
    this.box.replaceChildren(
      $("div", { class: "bp-head" }, $("h2", { text: "Step through backprop" }), close),
      $("div", { class: "bp-pick" },
        $("label", {}, "training point ", this.example),
        $("label", { class: "check" }, this.batch, " the mini-batch from here"), again),
      this.info,
      $("div", { class: "bp-nav" }, this.prevButton, this.counter, this.nextButton,
        $("span", { class: "hint", text: "keys: → / n next, ← / p previous, Esc close" })),
      this.caption,
      $("div", { class: "bp-body" }, this.diagram, $("div", { class: "bp-side" }, this.chain, this.numbers)),
    );
  }

  open() {
    this.box.hidden = false;
    this.request();
  }

  close() {
    this.box.hidden = true;
  }

  request() {
    const n = Number.parseInt(this.example.value, 10);
    this.send({ type: "backprop", example: Number.isFinite(n) && n >= 0 ? n : 0, batch: this.batch.checked });
  }

  key(ev) {
    if (this.box.hidden || !this.trace) return;
    // Keys typed into a field (the example's number, a select) belong to that field.
    const target = ev.target || {};
    const typing = (target.tagName === "INPUT" && !["checkbox", "radio", "button"].includes(target.type))
      || target.tagName === "SELECT" || target.tagName === "TEXTAREA";
    if (typing || ev.ctrlKey || ev.metaKey || ev.altKey) return;
    if (ev.key === "ArrowRight" || ev.key === "n") this.go(this.step + 1);
    else if (ev.key === "ArrowLeft" || ev.key === "p") this.go(this.step - 1);
    else if (ev.key === "Escape") this.close();
    else return;
    ev.preventDefault();
  }

  /** A new trace from the server: keep the step and the chosen weight where they still fit. */
  show(trace) {
    const sameShape = this.trace && JSON.stringify(this.trace.sizes) === JSON.stringify(trace.sizes);
    this.trace = trace;
    this.steps = stepsOf(trace.sizes.length - 1);
    if (!sameShape) {
      this.step = 0;
      this.weight = null;
    }
    this.shown = 0;
    this.example.max = String(trace.n_train - 1);
    this.example.value = String(trace.examples[0]);
    const n = trace.examples.length;
    const where = trace.batch ? `a mini-batch of ${n} training points (#${trace.examples.join(", #")})`
      : `training point #${trace.examples[0]} at (${trace.points[0].map((v) => fmt(v)).join(", ")}), `
        + `target ${this.target(0)}`;
    this.info.textContent = `Weights of epoch ${trace.epoch}, ${where}. The numbers are nerve's `
      + `autograd (.grad); this look changes nothing. ${trace.notes.join(". ")}${trace.notes.length ? "." : ""}`;
    this.drawDiagram();
    this.go(this.step);
  }

  target(k) {
    const t = this.trace;
    const y = t.targets[k];
    return t.task === "regression" ? fmt(y) : `${y} (${t.class_names[y] ?? y})`;
  }

  go(step) {
    if (!this.trace) return;
    this.step = Math.max(0, Math.min(this.steps.length - 1, step));
    const s = this.steps[this.step];
    this.box.dataset.step = String(this.step);
    this.box.dataset.phase = s.phase;
    this.box.dataset.layer = String(s.layer);
    this.prevButton.disabled = this.step === 0;
    this.nextButton.disabled = this.step === this.steps.length - 1;
    this.counter.textContent = `step ${this.step + 1} of ${this.steps.length}`;
    this.caption.replaceChildren(...explainStep(this.trace, s, this.shown).map((t) => el("p", { text: t })));
    this.chosen = this.weight || { l: s.phase === "backward" ? s.layer : 1, j: 0, i: 0 };
    this.light();
    this.writeNumbers(s);
    this.writeChain();
  }

  // ------------------------------------------------------------ the diagram

  drawDiagram() {
    const t = this.trace;
    const sizes = t.sizes;
    const width = 75 + (sizes.length - 1) * COL + 75;
    const height = TOP + Math.max(...sizes) * ROW + 10;
    const svg = svgEl("svg", { viewBox: `0 0 ${width} ${height}`, class: "bp-svg", role: "img",
      "aria-label": "the network, lit step by step" });
    // As wide as the panel allows, up to 1.4x; on a phone it scrolls inside the panel
    // rather than shrinking its numbers below legibility.
    svg.style.maxWidth = `${Math.round(width * 1.4)}px`;
    svg.style.minWidth = `${Math.round(width * 0.7)}px`;
    const x = (l) => 75 + l * COL; // room on the left for the inputs' values
    const y = (l, j) => TOP + (Math.max(...sizes) - sizes[l]) * ROW / 2 + j * ROW + R;
    this.links = [];
    for (let l = 1; l < sizes.length; l++) {
      for (let j = 0; j < sizes[l]; j++) {
        for (let i = 0; i < sizes[l - 1]; i++) {
          const line = svgEl("line", { x1: String(x(l - 1) + R), y1: String(y(l - 1, i)), x2: String(x(l) - R),
            y2: String(y(l, j)), class: "bp-link", "data-layer": String(l), "data-row": String(j), "data-col": String(i) });
          // A wide transparent twin takes the clicks: a 1-px line is hard to hit.
          const hit = svgEl("line", { x1: line.getAttribute("x1"), y1: line.getAttribute("y1"),
            x2: line.getAttribute("x2"), y2: line.getAttribute("y2"), class: "bp-hit",
            "data-layer": String(l), "data-row": String(j), "data-col": String(i) });
          const title = svgEl("title");
          hit.append(title);
          hit.addEventListener("click", () => { this.weight = { l, j, i }; this.go(this.step); });
          svg.append(line, hit);
          this.links.push({ l, j, i, line, title });
        }
      }
    }
    this.nodes = [];
    sizes.forEach((n, l) => {
      const head = svgEl("text", { x: String(x(l)), y: "14", class: "bp-head-text", "text-anchor": "middle" });
      head.textContent = l === 0 ? "input" : l === sizes.length - 1 ? `output (${t.activations[l - 1]})`
        : `layer ${l} (${t.activations[l - 1]})`;
      svg.append(head);
      for (let j = 0; j < n; j++) {
        const g = svgEl("g", { class: "bp-node", "data-layer": String(l), "data-neuron": String(j) });
        const circle = svgEl("circle", { cx: String(x(l)), cy: String(y(l, j)), r: String(R) });
        const name = svgEl("text", { x: String(x(l)), y: String(y(l, j) + 4), "text-anchor": "middle", class: "bp-name" });
        // Long names (a class's logit "z[blob 0]") do not fit a circle: z0 inside, the full
        // name in the tooltip.
        const full = t.names[l][j];
        name.textContent = full.length <= 4 ? full : l === sizes.length - 1 ? `z${j}` : full.slice(0, 4);
        const tip = svgEl("title");
        tip.textContent = full;
        // The inputs' values go to their left, clear of the lines that leave them.
        const [tx, anchor] = l === 0 ? [x(l) - R - 3, "end"] : [x(l) + R + 3, "start"];
        const line1 = svgEl("text", { x: String(tx), y: String(y(l, j) - 2), class: "bp-val", "text-anchor": anchor });
        const line2 = svgEl("text", { x: String(tx), y: String(y(l, j) + 11), class: "bp-val", "text-anchor": anchor });
        g.append(tip, circle, name, line1, line2);
        svg.append(g);
        this.nodes.push({ l, j, g, circle, line1, line2 });
      }
    });
    this.diagram.replaceChildren(svg);
  }

  /** Light the current layer, show the numbers of what has been computed so far. */
  light() {
    const t = this.trace;
    const s = this.steps[this.step];
    const last = t.sizes.length - 1;
    const k = this.shown;
    const fwdDone = (l) => s.phase !== "forward" || l <= s.layer;
    const bwdDone = (l) => s.phase === "update" || (s.phase === "backward" && l >= s.layer);
    for (const n of this.nodes) {
      const layer = t.layers[n.l];
      const lit = (s.phase === "forward" || s.phase === "backward") && n.l === s.layer;
      n.g.classList.toggle("lit", lit || (s.phase === "loss" && n.l === last));
      n.g.classList.toggle("dim", !fwdDone(n.l));
      let a = "";
      let b = "";
      if (bwdDone(n.l) && n.l > 0) {
        a = layer.da ? `∂L/∂a ${fmt(layer.da[k][n.j])}` : "";
        b = `∂L/∂z ${fmt(layer.dz[k][n.j])}`;
      } else if (fwdDone(n.l)) {
        a = n.l > 0 ? `z ${fmt(layer.z[k][n.j])}` : "";
        b = n.l > 0 && t.task === "multiclass" && n.l === last ? `p ${fmt(layer.p[k][n.j])}`
          : `a ${fmt(layer.a[k][n.j])}`;
        if (n.l === 0) [a, b] = [b, ""];
      }
      n.line1.textContent = a;
      n.line2.textContent = b;
      const v = bwdDone(n.l) && n.l > 0 ? layer.dz[k][n.j] : fwdDone(n.l) ? layer.a[k][n.j] : 0;
      n.circle.setAttribute("fill", css(diverging(Math.tanh(v))));
    }
    const gmax = Math.max(1e-12, ...t.params.flatMap((p) => p.gw.flat().map(Math.abs)));
    for (const link of this.links) {
      const p = t.params[link.l - 1];
      const w = p.w[link.j][link.i];
      const g = p.gw[link.j][link.i];
      const backward = bwdDone(link.l);
      const value = backward ? Math.sign(g) : Math.sign(w);
      const size = backward ? 0.6 + 5 * Math.abs(g) / gmax : 0.5 + Math.min(4, Math.abs(w) * 1.5);
      link.line.setAttribute("stroke", css(diverging(value)));
      link.line.setAttribute("stroke-width", String(size));
      link.line.classList.toggle("lit", (s.phase === "forward" || s.phase === "backward") && link.l === s.layer);
      link.line.classList.toggle("dim", !fwdDone(link.l));
      const selected = link.l === this.chosen.l && link.j === this.chosen.j && link.i === this.chosen.i;
      link.line.classList.toggle("selected", selected);
      link.title.textContent = `w = ${fmt(w)}, ∂L/∂w = ${fmt(g)} (${t.names[link.l - 1][link.i]} → `
        + `${t.names[link.l][link.j]}); click to write out its chain rule`;
    }
  }

  // ------------------------------------------------------------ the numbers beside it

  writeNumbers(s) {
    const t = this.trace;
    const k = this.shown;
    const table = el("table", { class: "bp-table" });
    const row = (cells, head = false) => {
      const tr = table.insertRow();
      for (const c of cells) tr.append(el(head ? "th" : "td", { text: c }));
    };
    if (s.phase === "forward" && s.layer === 0) {
      row(["input", "value"], true);
      t.names[0].forEach((name, j) => row([name, fmt(t.layers[0].a[k][j], 4)]));
    } else if (s.phase === "forward" || s.phase === "loss") {
      const layer = t.layers[s.layer];
      const out = t.task === "multiclass" && s.layer === t.sizes.length - 1;
      row(["neuron", "z", out ? "p (softmax)" : "a"], true);
      t.names[s.layer].forEach((name, j) => row([name, fmt(layer.z[k][j], 4),
        fmt(out ? layer.p[k][j] : layer.a[k][j], 4)]));
    } else if (s.phase === "backward") {
      const layer = t.layers[s.layer];
      row(["neuron", "∂L/∂a", "f′(z)", "∂L/∂z", "∂L/∂b"], true);
      t.names[s.layer].forEach((name, j) => row([name, layer.da ? fmt(layer.da[k][j], 4) : "–",
        layer.fprime ? fmt(layer.fprime[k][j], 4) : "–", fmt(layer.dz[k][j], 4),
        fmt(t.params[s.layer - 1].gb[j], 4)]));
    } else {
      row(["", "before", "after"], true);
      row(["loss L", fmt(t.total, 5), fmt(t.new_total, 5)]);
    }
    const parts = [table];
    if (t.batch) {
      const select = el("select", { id: "bp-shown", "aria-label": "example shown" },
        ...t.examples.map((e, n) => el("option", { value: String(n), text: `#${e} (target ${this.target(n)})` })));
      select.value = String(this.shown);
      select.addEventListener("change", () => { this.shown = Number(select.value); this.go(this.step); });
      parts.unshift(el("label", { class: "hint" }, "numbers of example ", select));
    }
    this.numbers.replaceChildren(...parts);
  }

  writeChain() {
    const s = this.steps[this.step];
    const { l, j, i } = this.chosen;
    // The chain rule of a weight is known once the backward pass has reached its layer.
    const ready = s.phase === "update" || (s.phase === "backward" && l >= s.layer);
    const lines = chainRule(this.trace, this.chosen, this.shown, s.phase === "update");
    const name = `w = ${this.trace.names[l - 1][i]} → ${this.trace.names[l][j]}`;
    this.chain.dataset.weight = `${l}:${j}:${i}`;
    this.chain.dataset.ready = ready ? "1" : "0";
    this.chain.replaceChildren(
      el("div", { class: "bp-chain-head", text: `Chain rule for the selected weight (${name}); click a line to pick another` }),
      ...(ready ? lines.map((text) => el("div", { class: "formula", text }))
        : [el("div", { class: "hint", text: "Step on: its ∂L/∂w is known when the backward pass reaches its layer." })]),
    );
  }
}
