// The page's controls and the session's settings, kept in step in both directions.
//
// Every control that changes a setting carries data-setting="<name>"; changing it sends
// {"type": "set", "settings": {name: value}} with the value parsed by the setting's kind
// (from the server's hello). Each state message writes the validated settings back, so the
// controls always show what the server really uses.

import { drawThumbnail } from "./plots.js";
import { el } from "./util.js";

/** A control's value as the setting's kind. */
function parse(kind, control) {
  if (control.type === "checkbox") return control.checked;
  if (kind === "int") return Number.parseInt(control.value, 10);
  if (kind === "float") return Number.parseFloat(control.value);
  return control.value;
}

/** Make sure a <select> can show a value that is not among its options (e.g. from a URL). */
function ensureOption(select, value) {
  const text = String(value);
  if (![...select.options].some((o) => o.value === text)) {
    select.append(el("option", { value: text, text }));
  }
}

export class Controls {
  constructor(send) {
    this.send = send;
    this.spec = {};
    this.datasetNames = { classification: [], regression: [] }; // from the server's hello
    for (const control of document.querySelectorAll("[data-setting]")) {
      // "typing": edited but not yet committed (Enter or leaving the field sends it); only
      // then does the field keep its text against a state message.
      control.addEventListener("input", () => { control.dataset.typing = "1"; });
      control.addEventListener("change", () => {
        delete control.dataset.typing;
        this.changed(control);
      });
      if (control.type === "range") {
        control.addEventListener("input", () => this.showValue(control.dataset.setting, control.value));
      }
    }
  }

  changed(control) {
    const name = control.dataset.setting;
    const entry = this.spec[name];
    if (!entry) return;
    const value = parse(entry.kind, control);
    if (typeof value === "number" && !Number.isFinite(value)) {
      if (this.settings) this.sync(this.settings, true); // not a number: back to the used value
      return;
    }
    this.send({ type: "set", settings: { [name]: value } });
  }

  showValue(name, value) {
    for (const node of document.querySelectorAll(`[data-show="${name}"]`)) {
      node.textContent = name === "noise" ? `${value}%` : String(value);
    }
  }

  /** Show the server's settings in every control: the values it really uses (rounded,
   * clamped), and after an error the value it kept. ``force`` also resets a field that is
   * being typed in. */
  sync(settings, force = false) {
    this.settings = settings;
    for (const control of document.querySelectorAll("[data-setting]")) {
      const name = control.dataset.setting;
      if (!(name in settings)) continue;
      if (control.dataset.typing && !force) continue;
      delete control.dataset.typing;
      const value = settings[name];
      if (control.type === "checkbox") control.checked = Boolean(value);
      else {
        if (control.tagName === "SELECT") ensureOption(control, value);
        control.value = String(value);
      }
      this.showValue(name, value);
    }
  }

  /** The data set buttons, with a preview each; the CSV button once a CSV is loaded. */
  datasets(box, settings, csvName, previews = {}) {
    // Redrawn when the data set, the upload or the previews (noise, classes, seed) change.
    const key = `${settings.problem}:${settings.dataset}:${csvName}:${settings.noise}:`
      + `${settings.classes}:${settings.seed}:${Object.keys(previews).join()}`;
    if (box.dataset.key === key) return;
    box.dataset.key = key;
    box.replaceChildren();
    const names = this.datasetNames[settings.problem] || [];
    const all = csvName ? [...names, "csv"] : names;
    for (const name of all) {
      const canvas = el("canvas", { width: "54", height: "54" });
      drawThumbnail(canvas, name, previews[name]);
      const label = name === "csv" ? csvName : name;
      const button = el("button", {
        "data-dataset": name,
        "aria-pressed": String(settings.dataset === name),
        title: label,
      }, canvas, el("span", { text: label }));
      button.addEventListener("click", () => this.send({ type: "set", settings: { dataset: name } }));
      box.append(button);
    }
  }

  /** The hidden-space view's layer and neuron choices. */
  hiddenView(settings, sizes) {
    const layers = sizes.length - 2;
    const layerSelect = document.getElementById("view-layer");
    const wanted = ["0", ...Array.from({ length: layers }, (_, k) => String(k + 1))].join();
    if (layerSelect.dataset.options !== wanted) {
      layerSelect.dataset.options = wanted;
      layerSelect.replaceChildren(el("option", { value: "0", text: "last hidden" }),
        ...Array.from({ length: layers }, (_, k) => el("option", { value: String(k + 1), text: `hidden ${k + 1}` })));
    }
    layerSelect.value = String(settings.view_layer <= layers ? settings.view_layer : 0);
    const chosen = settings.view_layer >= 1 && settings.view_layer <= layers ? settings.view_layer : layers;
    const width = layers > 0 ? sizes[chosen] : 0;
    const box = document.getElementById("view-neurons");
    box.hidden = settings.view !== "neurons" || width <= 2;
    ["view-n1", "view-n2"].forEach((id, k) => {
      const select = document.getElementById(id);
      select.replaceChildren(...Array.from({ length: width }, (_, j) => el("option", { value: String(j), text: String(j + 1) })));
      select.value = String(Math.min(settings.view_neurons[k], Math.max(width - 1, 0)));
      select.onchange = () => {
        const pair = [Number(document.getElementById("view-n1").value), Number(document.getElementById("view-n2").value)];
        this.send({ type: "set", settings: { view_neurons: pair } });
      };
    });
  }
}
