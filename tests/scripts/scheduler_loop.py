# A training loop with a learning-rate schedule, clipping and checkpointing.
import os
import tempfile

import torch
import torch.nn as nn

model = nn.Linear(2, 1)
with torch.no_grad():
    model.weight.copy_(torch.tensor([[0.2, -0.3]]))
    model.bias.fill_(0.1)
opt = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9, weight_decay=1e-4)
sched = torch.optim.lr_scheduler.StepLR(opt, step_size=3, gamma=0.5)
x = torch.tensor([[1.0, 2.0], [2.0, 1.0], [0.0, 1.0]])
y = torch.tensor([[1.0], [2.0], [0.5]])
for epoch in range(7):
    opt.zero_grad()
    loss = nn.functional.mse_loss(model(x), y)
    loss.backward()
    torch.nn.utils.clip_grad_norm_(model.parameters(), max_norm=1.0)
    opt.step()
    sched.step()
    print(epoch, f"{loss:.5f}", sched.get_last_lr())
path = os.path.join(tempfile.mkdtemp(), "model.pt")
torch.save(model.state_dict(), path)
restored = nn.Linear(2, 1)
restored.load_state_dict(torch.load(path))
print(torch.allclose(restored(x), model(x)))
