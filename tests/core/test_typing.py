"""Tensor's API is visible to type checkers: mypy, run on a user's training loop, sees
``Tensor.sum`` and the other methods with their own signatures, and reports a misspelled one.

The methods reach ``Tensor`` at import (ops/methods.py copies them from ``TensorMethods``); the
checks below also make sure that nothing reaches it another way, invisible to a type checker.
"""

from __future__ import annotations

import ast
import importlib.util
import inspect
import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import nerve
from nerve.ops.methods import _CLASS_MACHINERY, TensorMethods
from nerve.tensor import Tensor
from nerve.tensor_autograd import TensorAutograd

TRAINING_LOOP = '''
    """A beginner's training loop, written as for torch (nerve imported under torch's name)."""

    import nerve as torch
    import nerve.nn as nn
    import nerve.nn.functional as F
    from nerve import optim


    class Net(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.hidden = nn.Linear(2, 8)
            self.out = nn.Linear(8, 1)

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return self.out(F.relu(self.hidden(x)))


    torch.manual_seed(0)
    x = torch.randn(32, 2)
    y = (x.sum(dim=1, keepdim=True) > 0).float()
    model = Net()
    optimizer = optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    loss_fn = nn.BCEWithLogitsLoss()
    for epoch in range(3):
        optimizer.zero_grad()
        logits: torch.Tensor = model(x)
        loss = loss_fn(logits, y) + 1e-4 * sum(p.pow(2).sum() for p in model.parameters())
        loss.backward()
        optimizer.step()
        accuracy = ((logits > 0).float() == y).float().mean().item()
        print(epoch, loss.item(), accuracy)

    w = torch.zeros(3, requires_grad=True)
    z = (w * 2 + 1).exp().log().sigmoid().tanh().mean()
    z.backward()
    grad = w.grad
    assert grad is not None
    with torch.no_grad():
        w -= 0.1 * grad
        w.grad = None
    h = x.reshape(4, 8, 2).transpose(0, 1).flatten(1).T @ torch.ones(8, 3)
    m = h.max(dim=0).values.clamp(min=0).unsqueeze(0).expand(2, 3).softmax(dim=-1)
    n = m.detach().cpu().numpy().tolist()
    s = x.shape[0] + x.size(1) + x.numel() + x.dim()
    t = x.new_zeros(2, 2).add_(1).mul_(2).relu_().argmax().item()
    reveal_type(x.sum())
    reveal_type(x.exp())
    reveal_type(x @ x.T)
    reveal_type(2 - x)
    reveal_type(x.grad)
'''

MISSPELLED = """
    import nerve

    x = nerve.ones(3)
    x.summ()
    x.sum(dimm=0)
"""


def _run_mypy(tmp_path: Path) -> dict[str, list[str]]:
    """mypy's messages for the two scripts, by script name (one run, a fresh cache)."""
    if importlib.util.find_spec("mypy") is None:
        pytest.skip("mypy is not installed (pip install mypy, or the 'test' extra)")
    scripts = {"train.py": TRAINING_LOOP, "typo.py": MISSPELLED}
    for name, text in scripts.items():
        (tmp_path / name).write_text(textwrap.dedent(text).lstrip("\n"))
    env = {k: v for k, v in os.environ.items() if k != "MYPYPATH"}
    result = subprocess.run(
        [sys.executable, "-m", "mypy", "--cache-dir", str(tmp_path / "cache"),
         "--no-error-summary", "--hide-error-context", *scripts],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    if 'Cannot find implementation or library stub for module named "nerve"' in result.stdout:
        pytest.skip("nerve is not installed where mypy looks for packages (pip install -e .)")
    messages: dict[str, list[str]] = {name: [] for name in scripts}
    for line in result.stdout.splitlines():
        name = line.split(":", 1)[0]
        if name in messages:
            messages[name].append(line)
    assert not result.stderr.strip(), result.stderr
    return messages


@pytest.fixture(scope="module")
def mypy_messages(tmp_path_factory: pytest.TempPathFactory) -> dict[str, list[str]]:
    return _run_mypy(tmp_path_factory.mktemp("typing"))


def test_a_training_loop_type_checks(mypy_messages: dict[str, list[str]]) -> None:
    errors = [line for line in mypy_messages["train.py"] if ": error:" in line]
    assert errors == []


def test_methods_have_their_signatures(mypy_messages: dict[str, list[str]]) -> None:
    """Calls give Tensors (not ``Any``): the methods are the ops' functions, types and all."""
    revealed = [
        re.search(r'Revealed type is "(.*)"', line).group(1)  # type: ignore[union-attr]
        for line in mypy_messages["train.py"]
        if "Revealed type" in line
    ]
    tensor = "nerve.tensor.Tensor"
    assert revealed == [tensor, tensor, tensor, tensor, f"{tensor} | None"]


def test_a_misspelled_method_is_reported(mypy_messages: dict[str, list[str]]) -> None:
    text = "\n".join(mypy_messages["typo.py"])
    assert re.search(
        r'typo\.py:4: error: "Tensor" has no attribute "summ"\s+\[attr-defined\]', text
    )
    assert re.search(r'typo\.py:5: error: Unexpected keyword argument "dimm"', text)


def _class_body_names(cls: type) -> set[str]:
    """The names a class's own source defines (what a type checker reads for it)."""
    tree = ast.parse(textwrap.dedent(inspect.getsource(cls)))
    names: set[str] = set()
    for statement in ast.walk(tree.body[0]):
        if isinstance(statement, (ast.FunctionDef, ast.AsyncFunctionDef)):
            names.add(statement.name)
        elif isinstance(statement, ast.Assign):
            names.update(t.id for t in statement.targets if isinstance(t, ast.Name))
        elif isinstance(statement, ast.AnnAssign) and isinstance(statement.target, ast.Name):
            names.add(statement.target.id)
    return names


def test_every_tensor_attribute_is_declared_where_type_checkers_look() -> None:
    """A method attached to Tensor from anywhere else would be invisible to mypy and IDEs."""
    declared = _class_body_names(Tensor) | _class_body_names(TensorAutograd)
    declared |= set(Tensor.__slots__) | set(TensorAutograd.__slots__)  # private, but declared
    installed = set(vars(TensorMethods)) - _CLASS_MACHINERY
    known = declared | installed | _CLASS_MACHINERY
    undeclared = [name for name in vars(Tensor) if name not in known]
    assert undeclared == [], f"attached to Tensor outside its declarations: {undeclared}"
    overwritten = sorted(declared & installed)
    assert overwritten == [], f"TensorMethods would replace Tensor's own: {overwritten}"


def test_methods_are_the_ops_functions_themselves() -> None:
    """No layer between a method and its op: calling ``x.sum()`` costs what the op does.
    (``nerve.sum`` & co add torch's ``out=`` around that same op: ``__wrapped__``.)"""
    assert Tensor.sum is nerve.sum.__wrapped__
    assert Tensor.__add__ is nerve.add.__wrapped__
    assert Tensor.__matmul__ is nerve.matmul.__wrapped__
    assert Tensor.reshape is nerve.reshape
    assert Tensor.__hash__ is object.__hash__  # __eq__ is elementwise; hashing stays by identity
