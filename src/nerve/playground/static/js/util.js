// Small helpers shared by the playground's modules: colours, decoding, formatting, DOM.

export const NEG = [245, 147, 34]; // orange: negative values, class 0
export const POS = [8, 119, 189]; // blue: positive values, class 1
const MID = [232, 234, 235]; // near white: zero
// Class colours: the first two match the binary colours, then distinct hues.
export const CLASS_COLORS = [
  NEG, POS, [44, 160, 44], [148, 103, 189], [214, 39, 40], [140, 86, 75], [227, 119, 194],
  [127, 127, 127],
];

/** Mix two RGB colours: t = 0 gives a, t = 1 gives b. */
export function mix(a, b, t) {
  return [0, 1, 2].map((i) => Math.round(a[i] + (b[i] - a[i]) * t));
}

/** The diverging colour of a value in [-1, 1]: orange, white, blue. */
export function diverging(v) {
  const t = Math.max(-1, Math.min(1, Number.isFinite(v) ? v : 0));
  return t < 0 ? mix(MID, NEG, -t) : mix(MID, POS, t);
}

export function css(rgb, alpha = 1) {
  return `rgba(${rgb[0]},${rgb[1]},${rgb[2]},${alpha})`;
}

/** Bytes of a base64 string (the exports), or the bytes themselves (a binary frame's). */
export function bytes(b64) {
  if (b64 instanceof Uint8Array) return b64;
  const text = atob(b64);
  const out = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) out[i] = text.charCodeAt(i);
  return out;
}

/** Values in [-1, 1] from the server's 0..255 quantisation. */
export function units(b64) {
  return Array.from(bytes(b64), (q) => q / 127.5 - 1);
}

/** A number for display: 3 significant digits, a dash for none. */
export function fmt(v, digits = 3) {
  if (v === null || v === undefined || !Number.isFinite(v)) return "–";
  if (v !== 0 && (Math.abs(v) < 1e-3 || Math.abs(v) >= 1e4)) return v.toExponential(2);
  return Number(v.toPrecision(digits)).toString();
}

/** The epoch as the TensorFlow Playground shows it: 000,123. */
export function fmtEpoch(n) {
  const s = String(n).padStart(6, "0");
  return `${s.slice(0, s.length - 3)},${s.slice(-3)}`;
}

/** Create an element with attributes and children. */
export function el(tag, attrs = {}, ...children) {
  const node = tag === "svg" || attrs.svg
    ? document.createElementNS("http://www.w3.org/2000/svg", tag)
    : document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (key === "svg") continue;
    if (key === "text") node.textContent = value;
    else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else node.setAttribute(key, value);
  }
  for (const child of children) if (child !== null && child !== undefined) node.append(child);
  return node;
}

export function svgEl(tag, attrs = {}) {
  return el(tag, { ...attrs, svg: true });
}

/**
 * Paint an n x n grid of colours into a canvas (smoothed when the canvas is larger).
 * colorOf(i) returns the [r, g, b] of cell i, row-major from the top row.
 */
export function paintGrid(canvas, n, colorOf, alpha = 255) {
  const img = new ImageData(n, n);
  for (let i = 0; i < n * n; i++) {
    const c = colorOf(i);
    img.data[4 * i] = c[0];
    img.data[4 * i + 1] = c[1];
    img.data[4 * i + 2] = c[2];
    img.data[4 * i + 3] = alpha;
  }
  const off = document.createElement("canvas");
  off.width = n;
  off.height = n;
  off.getContext("2d").putImageData(img, 0, 0);
  const ctx = canvas.getContext("2d");
  ctx.imageSmoothingEnabled = true;
  ctx.clearRect(0, 0, canvas.width, canvas.height);
  ctx.drawImage(off, 0, 0, canvas.width, canvas.height);
  return off;
}

/** Trigger a download of a Blob under a file name. */
export function download(blob, filename) {
  const url = URL.createObjectURL(blob);
  const a = el("a", { href: url, download: filename });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 5000);
}
