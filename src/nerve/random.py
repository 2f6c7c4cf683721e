"""Random numbers: a default generator seeded by ``manual_seed``, and ``Generator`` objects for
independent, reproducible streams (torch's names). Numbers are always drawn on the CPU with
NumPy's PCG64 and then moved, so a seed gives the same values on every device."""

from __future__ import annotations

import numpy as np

_DEFAULT_SEED = 67280421310721  # torch's default initial seed


class Generator:
    """A source of random numbers with its own state.

    Example:
        >>> import nerve
        >>> g = nerve.Generator().manual_seed(0)
        >>> a = nerve.rand(2, generator=g)
        >>> b = nerve.rand(2, generator=nerve.Generator().manual_seed(0))
        >>> bool((a == b).all())
        True
    """

    def __init__(self, device: str = "cpu") -> None:
        self.device = device
        self._seed = _DEFAULT_SEED
        self.numpy = np.random.Generator(np.random.PCG64(self._seed))

    def manual_seed(self, seed: int) -> Generator:
        seed = int(seed)
        if seed < 0:
            seed &= (1 << 64) - 1  # torch accepts negative seeds by wrapping them
        self._seed = seed
        self.numpy = np.random.Generator(np.random.PCG64(seed))
        return self

    def initial_seed(self) -> int:
        return self._seed

    def seed(self) -> int:
        """Re-seed from fresh entropy and return the new seed."""
        new = int(np.random.SeedSequence().entropy) & ((1 << 63) - 1)
        self.manual_seed(new)
        return new

    def get_state(self) -> dict[str, object]:
        """The generator's state as plain data (JSON-safe), for checkpoints."""
        state = self.numpy.bit_generator.state
        return {
            "seed": self._seed,
            "state": str(state["state"]["state"]),
            "inc": str(state["state"]["inc"]),
            "has_uint32": int(state["has_uint32"]),
            "uinteger": int(state["uinteger"]),
        }

    def set_state(self, state: dict[str, object]) -> Generator:
        try:
            bit_state = {
                "bit_generator": "PCG64",
                "state": {"state": int(str(state["state"])), "inc": int(str(state["inc"]))},
                "has_uint32": int(state["has_uint32"]),  # type: ignore[call-overload]
                "uinteger": int(state["uinteger"]),  # type: ignore[call-overload]
            }
        except (KeyError, TypeError, ValueError) as error:
            raise ValueError(f"not a nerve Generator state: {error}") from None
        self._seed = int(state.get("seed", self._seed))  # type: ignore[call-overload]
        self.numpy.bit_generator.state = bit_state
        return self


default_generator = Generator()


def manual_seed(seed: int) -> Generator:
    """Seed the default generator, making nerve's random ops reproducible.

    Example:
        >>> import nerve
        >>> _ = nerve.manual_seed(0); a = nerve.randn(3)
        >>> _ = nerve.manual_seed(0); bool((a == nerve.randn(3)).all())
        True
    """
    return default_generator.manual_seed(seed)


def seed() -> int:
    """Re-seed the default generator from fresh entropy and return that seed (torch.seed).

    Example:
        >>> import nerve
        >>> s = nerve.seed()
        >>> nerve.initial_seed() == s
        True
    """
    return default_generator.seed()


def initial_seed() -> int:
    """The seed the default generator was last seeded with (torch.initial_seed).

    Example:
        >>> import nerve
        >>> _ = nerve.manual_seed(42)
        >>> nerve.initial_seed()
        42
    """
    return default_generator.initial_seed()


def get_rng_state() -> dict[str, object]:
    """The default generator's state as plain data, for :func:`set_rng_state` (torch.get_rng_state).

    Example:
        >>> import nerve
        >>> state = nerve.get_rng_state()
        >>> a = nerve.rand(3)
        >>> nerve.set_rng_state(state)
        >>> nerve.equal(a, nerve.rand(3))
        True
    """
    return default_generator.get_state()


def set_rng_state(state: dict[str, object]) -> None:
    """Restore the default generator's state from :func:`get_rng_state` (torch.set_rng_state).

    Example:
        >>> import nerve
        >>> state = nerve.get_rng_state()
        >>> first = nerve.randint(0, 100, (4,))
        >>> nerve.set_rng_state(state)
        >>> nerve.equal(first, nerve.randint(0, 100, (4,)))
        True
    """
    default_generator.set_state(state)


def numpy_generator(generator: Generator | None) -> np.random.Generator:
    """The NumPy generator behind ``generator`` (the default one when None)."""
    if generator is None:
        return default_generator.numpy
    if not isinstance(generator, Generator):
        raise TypeError(f"generator must be a nerve.Generator, got {type(generator).__name__}")
    return generator.numpy
