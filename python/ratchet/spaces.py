"""Observation and action spaces: gymnasium's when it is installed, else small stand-ins with the
same attributes (shape, dtype, low, high, n, sample, contains, seed)."""
import numpy as np

try:  # pragma: no cover - depends on the machine
    import gymnasium as _gym
    Box = _gym.spaces.Box
    Discrete = _gym.spaces.Discrete
    HAVE_GYMNASIUM = True
except ImportError:
    HAVE_GYMNASIUM = False

    class _Space:
        def __init__(self, shape, dtype, seed=None):
            self.shape = shape
            self.dtype = np.dtype(dtype)
            self.np_random = np.random.default_rng(seed)

        def seed(self, seed=None):
            self.np_random = np.random.default_rng(seed)
            return [seed]

        def __contains__(self, x):
            return self.contains(x)

    class Box(_Space):
        """A box of float32 values between low and high (either may be infinite)."""

        def __init__(self, low, high, shape=None, dtype=np.float32, seed=None):
            low = np.asarray(low, dtype=dtype)
            high = np.asarray(high, dtype=dtype)
            if shape is not None:
                low = np.broadcast_to(low, shape).astype(dtype)
                high = np.broadcast_to(high, shape).astype(dtype)
            super().__init__(low.shape, dtype, seed)
            self.low, self.high = low, high

        def sample(self):
            lo = np.where(np.isfinite(self.low), self.low, -1.0)
            hi = np.where(np.isfinite(self.high), self.high, 1.0)
            unbounded = ~np.isfinite(self.low) & ~np.isfinite(self.high)
            x = self.np_random.uniform(lo, hi, size=self.shape)
            x = np.where(unbounded, self.np_random.normal(size=self.shape), x)
            return x.astype(self.dtype)

        def contains(self, x):
            x = np.asarray(x)
            return (x.shape == self.shape and np.can_cast(x.dtype, self.dtype, "same_kind")
                    and bool(np.all(x >= self.low)) and bool(np.all(x <= self.high)))

        def __repr__(self):
            return f"Box({self.low.min()}, {self.high.max()}, {self.shape}, {self.dtype})"

        def __eq__(self, other):
            return (isinstance(other, Box) and self.shape == other.shape
                    and np.array_equal(self.low, other.low) and np.array_equal(self.high, other.high))

    class Discrete(_Space):
        """The integers 0 .. n-1."""

        def __init__(self, n, seed=None, start=0):
            super().__init__((), np.int64, seed)
            self.n = int(n)
            self.start = int(start)

        def sample(self):
            return int(self.start + self.np_random.integers(self.n))

        def contains(self, x):
            if isinstance(x, (int, np.integer)) or (isinstance(x, np.ndarray) and x.shape == ()
                                                     and np.issubdtype(x.dtype, np.integer)):
                return self.start <= int(x) < self.start + self.n
            return False

        def __repr__(self):
            return f"Discrete({self.n})"

        def __eq__(self, other):
            return isinstance(other, Discrete) and self.n == other.n


def from_spec(d):
    """A space from the core's description (dict with discrete, n, low, high)."""
    if d["discrete"]:
        return Discrete(d["n"])
    return Box(np.asarray(d["low"], np.float32), np.asarray(d["high"], np.float32), dtype=np.float32)


class MultiDiscrete:
    """Stand-in batch of Discrete spaces (gymnasium's MultiDiscrete when installed)."""

    def __init__(self, nvec):
        self.nvec = np.asarray(nvec, dtype=np.int64)
        self.shape = self.nvec.shape
        self.dtype = np.dtype(np.int64)
        self.np_random = np.random.default_rng()

    def sample(self):
        return (self.np_random.random(self.shape) * self.nvec).astype(np.int64)

    def contains(self, x):
        x = np.asarray(x)
        return x.shape == self.shape and bool(np.all((x >= 0) & (x < self.nvec)))


if HAVE_GYMNASIUM:  # pragma: no cover
    MultiDiscrete = _gym.spaces.MultiDiscrete  # noqa: F811


def batch(space, n):
    """The space of n stacked elements of `space` (Gymnasium's batch_space for Box and Discrete)."""
    if isinstance(space, Discrete):
        return MultiDiscrete(np.full(n, space.n))
    return Box(np.tile(space.low, (n,) + (1,) * space.low.ndim), np.tile(space.high, (n,) + (1,) * space.high.ndim),
               dtype=np.float32)
