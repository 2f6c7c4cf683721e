# Autograd: the blitz tutorial's second section.
import torch
from torch.autograd import Variable

x = torch.ones(2, 2, requires_grad=True)
y = x + 2
z = y * y * 3
out = z.mean()
print(y.grad_fn is not None, out)
out.backward()
print(x.grad)
w = torch.tensor([1.0, -2.0, 3.0], requires_grad=True)
loss = (w ** 2).sum()
loss.backward()
print(w.grad, w.is_leaf, loss.is_leaf)
with torch.no_grad():
    w -= 0.1 * w.grad
    w.grad.zero_()
print(w, w.requires_grad)
print(w.detach().requires_grad, (w * 2).requires_grad)
v = Variable(torch.tensor([2.0]), requires_grad=True)
(v ** 3).backward()
print(v.grad, v.data)
a = torch.tensor(3.0, requires_grad=True)
b = a * a
b.retain_grad()
c = b * 2
c.backward()
print(a.grad, b.grad)
