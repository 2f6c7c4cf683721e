# An older course notebook: Variable, FloatTensor, size_average, manual .data updates.
import warnings

import torch
from torch.autograd import Variable

warnings.simplefilter("ignore")
x = Variable(torch.FloatTensor([[1.0, 2.0], [3.0, 4.0]]))
y = Variable(torch.FloatTensor([[1.0], [0.0]]))
w = Variable(torch.FloatTensor([[0.1], [-0.1]]), requires_grad=True)
loss_fn = torch.nn.MSELoss(size_average=False)
for t in range(5):
    y_pred = x.mm(w)
    loss = loss_fn(y_pred, y)
    print(t, round(loss.item(), 4))
    loss.backward()
    w.data -= 0.01 * w.grad.data
    w.grad.data.zero_()
print(w.data, loss_fn.reduction)
labels = torch.LongTensor([0, 1])
print(labels.type(), x.type(torch.DoubleTensor).type())
print(torch.nn.functional.cross_entropy(x, labels, reduce=False))
