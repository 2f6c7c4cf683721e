// The set-up in the URL: a teacher shares a link, a class opens the same playground.
//
// Settings travel in the hash (#dataset=spiral&hidden=8,8&lr=0.03 ...), read from the query
// string too (?dataset=...). Only values that differ from the defaults are written, plus the
// data seed and the weights seed, so that a link reproduces the same points and weights.
// hide=optimizer,loss hides controls (their data-control names, or setting names).

const ALWAYS = ["dataset", "seed", "init_seed"];
// Keys of the page's modes, read by tutorial.js: not settings, and kept in the address.
const PAGE_KEYS = ["tutorial", "hideText"];

function parseValue(kind, text) {
  switch (kind) {
    case "int": return Number.parseInt(text, 10);
    case "float": return Number.parseFloat(text);
    case "bool": return text === "1" || text === "true";
    case "ints":
    case "pair": return text === "" ? [] : text.split(",").map((t) => Number.parseInt(t, 10));
    case "choices": return text === "" ? [] : text.split(",");
    default: return text;
  }
}

function formatValue(kind, value) {
  if (kind === "bool") return value ? "1" : "0";
  if (Array.isArray(value)) return value.join(",");
  return String(value);
}

function same(a, b) {
  return JSON.stringify(a) === JSON.stringify(b);
}

/** Settings, hidden controls and problems found in the page's URL. */
export function readUrl(spec) {
  const params = new URLSearchParams(window.location.search);
  const hash = new URLSearchParams(window.location.hash.replace(/^#/, ""));
  for (const [key, value] of hash) params.set(key, value);
  const settings = {};
  const unknown = [];
  let hide = [];
  for (const [key, value] of params) {
    if (key === "hide") hide = value.split(",").map((s) => s.trim()).filter(Boolean);
    else if (PAGE_KEYS.includes(key)) continue;
    else if (key in spec) settings[key] = parseValue(spec[key].kind, value);
    else unknown.push(key);
  }
  return { settings, hide, unknown };
}

/** The hash for the current settings (and the hide list, kept from the opening URL). */
export function settingsHash(settings, spec, hide) {
  const params = new URLSearchParams();
  for (const [key, entry] of Object.entries(spec)) {
    if (!(key in settings)) continue;
    if (ALWAYS.includes(key) || !same(settings[key], entry.default)) {
      params.set(key, formatValue(entry.kind, settings[key]));
    }
  }
  if (hide.length) params.set("hide", hide.join(","));
  const { search, hash } = window.location;
  for (const source of [new URLSearchParams(search), new URLSearchParams(hash.replace(/^#/, ""))]) {
    for (const key of PAGE_KEYS) if (source.has(key)) params.set(key, source.get(key));
  }
  return "#" + params.toString().replaceAll("%2C", ",");
}

/** Keep the address bar in step with the settings, without adding history entries. */
export function writeUrl(settings, spec, hide) {
  const hash = settingsHash(settings, spec, hide);
  if (hash !== window.location.hash) {
    window.history.replaceState(null, "", window.location.pathname + hash);
  }
}

/** Hide the controls a teacher listed: by data-control name or by setting name. */
export function applyHide(hide) {
  for (const name of hide) {
    const safe = CSS.escape(name);
    for (const node of document.querySelectorAll(
      `[data-control="${safe}"], label:has([data-setting="${safe}"])`,
    )) {
      node.hidden = true;
    }
  }
}
