# The device and setup lines of current tutorials.
import torch
import torch.backends.cudnn as cudnn

device = torch.accelerator.current_accelerator().type if torch.accelerator.is_available() else "cpu"
print(f"Using {device} device")
device = "cuda" if torch.cuda.is_available() else "mps" if torch.backends.mps.is_available() else "cpu"
print(device, torch.cuda.device_count())
cudnn.benchmark = True
torch.backends.cudnn.deterministic = True
print(cudnn.benchmark, torch.backends.cudnn.deterministic)
torch.cuda.manual_seed_all(0)
torch.cuda.empty_cache()
torch.set_num_threads(1)
print(torch.get_num_threads())
torch.set_printoptions(precision=2)
print(torch.tensor([1.23456, 2.5]))
torch.set_printoptions(profile="default")
x = torch.ones(2, 2).to(device)
print(x.device, x.is_cuda)
torch.set_default_device("cpu")
print(torch.get_default_device())
