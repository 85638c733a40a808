"""The Ising model's vectorised checkerboard sweep (``LocalKernel.sweep``), for even lattices.

Its ``params`` are the Ising couplings ``(Jx, Jy, h)`` and its ``table`` the acceptance
thresholds of :func:`ising_acceptance_table`.
"""

import numba
import numpy as np

from .streams import LANES, fill_lanes, next_uint64, seed_lanes

__all__ = ["ising_checkerboard_sweep", "ising_acceptance_table", "ising_table_index"]


def ising_acceptance_table(params, beta):
    """Thresholds ``2**32 * min(1, exp(-beta dE))`` indexed by :func:`ising_table_index`."""
    Jx, Jy, h = params
    table = np.empty(18, dtype=np.uint64)
    for a in (-2, 0, 2):
        for b in (-2, 0, 2):
            for s in (-1, 1):
                dE = 2.0 * (Jx * a + Jy * b + h * s)
                p = 1.0 if dE <= 0 else np.exp(-beta * dE)
                table[ising_table_index(a, b, s)] = np.uint64(min(np.ceil(p * 2.0**32), 2.0**32))
    return table


@numba.njit(cache=True, inline="always")
def ising_table_index(a, b, s):
    """Class of a site: ``a = s (left + right)``, ``b = s (up + down)``, its spin ``s``."""
    return ((a + 2) >> 1) * 6 + ((b + 2) >> 1) * 2 + ((s + 1) >> 1)


# Vectorised checkerboard sweep of the Ising model on lattices with even sides.
#
# Sites are stored as bits (1 for spin -1) in four sublattice blocks ``blocks[p, q]`` holding the
# sites (i, j) with ``j % 2 == p`` and ``i % 2 == q`` at ``[i // 2 + 1, j // 2 + 1]``. Each block
# has one ghost row and column on every side (periodic copies), so that the neighbours of a site
# sit at fixed offsets in the partner blocks: left/right in ``blocks[1 - p, q]`` at the same
# index and at -1 (p = 0) or +1 (p = 1), up/down in ``blocks[p, 1 - q]`` at the same index and
# one row up (q = 0) or down (q = 1). A colour is two blocks, each updated as one flat array in
# chunks; ghost columns and padding are visited too, with a ``valid`` mask of 0 that keeps them.
#
# A move is accepted when a 32-bit uniform is below the 32-bit threshold of its class
# (``ising_acceptance_table``). The vector pass compares only the upper 16 bits: below the
# threshold's upper 16 bits accepts, above rejects, and a tie (probability 2**-16) marks the site
# (bit 1) for an exact scalar pass that draws the lower 16 bits from the chain's stream.

#: Sites per chunk: one buffer of 16-bit uniforms, and every running sum stays below 2**16.
_CHUNK = 2048
#: Chunks are padded to a multiple of this, so that the vector loop leaves no scalar remainder.
_VECTOR = 64


