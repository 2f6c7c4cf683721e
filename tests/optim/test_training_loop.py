"""The lecture's general training loop, written exactly as for PyTorch, runs unchanged on
nerve with only the imports changed, and learns scikit-learn's digits."""

from __future__ import annotations

import time

import numpy as np
import pytest

import nerve as torch
import nerve.nn as nn
import nerve.nn.functional as F
import nerve.optim as optim
from nerve.utils.data import DataLoader, TensorDataset


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(64, 128)
        self.dropout = nn.Dropout(0.1)
        self.fc2 = nn.Linear(128, 10)

    def forward(self, x):
        x = F.relu(self.fc1(x))
        x = self.dropout(x)
        x = self.fc2(x)
        return F.log_softmax(x, dim=1)


def train(model, device, train_loader, optimizer, epoch):
    model.train()
    for batch_idx, (data, target) in enumerate(train_loader):  # noqa: B007 - as in PyTorch
        data, target = data.to(device), target.to(device)
        optimizer.zero_grad()
        output = model(data)
        loss = F.nll_loss(output, target)
        loss.backward()
        optimizer.step()
    return loss.item()


def evaluate(model, device, test_loader):  # the example's test(); renamed for pytest
    model.eval()
    test_loss = 0
    correct = 0
    with torch.no_grad():
        for data, target in test_loader:
            data, target = data.to(device), target.to(device)
            output = model(data)
            test_loss += F.nll_loss(output, target, reduction="sum").item()
            pred = output.argmax(dim=1, keepdim=True)
            correct += pred.eq(target.view_as(pred)).sum().item()
    test_loss /= len(test_loader.dataset)
    return test_loss, correct / len(test_loader.dataset)


def _digits():
    datasets = pytest.importorskip("sklearn.datasets")
    model_selection = pytest.importorskip("sklearn.model_selection")
    x, y = datasets.load_digits(return_X_y=True)
    x_train, x_test, y_train, y_test = model_selection.train_test_split(
        x, y, test_size=0.2, random_state=0, stratify=y
    )
    mean, std = x_train.mean(axis=0), x_train.std(axis=0)  # training statistics only
    std[std == 0] = 1.0  # constant pixels (the border) stay constant
    x_train, x_test = (x_train - mean) / std, (x_test - mean) / std
    return (
        TensorDataset(torch.tensor(x_train, dtype=torch.float32), torch.tensor(y_train)),
        TensorDataset(torch.tensor(x_test, dtype=torch.float32), torch.tensor(y_test)),
    )


def test_mlp_trained_with_the_lecture_loop_learns_digits():
    train_set, test_set = _digits()
    torch.manual_seed(1)
    device = torch.device("cpu")
    train_loader = DataLoader(train_set, batch_size=32, shuffle=True)
    test_loader = DataLoader(test_set, batch_size=1000)
    model = Net().to(device)
    optimizer = optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    scheduler = optim.lr_scheduler.StepLR(optimizer, step_size=1, gamma=0.8)
    start = time.perf_counter()
    losses = []
    for epoch in range(1, 9):
        losses.append(train(model, device, train_loader, optimizer, epoch))
        scheduler.step()
    elapsed = time.perf_counter() - start
    test_loss, accuracy = evaluate(model, device, test_loader)
    assert accuracy >= 0.95, f"test accuracy {accuracy:.3f}"
    assert test_loss < 0.25
    assert elapsed < 20, f"training took {elapsed:.1f} s"  # ~1 s on a laptop core


def test_the_loop_with_cross_entropy_and_adam_on_a_sequential_model():
    train_set, test_set = _digits()
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(64, 64), nn.BatchNorm1d(64), nn.ReLU(), nn.Linear(64, 10))
    criterion = nn.CrossEntropyLoss()
    optimizer = optim.Adam(model.parameters(), lr=1e-2)
    train_loader = DataLoader(train_set, batch_size=64, shuffle=True, drop_last=True)
    for _epoch in range(5):
        model.train()
        for data, target in train_loader:
            optimizer.zero_grad()
            loss = criterion(model(data), target)
            loss.backward()
            optimizer.step()
    model.eval()
    x, y = test_set.tensors
    with torch.no_grad():
        accuracy = (model(x).argmax(dim=1) == y).float().mean().item()
    assert accuracy >= 0.95
    assert np.isfinite(loss.item())
