# Module API: custom modules, state_dict, train/eval, hooks, parameter counting.
import torch
import torch.nn as nn


class Block(nn.Module):
    def __init__(self):
        super().__init__()
        self.lin = nn.Linear(3, 2)
        self.drop = nn.Dropout(0.5)
        self.register_buffer("steps", torch.zeros(1))

    def forward(self, x):
        self.steps += 1
        return self.drop(self.lin(x))


m = Block()
print(m)
print(list(m.state_dict().keys()))
print(sum(p.numel() for p in m.parameters() if p.requires_grad))
m.eval()
print(m.training, m.drop.training)
with torch.no_grad():
    m.lin.weight.copy_(torch.tensor([[1.0, 0.0, -1.0], [0.5, 0.5, 0.5]]))
    m.lin.bias.zero_()
shapes = []
m.lin.register_forward_hook(lambda mod, inp, out: shapes.append(tuple(out.shape)))
grads = []
m.lin.register_full_backward_hook(lambda mod, gin, gout: grads.append(gout[0].sum().item()))
x = torch.tensor([[1.0, 2.0, 3.0]], requires_grad=True)
out = m(x)
out.sum().backward()
print(out, shapes, grads, m.steps)
print(x.grad)
m2 = Block()
m2.load_state_dict(m.state_dict())
print(torch.equal(m2.lin.weight, m.lin.weight))
