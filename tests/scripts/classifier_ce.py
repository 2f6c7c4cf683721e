# Multi-class classification: CrossEntropyLoss on logits, argmax accuracy.
import torch
import torch.nn as nn
import torch.nn.functional as F

features = torch.tensor([[2.0, 0.1], [1.8, 0.3], [0.1, 2.2], [0.2, 1.9], [-1.5, -1.0], [-1.7, -1.2]])
labels = torch.tensor([0, 0, 1, 1, 2, 2])


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(2, 8)
        self.fc2 = nn.Linear(8, 3)

    def forward(self, x):
        return self.fc2(F.relu(self.fc1(x)))


net = Net()
with torch.no_grad():
    for i, p in enumerate(net.parameters()):
        p.copy_(torch.linspace(-0.5, 0.5, p.numel()).reshape(p.shape) * (1 + i % 2))
criterion = nn.CrossEntropyLoss()
optimizer = torch.optim.SGD(net.parameters(), lr=0.1, momentum=0.9)
for epoch in range(30):
    optimizer.zero_grad()
    logits = net(features)
    loss = criterion(logits, labels)
    loss.backward()
    optimizer.step()
predicted = logits.argmax(dim=1)
accuracy = (predicted == labels).float().mean()
print(f"loss {loss.item():.4f} accuracy {accuracy:.2f}")
print(F.softmax(net(features[:2]), dim=1))
_, top = torch.max(logits, 1)
print(top, (top == labels).sum().item())
print([name for name, _ in net.named_parameters()])
