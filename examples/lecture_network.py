"""The lecture's hands-on network, trained with nerve's raw tensor API and manual SGD.

"How to train your NN": define neurons and layers, define the loss, forward propagate and
compute the loss, compute the gradient, propagate backward, update the weights. Here every
step is written out by hand, with no nn.Module and no optimizer:

    2 inputs -> 8 hidden neurons (tanh) -> 1 output neuron (sigmoid)
    binary cross entropy, stochastic gradient descent, learning rate 0.01

It first fits the lecture's two points, d1 = [0.9, -0.2] (y = 0) and d2 = [0.75, 0.6] (y = 1),
then XOR-style data: points in [-1, 1]^2 labelled 1 where x1 * x2 > 0.

Run: python examples/lecture_network.py [--epochs N] [--seed S]
"""

from __future__ import annotations

import argparse

import nerve


def make_xor(n: int, generator: nerve.Generator) -> tuple[nerve.Tensor, nerve.Tensor]:
    x = nerve.rand(n, 2, generator=generator) * 2 - 1
    y = ((x[:, 0] * x[:, 1]) > 0).float().unsqueeze(1)
    return x, y


def init_params(generator: nerve.Generator) -> list[nerve.Tensor]:
    """Weights and biases of the 2-8-1 network, uniform in +-1/sqrt(fan_in) as torch's Linear."""

    def uniform(*shape: int, fan_in: int) -> nerve.Tensor:
        bound = fan_in**-0.5
        return (nerve.rand(*shape, generator=generator) * 2 - 1) * bound

    params = [
        uniform(2, 8, fan_in=2),
        uniform(8, fan_in=2),
        uniform(8, 1, fan_in=8),
        uniform(1, fan_in=8),
    ]
    return [p.requires_grad_() for p in params]


def forward(params: list[nerve.Tensor], x: nerve.Tensor) -> nerve.Tensor:
    w1, b1, w2, b2 = params
    hidden = (x @ w1 + b1).tanh()  # weights times inputs, plus bias, through a non-linearity
    return (hidden @ w2 + b2).sigmoid()  # the output neuron: a probability of class 1


def bce(prediction: nerve.Tensor, target: nerve.Tensor) -> nerve.Tensor:
    """Binary cross entropy, -[y log p + (1 - y) log(1 - p)], averaged over the batch."""
    p = prediction.clamp(1e-7, 1 - 1e-7)
    return -(target * p.log() + (1 - target) * (1 - p).log()).mean()


def train(
    params: list[nerve.Tensor],
    x: nerve.Tensor,
    y: nerve.Tensor,
    epochs: int,
    lr: float,
    generator: nerve.Generator,
) -> float:
    loss = nerve.tensor(0.0)
    for _ in range(epochs):
        for i in nerve.randperm(len(x), generator=generator).tolist():  # one point at a time
            loss = bce(forward(params, x[i : i + 1]), y[i : i + 1])
            loss.backward()  # the chain rule, through every op above
            with nerve.no_grad():  # w <- w - lr * dL/dw, outside the graph
                for p in params:
                    p -= lr * p.grad
                    p.grad = None
    return loss.item()


def accuracy(params: list[nerve.Tensor], x: nerve.Tensor, y: nerve.Tensor) -> float:
    with nerve.no_grad():
        return ((forward(params, x) > 0.5).float() == y).float().mean().item()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--epochs", type=int, default=60, help="passes over the XOR data")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    generator = nerve.Generator().manual_seed(args.seed)
    lr = 0.01

    points = nerve.tensor([[0.9, -0.2], [0.75, 0.6]])
    labels = nerve.tensor([[0.0], [1.0]])
    params = init_params(generator)
    loss = train(params, points, labels, epochs=500, lr=lr, generator=generator)
    print(
        f"lecture's two points: loss {loss:.4f}, "
        f"prediction {forward(params, points).detach().squeeze(1).tolist()}"
    )

    x, y = make_xor(400, generator)
    x_test, y_test = make_xor(200, generator)
    params = init_params(generator)
    for round_ in range(1, 4):
        loss = train(params, x, y, epochs=args.epochs // 3, lr=lr, generator=generator)
        print(
            f"XOR epoch {round_ * (args.epochs // 3):3d}: loss {loss:.4f}, "
            f"train accuracy {accuracy(params, x, y):.3f}"
        )
    print(f"XOR test accuracy: {accuracy(params, x_test, y_test):.3f}")


if __name__ == "__main__":
    main()
