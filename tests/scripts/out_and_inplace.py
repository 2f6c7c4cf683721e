# out=, in-place ops, views and dtypes.
import torch

a = torch.tensor([[1.0, 2.0], [3.0, 4.0]])
result = torch.empty(2, 2)
torch.add(a, a, out=result)
print(result)
torch.matmul(a, a, out=result)
print(result)
values, indices = torch.empty(0), torch.empty(0, dtype=torch.long)
torch.max(a, 1, out=(values, indices))
print(values, indices)
a.add_(1).mul_(2)
print(a)
a.clamp_(max=8)
print(a)
b = a.view(4)
b[0] = 100
print(a)
print(torch.tensor([1.0, 2.0]).view(torch.int32))
print(torch.tensor([127], dtype=torch.int8) + 1)
print(torch.zeros(3, out=torch.empty(0, dtype=torch.long)))
print(torch.exp(torch.zeros(2), out=torch.empty(2)))
