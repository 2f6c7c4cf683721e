"""A character-level language model: an LSTM learns to continue William Blake's "The Tyger"
(1794, public domain), one character at a time, then writes a few lines of its own.

The script is what a learner writes with PyTorch, with ``nerve`` in its place: an Embedding
of the characters, a two-layer LSTM, a Linear read-out, cross entropy on the next character,
Adam, gradient clipping, and sampling with a temperature.

Run:  python examples/char_rnn.py  [--steps 200] [--seed 0]
"""

from __future__ import annotations

import argparse
import time

import nerve as torch  # the only line that differs from the PyTorch version
import nerve.nn as nn
import nerve.nn.functional as F

TEXT = """Tyger Tyger, burning bright,
In the forests of the night;
What immortal hand or eye,
Could frame thy fearful symmetry?

In what distant deeps or skies.
Burnt the fire of thine eyes?
On what wings dare he aspire?
What the hand, dare seize the fire?

And what shoulder, & what art,
Could twist the sinews of thy heart?
And when thy heart began to beat,
What dread hand? & what dread feet?

What the hammer? what the chain,
In what furnace was thy brain?
What the anvil? what dread grasp,
Dare its deadly terrors clasp!

When the stars threw down their spears
And water'd heaven with their tears:
Did he smile his work to see?
Did he who made the Lamb make thee?

Tyger Tyger burning bright,
In the forests of the night:
What immortal hand or eye,
Dare frame thy fearful symmetry?
"""


class CharModel(nn.Module):
    """Embedding -> LSTM -> Linear: the next character's scores at every position."""

    def __init__(self, vocab: int, embed: int = 24, hidden: int = 96, layers: int = 2) -> None:
        super().__init__()
        self.embed = nn.Embedding(vocab, embed)
        self.lstm = nn.LSTM(embed, hidden, num_layers=layers, batch_first=True, dropout=0.1)
        self.head = nn.Linear(hidden, vocab)

    def forward(self, ids: torch.Tensor, state: tuple | None = None) -> tuple:
        out, state = self.lstm(self.embed(ids), state)
        return self.head(out), state


def batches(data: torch.Tensor, batch: int, length: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Random windows of the text: inputs and the same windows shifted by one character."""
    starts = torch.randint(0, len(data) - length - 1, (batch,))
    x = torch.stack([data[s : s + length] for s in starts.tolist()])
    y = torch.stack([data[s + 1 : s + length + 1] for s in starts.tolist()])
    return x, y


def sample(model: CharModel, chars: list[str], start: str, n: int, temperature: float) -> str:
    """Continue ``start`` by ``n`` characters drawn from the model's softmax."""
    model.eval()
    index = {c: i for i, c in enumerate(chars)}
    out, state = start, None
    ids = torch.tensor([[index[c] for c in start]])
    with torch.no_grad():
        for _ in range(n):
            logits, state = model(ids, state)
            probs = F.softmax(logits[0, -1] / temperature, dim=-1)
            # one draw from the categorical distribution: the first cumulative sum above u
            nxt = min(int((probs.cumsum(0) < torch.rand(1)).sum().item()), len(chars) - 1)
            out += chars[nxt]
            ids = torch.tensor([[nxt]])
    model.train()
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=200)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    torch.manual_seed(args.seed)
    chars = sorted(set(TEXT))
    data = torch.tensor([chars.index(c) for c in TEXT])
    model = CharModel(len(chars))
    optimizer = torch.optim.Adam(model.parameters(), lr=3e-3)
    began = time.perf_counter()
    for step in range(1, args.steps + 1):
        x, y = batches(data, batch=16, length=48)
        logits, _ = model(x)
        loss = F.cross_entropy(logits.reshape(-1, len(chars)), y.reshape(-1))
        optimizer.zero_grad()
        loss.backward()
        nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        if step % 50 == 0 or step == 1:
            print(f"step {step:4d}  loss {loss.item():.4f}  ({time.perf_counter() - began:.1f} s)")
    print()
    print(sample(model, chars, "Tyger", 200, temperature=0.6))


if __name__ == "__main__":
    main()
