# Tensors: the first notebook of every course.
import numpy as np
import torch

x = torch.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
print(x)
print(x.shape, x.size(1), x.dtype, x.ndim, x.numel())
print(x[0], x[:, 1], x[1, 2].item())
print(x.T @ x)
print(x.reshape(3, 2), x.view(-1))
values, indices = x.max(dim=1)
print(x.sum(), x.mean(dim=0), values, indices, x.max(dim=1).values)
y = torch.zeros_like(x)
y[0, 1] = 7
print(y, torch.ones(2, 2, dtype=torch.long))
print(torch.arange(0, 10, 2), torch.linspace(0, 1, 5))
print(torch.cat([x, x]).shape, torch.stack([x, x]).shape)
a = np.array([1.5, 2.5])
t = torch.from_numpy(a)
print(t, t.numpy(), torch.tensor(a).dtype)
print(f"mean = {x.mean():.3f}, first = {x[0, 0]:.1f}")
print(x.type(), x.long().type(), x.to(torch.float64).dtype)
print(torch.FloatTensor([1, 2]), torch.LongTensor([3.7, 1.2]), torch.FloatTensor(2, 3).shape)
print(isinstance(x, torch.FloatTensor), isinstance(x.long(), torch.LongTensor))
print((x > 2).sum().item(), torch.where(x > 3, x, torch.zeros_like(x)))
print(x.unsqueeze(0).shape, x.flatten().tolist())
