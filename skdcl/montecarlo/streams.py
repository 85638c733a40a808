"""Random streams of the Monte Carlo engine: one xoshiro256** generator per chain.

Each chain owns its own stream, seeded from ``random_state`` through
:class:`numpy.random.SeedSequence`, so results are bit-identical whatever the number of threads.
Whole-sweep kernels that want vector instructions draw from :data:`LANES` independent lanes per
chain (:func:`seed_lanes`, :func:`fill_lanes`), seeded from the chain's own stream.
"""

import numba
import numpy as np
from sklearn.utils import check_random_state

__all__ = ["seed_streams", "xoshiro", "next_uint64", "uniform", "seed_lanes", "fill_lanes",
           "LANES"]

#: 2 ** -32: maps 32 random bits to a uniform number in [0, 1).
_TWO_TO_MINUS_32 = 1.0 / 4294967296.0


def seed_streams(n_chains, random_state=None):
    """Independent xoshiro256** states, one per chain, drawn from ``random_state``.

    Parameters
    ----------
    n_chains : int
    random_state : int, RandomState instance or None

    Returns
    -------
    states : ndarray of uint64, shape (n_chains, 4)
    """
    entropy = int(check_random_state(random_state).randint(0, 2**31 - 1))
    words = np.random.SeedSequence(entropy).generate_state(4 * n_chains, dtype=np.uint64)
    states = words.reshape(n_chains, 4)
    states[np.all(states == 0, axis=1), 0] = 1  # xoshiro must not start at all zeros
    return states


@numba.njit(cache=True, inline="always")
def _rotl(x, k):
    return (x << numba.uint64(k)) | (x >> numba.uint64(64 - k))


@numba.njit(cache=True, inline="always")
def xoshiro(s0, s1, s2, s3):
    """One xoshiro256** step on a state held in four local variables (compiled).

    Returns ``(output, s0, s1, s2, s3)``: the next 64-bit output and the new state.
    """
    result = _rotl(s1 * numba.uint64(5), 7) * numba.uint64(9)
    t = s1 << numba.uint64(17)
    s2 ^= s0
    s3 ^= s1
    s1 ^= s2
    s0 ^= s3
    s2 ^= t
    s3 = _rotl(s3, 45)
    return result, s0, s1, s2, s3


#: Number of xoshiro256** lanes per chain used by whole-sweep kernels.
LANES = 16


@numba.njit(cache=True)
def next_uint64(state):
    """Next output of a xoshiro256** stream (compiled; call it from numba code).

    Parameters
    ----------
    state : ndarray of uint64, shape (4,)
        The stream's state, advanced in place.

    Returns
    -------
    r : uint64
    """
    r, state[0], state[1], state[2], state[3] = xoshiro(state[0], state[1], state[2], state[3])
    return r


@numba.njit(cache=True, inline="always")
def _splitmix64(z):
    z = (z ^ (z >> numba.uint64(30))) * numba.uint64(0xBF58476D1CE4E5B9)
    z = (z ^ (z >> numba.uint64(27))) * numba.uint64(0x94D049BB133111EB)
    return z ^ (z >> numba.uint64(31))


@numba.njit(cache=True)
def seed_lanes(state):
    """:data:`LANES` xoshiro256** states seeded from a chain's stream (compiled).

    Each lane word is the splitmix64 mix of the next output of ``state``, so the lanes are a
    deterministic function of the chain's stream, which advances by ``4 * LANES`` draws.

    Parameters
    ----------
    state : ndarray of uint64, shape (4,)
        The chain's stream; updated in place.

    Returns
    -------
    lanes : ndarray of uint64, shape (4, LANES)
    """
    lanes = np.empty((4, LANES), dtype=np.uint64)
    for k in range(LANES):
        for w in range(4):
            lanes[w, k] = _splitmix64(next_uint64(state))
        if lanes[0, k] == 0 and lanes[1, k] == 0 and lanes[2, k] == 0 and lanes[3, k] == 0:
            lanes[0, k] = 1
    return lanes


@numba.njit(cache=True, inline="always")
def fill_lanes(lanes, out, width=LANES):
    """Next outputs of every lane, with vector instructions (compiled; call it from numba code).

    The loop over lanes vectorises: xoshiro256** with its multiplications by 5 and 9 written as
    shifts and adds.

    Parameters
    ----------
    lanes : ndarray of uint64, shape (4, width)
        Lane states (from :func:`seed_lanes`, or one chain's stream per lane), advanced in place.
    out : ndarray of uint64, shape (m, width)
        Receives the next m outputs: ``out[r, k]`` is the r-th output of lane k.
    width : int, default=LANES
        Number of lanes, a compile-time constant where the caller's is.
    """
    for r in range(out.shape[0]):
        for k in range(width):
            s0, s1, s2, s3 = lanes[0, k], lanes[1, k], lanes[2, k], lanes[3, k]
            x = _rotl((s1 << numba.uint64(2)) + s1, 7)
            out[r, k] = (x << numba.uint64(3)) + x
            t = s1 << numba.uint64(17)
            s2 ^= s0
            s3 ^= s1
            s1 ^= s2
            s0 ^= s3
            s2 ^= t
            lanes[0, k], lanes[1, k], lanes[2, k], lanes[3, k] = s0, s1, s2, _rotl(s3, 45)


@numba.njit(cache=True, inline="always")
def uniform(r):
    """A uniform number in [0, 1) from the low 32 bits of a draw ``r`` (compiled)."""
    return (r & numba.uint64(0xFFFFFFFF)) * _TWO_TO_MINUS_32
