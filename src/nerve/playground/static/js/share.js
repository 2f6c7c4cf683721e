// Links for a class: what a shared link could not use, and a chooser that builds a link with
// controls hidden (as TensorFlow Playground's checkbox list does).
//
// A teacher ticks the controls the class should not touch; the link below then carries
// hide=name,name... (data-control names of the page, "features" for the whole feature
// column, or one feature's name such as x1x2). The notes about a link stay on screen until the
// learner dismisses them: a message that vanishes after a few seconds is easily missed.

import { el } from "./util.js";

/** The notes the server (or the page) made about a link; hidden when there are none. */
export function showLinkNotes(box, notes) {
  const list = box.querySelector("ul");
  list.replaceChildren(...notes.map((text) => el("li", { text })));
  box.hidden = notes.length === 0;
  box.dataset.count = String(notes.length);
}

/** Names that hide=... understands, each with a readable label, in the page's order. */
export function hideChoices(features) {
  const seen = new Set();
  const choices = [];
  for (const node of document.querySelectorAll("[data-control]")) {
    const name = node.dataset.control;
    if (seen.has(name) || name === "share" || name === "hide_chooser") continue;
    seen.add(name);
    choices.push({ name, label: name.replaceAll("_", " ") });
  }
  choices.push({ name: "features", label: "switching features on and off" });
  for (const f of features) choices.push({ name: f.name, label: `feature ${f.label}` });
  return choices;
}

/**
 * Fill the chooser with one checkbox per hideable name; ticking one rewrites the link.
 * linkFor(hide) returns the page's address for the current set-up with that hide list.
 */
export function buildHideChooser(box, choices, hidden, linkFor) {
  const list = box.querySelector(".hide-list");
  const output = box.querySelector("#hide-link");
  const update = () => {
    const hide = [...list.querySelectorAll("input:checked")].map((input) => input.value);
    output.value = linkFor(hide);
  };
  list.replaceChildren(...choices.map(({ name, label }) => {
    const input = el("input", { type: "checkbox", value: name, "data-hide": name });
    input.checked = hidden.includes(name);
    input.addEventListener("change", update);
    return el("label", { class: "check" }, input, ` ${label}`);
  }));
  box.onToggle = update;
  update();
  return update;
}
