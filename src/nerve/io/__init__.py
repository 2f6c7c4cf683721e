"""Model and optimizer files without pickle: safetensors tensors plus JSON metadata.

Two layers, both NumPy-only:

* :mod:`nerve.io.safetensors` reads and writes the safetensors format itself
  (``save_file`` / ``load_file`` / ``save_bytes`` / ``load_bytes``), validating every byte
  it reads and writing atomically;
* :mod:`nerve.io.tree` stores nested state dicts (dicts with str or int keys, lists, tuples,
  arrays, numbers incl. nan/inf, bools, None, strings) on top of it
  (``save_tree`` / ``load_tree`` / ``dumps_tree`` / ``loads_tree``).

Example::

    from nerve.io import load_tree, save_tree

    save_tree({"state": {0: {"step": 3}}, "w": np.zeros(3)}, "opt.safetensors")
    load_tree("opt.safetensors")  # {'state': {0: {'step': 3}}, 'w': array([0., 0., 0.])}
"""

from nerve.io.safetensors import (
    SafetensorsError,
    dtype_code,
    load_bytes,
    load_file,
    save_bytes,
    save_file,
)
from nerve.io.tree import dumps_tree, load_tree, loads_tree, save_tree

__all__ = [
    "SafetensorsError",
    "dtype_code",
    "dumps_tree",
    "load_bytes",
    "load_file",
    "load_tree",
    "loads_tree",
    "save_bytes",
    "save_file",
    "save_tree",
]
