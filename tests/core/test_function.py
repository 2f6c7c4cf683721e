"""Custom ``nerve.autograd.Function``: the PyTorch tutorials' Functions run unchanged with
``import nerve as torch``, and ctx's API (save_for_backward, saved_tensors, needs_input_grad,
mark_non_differentiable, several outputs, non-tensor arguments) behaves as torch's."""

from __future__ import annotations

import math

import numpy as np
import pytest

import nerve

torch = pytest.importorskip("torch")

LIBS = pytest.mark.parametrize("lib", [nerve, torch], ids=["nerve", "torch"])

# The "PyTorch: Defining New autograd Functions" tutorial, verbatim but for the prints.
TUTORIAL = """
class LegendrePolynomial3(torch.autograd.Function):
    @staticmethod
    def forward(ctx, input):
        ctx.save_for_backward(input)
        return 0.5 * (5 * input ** 3 - 3 * input)

    @staticmethod
    def backward(ctx, grad_output):
        input, = ctx.saved_tensors
        return grad_output * 1.5 * (5 * input ** 2 - 1)


dtype = torch.float
device = torch.device("cpu")
x = torch.linspace(-math.pi, math.pi, 2000, device=device, dtype=dtype)
y = torch.sin(x)
a = torch.full((), 0.0, device=device, dtype=dtype, requires_grad=True)
b = torch.full((), -1.0, device=device, dtype=dtype, requires_grad=True)
c = torch.full((), 0.0, device=device, dtype=dtype, requires_grad=True)
d = torch.full((), 0.3, device=device, dtype=dtype, requires_grad=True)

learning_rate = 5e-6
for t in range(2000):
    P3 = LegendrePolynomial3.apply
    y_pred = a + b * P3(c + d * x)
    loss = (y_pred - y).pow(2).sum()
    loss.backward()
    with torch.no_grad():
        a -= learning_rate * a.grad
        b -= learning_rate * b.grad
        c -= learning_rate * c.grad
        d -= learning_rate * d.grad
        a.grad = None
        b.grad = None
        c.grad = None
        d.grad = None
"""

# The MyReLU Function of the older "Learning PyTorch with Examples" tutorial.
MY_RELU = """
class MyReLU(torch.autograd.Function):
    @staticmethod
    def forward(ctx, input):
        ctx.save_for_backward(input)
        return input.clamp(min=0)

    @staticmethod
    def backward(ctx, grad_output):
        input, = ctx.saved_tensors
        grad_input = grad_output.clone()
        grad_input[input < 0] = 0
        return grad_input
"""


def run_script(source: str, lib) -> dict:
    namespace = {"torch": lib, "math": math}
    exec(source, namespace)
    return namespace


def test_legendre_tutorial_runs_unchanged_and_matches_torch():
    ours, theirs = run_script(TUTORIAL, nerve), run_script(TUTORIAL, torch)
    for name in ("a", "b", "c", "d", "loss"):
        assert ours[name].item() == pytest.approx(theirs[name].item(), rel=1e-4, abs=1e-6)
    assert ours["loss"].item() < 10  # it learned: from about 1e3 at the start


def test_my_relu_tutorial_matches_torch():
    xs = np.random.default_rng(0).standard_normal((4, 3))
    grads = []
    for lib in (nerve, torch):
        my_relu = run_script(MY_RELU, lib)["MyReLU"]
        x = lib.tensor(xs, requires_grad=True)
        out = my_relu.apply(x)
        np.testing.assert_array_equal(out.detach().numpy(), np.maximum(xs, 0))
        (out * lib.tensor(xs)).sum().backward()
        grads.append(x.grad.numpy())
        assert "MyReLUBackward" in repr(out.grad_fn)
    np.testing.assert_array_equal(grads[0], grads[1])


def functions(lib):
    """Functions written once against ``lib.autograd.Function`` (nerve's or torch's)."""

    class ScaleShift(lib.autograd.Function):
        """Non-tensor arguments, ctx attributes and needs_input_grad."""

        @staticmethod
        def forward(ctx, x, scale, shift, label):
            ctx.scale, ctx.label = scale, label
            return x * scale + shift

        @staticmethod
        def backward(ctx, grad):
            ScaleShift.needs = tuple(ctx.needs_input_grad)
            return grad * ctx.scale, None, grad.sum() if ctx.needs_input_grad[2] else None, None

    class SortWithIndices(lib.autograd.Function):
        """Two outputs, the second marked non-differentiable."""

        @staticmethod
        def forward(ctx, x):
            values, indices = x.sort() if lib is torch else _nerve_sort(x)
            ctx.mark_non_differentiable(indices)
            ctx.save_for_backward(indices)
            return values, indices

        @staticmethod
        def backward(ctx, grad_values, grad_indices):
            (indices,) = ctx.saved_tensors
            result = lib.zeros_like(grad_values)
            result[indices] = grad_values
            return result

    class SinCos(lib.autograd.Function):
        """Two differentiable outputs; backward is itself differentiable."""

        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x.sin(), x.cos()

        @staticmethod
        def backward(ctx, grad_sin, grad_cos):
            (x,) = ctx.saved_tensors
            return grad_sin * x.cos() - grad_cos * x.sin()

    class Exp(lib.autograd.Function):
        """Saves its output."""

        @staticmethod
        def forward(ctx, x):
            result = x.exp()
            ctx.save_for_backward(result)
            return result

        @staticmethod
        def backward(ctx, grad):
            (result,) = ctx.saved_tensors
            return grad * result

    return ScaleShift, SortWithIndices, SinCos, Exp


