"""``nerve.vision``: torchvision's names for what learners use with images.

``datasets`` (``MNIST`` from IDX files, ``ImageFolder``) and ``transforms`` (``Compose``,
``ToTensor``, ``Normalize``, ``RandomCrop``, ...): a torchvision script runs on nerve with
``from torchvision import datasets, transforms`` changed to
``from nerve.vision import datasets, transforms``. Pillow reads the images.
"""

from . import datasets, functional, transforms

__all__ = ["datasets", "transforms", "functional"]
