// Tutorial and embed mode, as TensorFlow Playground has: a lesson's text beside the tool, and
// hideText for embedding the tool alone.
//
// A lesson is a link: its set-up travels in the same keys a shared link uses (dataset, hidden,
// lr ...), plus tutorial=<lesson id>; hideText=1 hides the lesson and the page's explanations.
// Opening a lesson sets the address's hash, and the page reloads with that set-up (app.js
// reloads on a pasted link). The lessons themselves are in /static/lessons.json; their text is
// shown as text (textContent), never as markup.

import { el } from "./util.js";

const KEYS = ["tutorial", "hideText"]; // the keys this module reads (url.js leaves them alone)

/** tutorial and hideText from the page's address (hash first, then the query string). */
export function readTutorial(location = window.location) {
  const query = new URLSearchParams(location.search);
  const hash = new URLSearchParams(location.hash.replace(/^#/, ""));
  const get = (key) => (hash.has(key) ? hash.get(key) : query.get(key));
  const hide = get("hideText");
  // A bare lesson link (#tutorial=loss) carries no set-up: the lesson's own is filled in.
  const others = [...query.keys(), ...hash.keys()].filter((k) => !KEYS.includes(k) && k !== "hide");
  return { lesson: get("tutorial"), hideText: hide === "1" || hide === "true", bare: !others.length };
}

/** The hash that opens `lesson`: its set-up as link keys, then tutorial (and hideText). */
export function lessonHash(lesson, hideText) {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(lesson.setup)) {
    let text = String(value);
    if (Array.isArray(value)) text = value.join(",");
    else if (typeof value === "boolean") text = value ? "1" : "0";
    params.set(key, text);
  }
  params.set("tutorial", lesson.id);
  if (hideText) params.set("hideText", "1");
  return `#${params.toString().replaceAll("%2C", ",")}`;
}

class Tutorial {
  constructor() {
    this.box = document.getElementById("tutorial");
    this.lessons = [];
    this.opts = readTutorial();
    document.body.classList.toggle("hide-text", this.opts.hideText);
    const open = document.getElementById("lessons-open");
    if (open) open.addEventListener("click", () => this.openList());
  }

  async load() {
    if (!this.lessons.length) {
      const response = await fetch("/static/lessons.json");
      if (!response.ok) throw new Error(`lessons.json: HTTP ${response.status}`);
      this.lessons = (await response.json()).lessons;
    }
    return this.lessons;
  }

  async start() {
    if (!this.box || !this.opts.lesson) return;
    await this.load();
    const index = this.lessons.findIndex((l) => l.id === this.opts.lesson);
    if (index < 0) {
      this.render(null, `There is no lesson "${this.opts.lesson}".`);
      return;
    }
    if (this.opts.bare) this.go(index); // reloads with the lesson's set-up
    else this.render(index);
  }

  /** The lesson list alone, when the learner asks for lessons without being in one. */
  async openList() {
    await this.load();
    if (!this.box.hidden && this.current === undefined) {
      this.box.hidden = true;
      document.body.classList.remove("with-tutorial");
      return;
    }
    this.render(this.current ?? null, "Pick a lesson: each one sets up the playground for you.");
  }

  go(index) {
    // A new hash alone is a same-page navigation: reload, so that the page opens the link
    // afresh (app.js does the same on hashchange, which may not be listening yet).
    window.location.hash = lessonHash(this.lessons[index], this.opts.hideText);
    window.location.reload();
  }

  render(index, message = "") {
    this.current = index ?? undefined;
    const lesson = index === null ? null : this.lessons[index];
    const select = el("select", { id: "tut-select", "aria-label": "lesson" },
      el("option", { value: "", text: "All lessons…" }),
      ...this.lessons.map((l, k) => el("option", { value: String(k), text: `${k + 1}. ${l.title}` })));
    select.value = lesson ? String(index) : "";
    select.addEventListener("change", () => { if (select.value !== "") this.go(Number(select.value)); });
    const nav = el("div", { class: "tut-nav" });
    if (lesson && index > 0) {
      nav.append(el("button", { id: "tut-prev", text: `◀ ${this.lessons[index - 1].title}`,
        onclick: () => this.go(index - 1) }));
    }
    nav.append(select);
    if (lesson && index < this.lessons.length - 1) {
      nav.append(el("button", { id: "tut-next", text: `${this.lessons[index + 1].title} ▶`,
        onclick: () => this.go(index + 1) }));
    }
    if (!lesson) {
      nav.append(el("button", { id: "tut-first", text: "Start with lesson 1", onclick: () => this.go(0) }));
    }
    nav.append(el("button", { id: "tut-close", text: "Close", onclick: () => this.close() }));
    const children = [];
    if (lesson) {
      children.push(el("div", { class: "tut-head" }, el("h2", { text: lesson.title }),
        el("span", { class: "tut-count", text: `Lesson ${index + 1} of ${this.lessons.length}` })));
      const body = el("div", { class: "tut-body" }, ...lesson.text.map((t) => el("p", { text: t })));
      body.append(el("div", { class: "tut-tasks" }, el("p", { class: "tut-try", text: "Try this:" }),
        el("ul", {}, ...lesson.try.map((t) => el("li", { text: t })))));
      if (lesson.action === "backprop") {
        body.append(el("p", {}, el("button", { id: "tut-backprop", text: "Step through backprop",
          onclick: () => document.getElementById("backprop-open")?.click() })));
      }
      children.push(body);
    }
    if (message) children.push(el("p", { class: "hint", text: message }));
    children.push(nav);
    this.box.replaceChildren(...children);
    this.box.dataset.lesson = lesson ? lesson.id : "";
    this.box.hidden = false;
    document.body.classList.add("with-tutorial");
  }

  close() {
    this.box.hidden = true;
    this.current = undefined;
    document.body.classList.remove("with-tutorial");
    // Leave the lesson: the set-up stays, the tutorial keys go from the address.
    const hash = new URLSearchParams(window.location.hash.replace(/^#/, ""));
    for (const key of KEYS) hash.delete(key);
    window.history.replaceState(null, "", `${window.location.pathname}#${hash.toString().replaceAll("%2C", ",")}`);
  }
}

export const tutorial = new Tutorial();
tutorial.start().catch((err) => {
  if (tutorial.box) {
    tutorial.box.hidden = false;
    tutorial.box.textContent = `The lessons could not be loaded (${err.message}).`;
  }
});