@numba.njit(cache=True)
def _ising_blocks(config):
    """Bits of a configuration (int8 ``(Ly, Lx)``, even sides) in padded sublattice blocks."""
    Ly, Lx = config.shape
    R, P = Ly // 2, Lx // 2 + 2
    blocks = np.zeros((2, 2, R + 2 + (_VECTOR + P - 1) // P, P), dtype=np.uint8)
    for i in range(Ly):
        for j in range(Lx):
            blocks[j & 1, i & 1, i // 2 + 1, j // 2 + 1] = (1 - config[i, j]) >> 1
    for p in range(2):
        for q in range(2):
            _refresh_ghosts(blocks[p, q], R)
    return blocks


@numba.njit(cache=True)
def _ising_unblock(blocks, config):
    """Write the spins held in ``blocks`` into ``config`` (int8 ``(Ly, Lx)``)."""
    Ly, Lx = config.shape
    for i in range(Ly):
        for j in range(Lx):
            config[i, j] = 1 - 2 * np.int8(blocks[j & 1, i & 1, i // 2 + 1, j // 2 + 1])


@numba.njit(cache=True)
def _refresh_ghosts(block, R):
    W = block.shape[1] - 2
    for r in range(1, R + 1):
        block[r, 0] = block[r, W]
        block[r, W + 1] = block[r, 1]
    block[0, :] = block[R, :]
    block[R + 1, :] = block[1, :]


@numba.njit(cache=True)
def _ising_block_thresholds(table):
    """Thresholds by class ``nh * 6 + nv * 2 + x``: full (uint64) and upper 16 bits (uint16).

    ``nh``, ``nv``: left/right and up/down neighbours opposite to the site; ``x``: its bit.
    """
    full = np.empty(18, dtype=np.uint64)
    upper = np.empty(18, dtype=np.uint16)
    for nh in range(3):
        for nv in range(3):
            for x in range(2):
                k = nh * 6 + nv * 2 + x
                full[k] = table[(2 - nh) * 6 + (2 - nv) * 2 + (1 - x)]
                upper[k] = min(full[k] >> np.uint64(16), np.uint64(0xFFFF))
    return full, upper


@numba.njit(cache=True, inline="always")
def _pick3(n, if0, if1, if2):
    return if0 if n == 0 else (if1 if n == 1 else if2)


@numba.njit(cache=True, inline="always")
def _select18(nh, nv, x, t):
    """``t[nh * 6 + nv * 2 + x]`` as selects, which vectorise where a table lookup does not."""
    x0 = _pick3(nv, _pick3(nh, t[0], t[6], t[12]), _pick3(nh, t[2], t[8], t[14]),
                _pick3(nh, t[4], t[10], t[16]))
    x1 = _pick3(nv, _pick3(nh, t[1], t[7], t[13]), _pick3(nh, t[3], t[9], t[15]),
                _pick3(nh, t[5], t[11], t[17]))
    return x0 if x == 0 else x1


@numba.njit(cache=True)
def _ising_block_pass(spins, h0, h1, v0, v1, u, valid, upper):
    """Vector pass over one chunk: flip, keep, or mark a tie (bit 1) for the exact pass.

    Returns the flips, their sums of ``nh``, ``nv`` and ``x`` (all modulo 2**16, exact for
    chunks of at most ``_CHUNK`` sites) and whether any tie was marked. The narrow types and
    masks in place of products keep the loop in 8- and 16-bit vector lanes.
    """
    u8, u16 = np.uint8, np.uint16
    t = (upper[0], upper[1], upper[2], upper[3], upper[4], upper[5], upper[6], upper[7],
         upper[8], upper[9], upper[10], upper[11], upper[12], upper[13], upper[14], upper[15],
         upper[16], upper[17])
    flips = u16(0)
    sum_nh = u16(0)
    sum_nv = u16(0)
    sum_x = u16(0)
    ties = u8(0)
    for k in range(spins.shape[0]):
        x = spins[k]
        nh = u8(u8(x ^ h0[k]) + u8(x ^ h1[k]))
        nv = u8(u8(x ^ v0[k]) + u8(x ^ v1[k]))
        threshold = _select18(nh, nv, x, t)
        w = u[k]
        ok = valid[k]
        flip = u8(u8(w < threshold) & ok)
        tie = u8(u8(w == threshold) & ok)
        spins[k] = u8(u8(x ^ flip) | u8(tie + tie))
        mask = u8(-flip)
        flips = u16(flips + flip)
        sum_nh = u16(sum_nh + u8(mask & nh))
        sum_nv = u16(sum_nv + u8(mask & nv))
        sum_x = u16(sum_x + u8(flip & x))
        ties = u8(ties | tie)
    return flips, sum_nh, sum_nv, sum_x, ties


@numba.njit(cache=True)
def _ising_block_ties(spins, h0, h1, v0, v1, u, full, stream, totals):
    """Exact decision for the sites marked by :func:`_ising_block_pass`."""
    for k in range(spins.shape[0]):
        if spins[k] & 2:
            x = spins[k] & 1
            nh = (x ^ h0[k]) + (x ^ h1[k])
            nv = (x ^ v0[k]) + (x ^ v1[k])
            r = (np.uint64(u[k]) << np.uint64(16)) | (next_uint64(stream) >> np.uint64(48))
            flip = np.uint8(r < full[nh * 6 + nv * 2 + x])
            spins[k] = x ^ flip
            totals[0] += flip
            totals[1] += flip * nh
            totals[2] += flip * nv
            totals[3] += flip * x


@numba.njit(cache=True)
def _ising_block_update(A, H, V, dh, dv, P, valid, lanes, buf, u, full, upper, stream, totals):
    """Metropolis on every site of one block (flat ``A``; partners ``H``, ``V`` at ``dh``, ``dv``).

    ``totals`` (int64, 4) accumulates the flips and their sums of ``nh``, ``nv`` and ``x``.
    """
    n_sites = valid.shape[0]
    for start in range(0, n_sites, _CHUNK):
        n = min(_CHUNK, n_sites - start)
        fill_lanes(lanes, buf[:(n + 4 * LANES - 1) // (4 * LANES)])
        s = P + start
        flips, sum_nh, sum_nv, sum_x, ties = _ising_block_pass(
            A[s:s + n], H[s:s + n], H[s + dh:s + dh + n], V[s:s + n], V[s + dv:s + dv + n],
            u[:n], valid[start:start + n], upper)
        totals[0] += flips
        totals[1] += sum_nh
        totals[2] += sum_nv
        totals[3] += sum_x
        if ties:
            _ising_block_ties(A[s:s + n], H[s:s + n], H[s + dh:s + dh + n], V[s:s + n],
                              V[s + dv:s + dv + n], u[:n], full, stream, totals)


@numba.njit(cache=True)
def _ising_energy_change(params, totals):
    """Energy and magnetisation changes of the flips summed in ``totals``."""
    Jx, Jy, h = params
    flips, sum_nh, sum_nv, sum_x = totals[0], totals[1], totals[2], totals[3]
    # flipping a site of class (nh, nv, x) changes the energy by
    # 4 Jx (1 - nh) + 4 Jy (1 - nv) + 2 h (1 - 2 x) and the magnetisation by -2 (1 - 2 x)
    d_energy = 4.0 * Jx * (flips - sum_nh) + 4.0 * Jy * (flips - sum_nv) \
        + 2.0 * h * (flips - 2 * sum_x)
    return d_energy, -2.0 * (flips - 2 * sum_x)


@numba.njit(cache=True)
def ising_checkerboard_sweep(config, rng_state, params, table, energy, n_sweeps, thin, rec_energy,
                 rec_magnet, rec_snapshots):
    """Checkerboard sweeps of one chain on an even lattice (``LocalKernel.sweep``)."""
    R = config.shape[0] // 2
    blocks = _ising_blocks(config)
    P = blocks.shape[3]
    flat = blocks.reshape(2, 2, -1)
    n_sites = (R * P + _VECTOR - 1) // _VECTOR * _VECTOR
    valid = np.zeros(n_sites, dtype=np.uint8)
    valid[:R * P].reshape(R, P)[:, 1:P - 1] = 1
    full, upper = _ising_block_thresholds(table)
    lanes = seed_lanes(rng_state)
    buf = np.empty((_CHUNK // (4 * LANES), LANES), dtype=np.uint64)
    u = buf.reshape(-1).view(np.uint16)
    magnet = float(np.sum(config))
    totals = np.zeros(4, dtype=np.int64)
    record = 0
    for sweep_index in range(1, n_sweeps + 1):
        for colour in range(2):
            for q in range(2):
                p = (colour + q) & 1
                _ising_block_update(flat[p, q], flat[1 - p, q], flat[p, 1 - q],
                                    -1 if p == 0 else 1, -P if q == 0 else P, P, valid, lanes,
                                    buf, u, full, upper, rng_state, totals)
                _refresh_ghosts(blocks[p, q], R)
        if thin > 0 and sweep_index % thin == 0 and record < rec_energy.shape[0]:
            d_energy, d_magnet = _ising_energy_change(params, totals)
            rec_energy[record] = energy + d_energy
            rec_magnet[record] = magnet + d_magnet
            if rec_snapshots.shape[0] > 0:
                _ising_unblock(blocks, rec_snapshots[record])
            record += 1
    _ising_unblock(blocks, config)
    return energy + _ising_energy_change(params, totals)[0], totals[0]
