# Datasets and DataLoader: the data section of the basics tutorial.
import torch
from torch.utils.data import DataLoader, Dataset, TensorDataset


class Squares(Dataset):
    def __init__(self, n):
        self.x = torch.arange(n, dtype=torch.float32)

    def __len__(self):
        return len(self.x)

    def __getitem__(self, i):
        return self.x[i], self.x[i] ** 2


ds = Squares(10)
print(len(ds), ds[3])
loader = DataLoader(ds, batch_size=4, shuffle=False)
for xb, yb in loader:
    print(xb.tolist(), yb.sum().item())
pairs = TensorDataset(torch.ones(5, 2), torch.arange(5))
for xb, yb in DataLoader(pairs, batch_size=2, drop_last=True):
    print(xb.shape, yb)
print(len(DataLoader(pairs, batch_size=2)))
