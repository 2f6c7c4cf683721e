// The words of the backprop step-through: what each step does, and the chain rule of one
// weight written out with its numbers. Pure functions of the server's trace (see backprop.py),
// kept apart from the drawing in backprop.js.

import { fmt } from "./util.js";

// f′(z) of each activation, in words (the numbers themselves come from the trace).
const DERIVATIVE = {
  tanh: "tanh′(z) = 1 − tanh(z)²",
  sigmoid: "σ′(z) = σ(z)·(1 − σ(z))",
  relu: "ReLU′(z) = 1 where z > 0, else 0",
  linear: "the identity's derivative, 1",
  leaky_relu: "LeakyReLU′(z) = 1 where z > 0, else 0.01",
  elu: "ELU′(z) = 1 where z > 0, else eᶻ",
  gelu: "GELU′(z) = Φ(z) + z·φ(z)",
  silu: "SiLU′(z) = σ(z)·(1 + z·(1 − σ(z)))",
};

const ACT_FORMULA = {
  tanh: "a = tanh(z)", sigmoid: "a = σ(z) = 1 / (1 + e⁻ᶻ)", relu: "a = max(0, z)", linear: "a = z",
  leaky_relu: "a = max(0.01·z, z)", elu: "a = z if z > 0, else eᶻ − 1", gelu: "a = z·Φ(z)",
  silu: "a = z·σ(z)",
};

/** A number in brackets when negative, so that a product reads unambiguously. */
function num(v, digits = 4) {
  const text = fmt(v, digits);
  return v < 0 ? `(${text})` : text;
}

/** "t1 + t2 + t3 + … (n terms)": at most `shown` terms of a long sum. */
function sumOf(terms, shown = 4) {
  if (terms.length <= shown) return terms.join(" + ");
  return `${terms.slice(0, shown).join(" + ")} + … (${terms.length} terms)`;
}

function isLast(t, l) {
  return l === t.sizes.length - 1;
}

/** The paragraphs that explain step `s` ({phase, layer}) for example `k` of the trace. */
export function explainStep(t, s, k) {
  const names = t.names;
  const n = t.examples.length;
  const batchNote = n > 1 ? ` The loss is the mean over the ${n} examples: each example's ∂L/∂z `
    + `carries a factor 1/${n}, and ∂L/∂w adds up the examples' shares.` : "";
  if (s.phase === "forward" && s.layer === 0) {
    const values = names[0].map((name, j) => `${name} = ${fmt(t.layers[0].a[k][j], 4)}`).join(", ");
    return ["Forward pass. The input enters the network: " + values
      + " (the features the network is given, after normalization when it is on)."];
  }
  if (s.phase === "forward") {
    const l = s.layer;
    const layer = t.layers[l];
    const p = t.params[l - 1];
    const act = t.activations[l - 1];
    const terms = names[l - 1].map((_, i) => `${num(p.w[0][i])}·${num(t.layers[l - 1].a[k][i])}`);
    const first = `For ${names[l][0]}: z = ${sumOf(terms)} + ${num(p.b[0])} = ${fmt(layer.z[k][0], 4)}`;
    const head = `Forward, ${isLast(t, l) ? "output layer" : `layer ${l}`}: each neuron adds up its `
      + "inputs times their weights, plus its bias: z = Σᵢ wᵢ·aᵢ + b.";
    if (isLast(t, l) && t.task === "multiclass") {
      return [head, `${first}. The ${t.sizes[l]} outputs are logits; softmax turns them into `
        + "probabilities p = eᶻ / Σ eᶻ, one per class."];
    }
    if (isLast(t, l) && t.task === "regression") return [head, `${first}: the prediction ŷ = z.`];
    const what = isLast(t, l) ? ", the probability of class 1" : "";
    return [head, `Then its activation: ${ACT_FORMULA[act] || `a = ${act}(z)`}. `
      + `${first}, a = ${fmt(layer.a[k][0], 4)}${what}.`];
  }
  if (s.phase === "loss") {
    const out = t.layers[s.layer];
    const pred = t.task === "multiclass" ? `p = (${out.p[k].map((v) => fmt(v)).join(", ")})`
      : `${t.task === "regression" ? "ŷ" : "p"} = ${fmt(out.a[k][0], 4)}`;
    const lines = [`The loss: ${t.loss_name}.`,
      `Here L = ${fmt(t.loss, 5)} (example #${t.examples[k]}: ${pred}, target ${t.targets[k]}).`];
    if (t.penalty) {
      const kind = t.l1 ? `L1 penalty λ·Σ|w| with λ = ${t.l1}` : `L2 penalty λ/2·Σw² with λ = ${t.l2}`;
      lines.push(`Plus the ${kind}: ${fmt(t.penalty, 4)}, in all ${fmt(t.total, 5)}.`);
    }
    return lines;
  }
  if (s.phase === "backward") {
    const l = s.layer;
    const act = t.activations[l - 1];
    if (isLast(t, l)) {
      if (t.task === "multiclass" && !t.layers[l].da) {
        return ["Backward pass, from the loss to the output layer. With softmax and the loss "
          + "together, the gradient of each logit is simple: ∂L/∂z = p − y (y is 1 for the "
          + "target class, else 0). Each weight into the output: ∂L/∂w = ∂L/∂z · (the input it "
          + "multiplies)." + batchNote];
      }
      return ["Backward pass, from the loss to the output layer: ∂L/∂a is how the loss changes "
        + `with the output; ∂L/∂z = ∂L/∂a · f′(z), with ${DERIVATIVE[act] || "f′ the activation's derivative"}; `
        + "each weight into the output: ∂L/∂w = ∂L/∂z · (the input it multiplies)." + batchNote];
    }
    return [`Backward, layer ${l}: a neuron's ∂L/∂a collects what it did to every neuron of the `
      + "layer above: ∂L/∂aⱼ = Σₖ wₖⱼ · ∂L/∂zₖ. Then ∂L/∂z = ∂L/∂a · f′(z), with "
      + `${DERIVATIVE[act] || "f′ the activation's derivative"}, and ∂L/∂w = ∂L/∂z · (the input it multiplies). `
      + "This is the chain rule, one layer at a time."];
  }
  const change = t.new_total < t.total ? "went down" : "went UP: the step overshot, the learning rate is too large here";
  const wd = t.weight_decay ? ` (plus weight decay: w ← w − lr·(∂L/∂w + ${t.weight_decay}·w))` : "";
  return [`Update: every weight takes one step against its gradient, w ← w − lr·∂L/∂w with `
    + `lr = ${t.lr}${wd}; every bias likewise.`,
  `The loss on the same ${n > 1 ? `${n} examples` : "example"} ${change}: from ${fmt(t.total, 5)} `
    + `to ${fmt(t.new_total, 5)}.`];
}