def _nerve_sort(x):
    order = np.argsort(x.detach().numpy(), kind="stable")
    indices = nerve.tensor(order)
    return x[indices], indices


def data(lib, *values, grad=True):
    return lib.tensor(list(values), dtype=lib.float64, requires_grad=grad)


@LIBS
def test_non_tensor_arguments_and_needs_input_grad(lib):
    scale_shift = functions(lib)[0]
    x, shift = data(lib, 1.0, 2.0), data(lib, 0.5, grad=False)
    out = scale_shift.apply(x, 3.0, shift, "label")
    out.sum().backward()
    assert x.grad.tolist() == [3.0, 3.0]
    assert scale_shift.needs == (True, False, False, False)


@LIBS
def test_mark_non_differentiable(lib):
    sort = functions(lib)[1]
    x = data(lib, 3.0, 1.0, 2.0)
    values, indices = sort.apply(x)
    assert values.requires_grad and not indices.requires_grad
    assert indices.tolist() == [1, 2, 0]
    (values * data(lib, 1.0, 10.0, 100.0, grad=False)).sum().backward()
    assert x.grad.tolist() == [100.0, 1.0, 10.0]


@LIBS
def test_several_outputs_and_a_missing_gradient_becomes_zeros(lib):
    sin_cos = functions(lib)[2]
    x = data(lib, 0.5, 1.5)
    s, c = sin_cos.apply(x)
    (s * 2 + c * 3).sum().backward()
    expected = 2 * np.cos([0.5, 1.5]) - 3 * np.sin([0.5, 1.5])
    np.testing.assert_allclose(x.grad.tolist(), expected, rtol=1e-12)
    x.grad = None
    s, c = sin_cos.apply(x)
    s.sum().backward()  # c unused: its gradient arrives as zeros
    np.testing.assert_allclose(x.grad.tolist(), np.cos([0.5, 1.5]), rtol=1e-12)


@LIBS
def test_a_function_is_twice_differentiable_when_its_backward_is(lib):
    sin_cos = functions(lib)[2]
    x = data(lib, 0.5, 1.5)
    s, _ = sin_cos.apply(x)
    (first,) = lib.autograd.grad(s.sum(), x, create_graph=True)
    (second,) = lib.autograd.grad(first.sum(), x)
    np.testing.assert_allclose(second.tolist(), -np.sin([0.5, 1.5]), rtol=1e-12)


@LIBS
def test_saving_an_output(lib):
    exp = functions(lib)[3]
    x = data(lib, 0.0, 1.0)
    exp.apply(x).sum().backward()
    np.testing.assert_allclose(x.grad.tolist(), np.exp([0.0, 1.0]), rtol=1e-12)


@LIBS
def test_changing_a_saved_tensor_in_place_is_detected(lib):
    exp = functions(lib)[3]
    x = data(lib, 0.0, 1.0)
    y = exp.apply(x)
    y.mul_(2)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        y.sum().backward()


@LIBS
def test_no_graph_when_no_input_requires_grad(lib):
    exp = functions(lib)[3]
    y = exp.apply(data(lib, 1.0, grad=False))
    assert not y.requires_grad and y.grad_fn is None


def test_custom_function_passes_gradcheck():
    _, sort, sin_cos, exp = functions(nerve)
    x = nerve.randn(4, dtype=nerve.float64, requires_grad=True)
    assert nerve.autograd.gradcheck(sin_cos.apply, (x,))
    assert nerve.autograd.gradcheck(exp.apply, (x,))
    assert nerve.autograd.gradcheck(lambda t: sort.apply(t)[0], (x,))


def test_setup_context_style():
    class Cube(nerve.autograd.Function):
        @staticmethod
        def forward(x):
            return x**3

        @staticmethod
        def setup_context(ctx, inputs, output):
            (x,) = inputs
            ctx.save_for_backward(x)

        @staticmethod
        def backward(ctx, grad):
            (x,) = ctx.saved_tensors
            return 3 * grad * x * x

    x = data(nerve, 2.0)
    Cube.apply(x).sum().backward()
    assert x.grad.tolist() == [12.0]


def test_once_differentiable_backward_records_no_graph():
    class Double(nerve.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2

        @staticmethod
        @nerve.autograd.once_differentiable
        def backward(ctx, grad):
            return grad * 2

    x = data(nerve, 1.0)
    (g,) = nerve.autograd.grad(Double.apply(x).sum(), x, create_graph=True)
    assert g.tolist() == [2.0] and not g.requires_grad


def test_wrong_number_of_gradients_is_a_clear_error():
    class TwoGrads(nerve.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x * 1

        @staticmethod
        def backward(ctx, grad):
            return grad, grad

    x = data(nerve, 1.0)
    with pytest.raises(RuntimeError, match="incorrect number of gradients"):
        TwoGrads.apply(x).sum().backward()


def test_wrong_gradient_shape_is_a_clear_error():
    class BadShape(nerve.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x * 1

        @staticmethod
        def backward(ctx, grad):
            return nerve.ones(5, dtype=nerve.float64)

    x = data(nerve, 1.0, 2.0)
    with pytest.raises(RuntimeError, match=r"invalid gradient at index 0.*\[5\].*\[2\]"):
        BadShape.apply(x).sum().backward()
