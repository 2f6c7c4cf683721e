# The XOR network of a first deep-learning course: Sequential, BCELoss, Adam.
import torch
import torch.nn as nn

X = torch.tensor([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
y = torch.tensor([[0.0], [1.0], [1.0], [0.0]])
model = nn.Sequential(nn.Linear(2, 4), nn.Tanh(), nn.Linear(4, 1), nn.Sigmoid())
with torch.no_grad():
    model[0].weight.copy_(torch.tensor([[1.0, -1.0], [-1.0, 1.0], [0.5, 0.5], [0.3, -0.2]]))
    model[0].bias.copy_(torch.tensor([0.1, -0.1, 0.0, 0.2]))
    model[2].weight.copy_(torch.tensor([[0.5, 0.5, -0.5, 0.1]]))
    model[2].bias.fill_(0.0)
print(model)
loss_fn = nn.BCELoss()
optimizer = torch.optim.Adam(model.parameters(), lr=0.05)
for step in range(200):
    optimizer.zero_grad()
    loss = loss_fn(model(X), y)
    loss.backward()
    optimizer.step()
    if step % 50 == 0:
        print(f"step {step:3d} loss {loss:.4f}")
with torch.no_grad():
    print((model(X) > 0.5).float().view(-1))
print(sum(p.numel() for p in model.parameters()))