/** The chain rule of weight {l, j, i} for example k, as lines of text with its numbers. */
export function chainRule(t, { l, j, i }, k, withUpdate) {
  const names = t.names;
  const lay = t.layers[l];
  const p = t.params[l - 1];
  const ain = t.layers[l - 1].a;
  const to = names[l][j];
  const from = names[l - 1][i];
  const lines = [];
  const n = t.examples.length;
  const single = (m) => (lay.da
    ? `∂L/∂a(${to}) · f′(z(${to})) · a(${from}) = ${num(lay.da[m][j])} × ${num(lay.fprime[m][j])} × `
      + `${num(ain[m][i])} = ${fmt(lay.dz[m][j] * ain[m][i], 4)}`
    : `∂L/∂z(${to}) · a(${from}) = ${num(lay.dz[m][j])} × ${num(ain[m][i])} = ${fmt(lay.dz[m][j] * ain[m][i], 4)}`);
  let chain = 0;
  for (let m = 0; m < n; m++) chain += lay.dz[m][j] * ain[m][i];
  if (n === 1) lines.push(`∂L/∂w = ${single(0)}`);
  else {
    const terms = Array.from({ length: n }, (_, m) => `${num(lay.dz[m][j])}·${num(ain[m][i])}`);
    lines.push(`∂L/∂w = Σₙ ∂L/∂z(${to})·a(${from}) over the ${n} examples = ${sumOf(terms, 3)} = ${fmt(chain, 4)}`);
    lines.push(`example #${t.examples[k]}'s share: ${single(k)}`);
  }
  if (l < t.sizes.length - 1) {
    const above = t.layers[l + 1];
    const wUp = t.params[l].w;
    const terms = names[l + 1].map((_, q) => `${num(wUp[q][j])}·${num(above.dz[k][q])}`);
    lines.push(`where ∂L/∂a(${to}) = Σₖ wₖ·∂L/∂zₖ of the layer above = ${sumOf(terms)} = ${fmt(lay.da[k][j], 4)}`);
  } else if (!lay.da) {
    const onehot = Number(t.targets[k]) === j ? 1 : 0;
    lines.push(`where ∂L/∂z(${to}) = (p − y)${n > 1 ? `/${n}` : ""} = (${fmt(lay.p[k][j], 4)} − ${onehot})`
      + `${n > 1 ? `/${n}` : ""} = ${fmt(lay.dz[k][j], 4)}`);
  }
  const w = p.w[j][i];
  const g = p.gw[j][i];
  if (p.gw_penalty) {
    const what = t.l1 ? `λ·sign(w) = ${t.l1} × ${Math.sign(w)}` : `λ·w = ${t.l2} × ${num(w)}`;
    lines.push(`plus the penalty's share ${what} = ${fmt(p.gw_penalty[j][i], 4)}`);
  }
  lines.push(`nerve's .grad of this weight: ${fmt(g, 6)}`);
  if (withUpdate) {
    const decay = t.weight_decay ? ` + ${t.weight_decay}·w` : "";
    lines.push(`w ← w − lr·(∂L/∂w${decay}) = ${fmt(w, 5)} − ${t.lr} × ${num(g + t.weight_decay * w)} `
      + `= ${fmt(p.w_new[j][i], 5)}`);
  }
  return lines;
}
