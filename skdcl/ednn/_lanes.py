"""Sweeps of many chains at once under a tabulated EDNN, one chain per vector lane.

The :attr:`LocalKernel.lane_sweep <skdcl.montecarlo.LocalKernel.lane_sweep>` of the tabulated
kernel, for two-state sites held by 2 x 2 tiles (focus 2 with context 1). It makes the moves of
:mod:`._sweep` (the same colour classes, in the same order) in :data:`LANE_WIDTH` chains side
by side: the chains' site states, tile codes and cached tile energies are stored with the chain
as the last axis, so that one move of one site in every chain is a vector operation (contiguous
loads of the codes, gathers of the table, a vector comparison and masked stores). It is the
layout a GPU runs too: one colour of every chain is one array step.

The compiler vectorises the loop over chains only when it can prove that the table it gathers
from is never written, so the table is bound as a compile-time constant: each fitted model
compiles its own lane sweep on first use (cached on disk, keyed by the table's bytes). Each
chain draws from its own random stream, so a chain's trajectory does not depend on which chains
share its group.
"""

import hashlib

import numba
import numpy as np

from ..montecarlo import fill_lanes
from ..montecarlo.specialise import specialise
from ._sweep import _LOG_BOUNDS, _TWO_TO_MINUS_32

__all__ = ["LANE_WIDTH", "lane_sweep_for"]

#: Chains swept together: a multiple of the vector width that the compiler fills.
LANE_WIDTH = 32


@numba.njit(cache=True)
def _to_lanes(configs, window_sites, offset, shift, table, states, codes, tile_energy):
    """Site states, tile codes and tile energies of each chain, chain last."""
    n_chains, Ly, Lx = configs.shape
    for w in range(n_chains):
        for i in range(Ly):
            for j in range(Lx):
                states[i * Lx + j, w] = (configs[w, i, j] - offset) >> shift
        for t in range(window_sites.shape[0]):
            code = numba.uint64(0)
            for cell in range(window_sites.shape[1]):
                code |= numba.uint64(states[window_sites[t, cell], w]) << numba.uint64(cell)
            codes[t, w] = code
            tile_energy[t, w] = table[code]


@numba.njit(cache=True)
def _to_configs(states, offset, shift, configs):
    """The chains' configurations (``configs``, chain first) from their lane states."""
    n_chains, Ly, Lx = configs.shape
    for w in range(n_chains):
        for i in range(Ly):
            for j in range(Lx):
                configs[w, i, j] = numba.int8(offset + (states[i * Lx + j, w] << shift))


@numba.njit(cache=True, inline="always")
def _holders(row_index, col_index, a, b, m, n):
    """The four tiles holding site ``(a + Py m, b + Px n)`` of colour (a, b)."""
    return (row_index[a, 0, m] + col_index[b, 0, n], row_index[a, 0, m] + col_index[b, 1, n],
            row_index[a, 1, m] + col_index[b, 0, n], row_index[a, 1, m] + col_index[b, 1, n])


@numba.njit(cache=True)
def _magnetisation(states):
    """``n_1 - n_0`` of every lane (the order parameter of two states times the sites)."""
    magnet = np.zeros(states.shape[1])
    for s in range(states.shape[0]):
        for w in range(states.shape[1]):
            magnet[w] += 2.0 * states[s, w] - 1.0
    return magnet


def _colour_pass_template(a, b, row_index, col_index, places, Lx, beta, draws, states, codes,
                          tile_energy, energy, n_accepted, undecided):
    """One move at every site of colour (a, b) in every lane, bound to ``TABLE``.

    Returns the number of sites listed in ``undecided``: those with a lane whose ``beta dE``
    fell inside its uniform's bucket (rejected here, for :func:`_settle_undecided`).
    """
    Py, Px = row_index.shape[0], col_index.shape[0]
    My, Mx = row_index.shape[2], col_index.shape[2]
    p0, p1 = places[a, b, 0, 0], places[a, b, 0, 1]
    p2, p3 = places[a, b, 1, 0], places[a, b, 1, 1]
    n_listed = 0
    for m in range(My):
        for n in range(Mx):
            t00, t01, t10, t11 = _holders(row_index, col_index, a, b, m, n)
            c0, c1, c2, c3 = codes[t00], codes[t01], codes[t10], codes[t11]
            e0, e1, e2, e3 = tile_energy[t00], tile_energy[t01], tile_energy[t10], \
                tile_energy[t11]
            st = states[(a + Py * m) * Lx + b + Px * n]
            k = m * Mx + n
            row = draws[k >> 1]
            half = numba.uint64(32 * (k & 1))
            n_undecided = 0
            for w in range(LANE_WIDTH):
                n0, n1, n2, n3 = c0[w] ^ p0, c1[w] ^ p1, c2[w] ^ p2, c3[w] ^ p3
                f0, f1, f2, f3 = TABLE[n0], TABLE[n1], TABLE[n2], TABLE[n3]  # noqa: F821
                dE = ((f0 - e0[w]) + (f1 - e1[w])) + ((f2 - e2[w]) + (f3 - e3[w]))
                x = beta * dE
                bits = (row[w] >> half) & numba.uint64(0xFFFFFFFF)
                bucket = numba.uint64(2) * (bits >> numba.uint64(21))
                accept = x < _LOG_BOUNDS[bucket + numba.uint64(1)]
                n_undecided += (x < _LOG_BOUNDS[bucket]) > accept  # -log u >= x > its lower bound
                c0[w] = n0 if accept else c0[w]
                c1[w] = n1 if accept else c1[w]
                c2[w] = n2 if accept else c2[w]
                c3[w] = n3 if accept else c3[w]
                e0[w] = f0 if accept else e0[w]
                e1[w] = f1 if accept else e1[w]
                e2[w] = f2 if accept else e2[w]
                e3[w] = f3 if accept else e3[w]
                st[w] ^= numba.int8(accept)
                energy[w] += dE if accept else 0.0
                n_accepted[w] += accept
            undecided[n_listed] = k
            n_listed += n_undecided > 0
    return n_listed


def _lane_template(configs, energies, rng_states, params, acceptance, n_sweeps, thin,
                   rec_energy, rec_magnet, rec_snapshots, accepted):
    """``LANE_WIDTH`` chains of colour-class sweeps, bound to ``TABLE`` by :func:`specialise`."""
    table = TABLE  # noqa: F821
    beta = acceptance[0]
    window_sites, offset, shift = params[2], params[4], params[5]
    row_index, col_index, places = params[6], params[7], params[8]
    n_lanes, Ly, Lx = configs.shape
    Py, Px = row_index.shape[0], col_index.shape[0]
    My, Mx = row_index.shape[2], col_index.shape[2]
    n_tiles = window_sites.shape[0]
    # lanes past the chains given run from the configuration of state 0; they are discarded
    states = np.zeros((Ly * Lx, LANE_WIDTH), dtype=np.int8)
    codes = np.zeros((n_tiles, LANE_WIDTH), dtype=np.uint64)
    tile_energy = np.full((n_tiles, LANE_WIDTH), table[0])
    _to_lanes(configs, window_sites, offset, shift, table, states, codes, tile_energy)
    rng = np.ones((4, LANE_WIDTH), dtype=np.uint64)
    energy = np.zeros(LANE_WIDTH)
    n_accepted = np.zeros(LANE_WIDTH, dtype=np.int64)
    for w in range(n_lanes):
        rng[:, w] = rng_states[w]
        energy[w] = energies[w]
    draws = np.empty(((My * Mx + 1) // 2, LANE_WIDTH), dtype=np.uint64)
    undecided = np.empty(My * Mx, dtype=np.int64)
    classes = (row_index, col_index, places, Lx)
    record = 0
    for sweep_index in range(1, n_sweeps + 1):
        for a in range(Py):
            for b in range(Px):
                fill_lanes(rng, draws, LANE_WIDTH)
                n_listed = colour_pass(a, b, row_index, col_index, places, Lx,  # noqa: F821
                                       beta, draws, states, codes, tile_energy, energy,
                                       n_accepted, undecided)
                if n_listed > 0:
                    _settle_undecided(undecided[:n_listed], a, b, classes, beta, draws,
                                      states, codes, tile_energy, table, energy, n_accepted)
        if thin > 0 and sweep_index % thin == 0 and record < rec_energy.shape[1]:
            magnet = _magnetisation(states)
            for w in range(n_lanes):
                rec_energy[w, record] = energy[w]
                rec_magnet[w, record] = magnet[w]
            if rec_snapshots.shape[1] > 0:
                _to_configs(states[:, :n_lanes], offset, shift, rec_snapshots[:, record])
            record += 1
    _to_configs(states[:, :n_lanes], offset, shift, configs)
    for w in range(n_lanes):
        rng_states[w] = rng[:, w]
        energies[w] = energy[w]
        accepted[w] += n_accepted[w]


@numba.njit(cache=True)
def _settle_undecided(sites, a, b, classes, beta, draws, states, codes, tile_energy, table,
                      energy, n_accepted):
    """Moves of colour (a, b) whose ``beta dE`` fell inside its uniform's bucket, decided with
    ``exp``.

    The vector pass rejected them; ``sites`` lists the colour's sites (index ``k = m Mx + n``)
    with at least one such lane. The sites of a colour share no tile, so deciding them after
    the pass is the same as deciding them in it.
    """
    row_index, col_index, places, Lx = classes
    Py, Px, Mx = row_index.shape[0], col_index.shape[0], col_index.shape[2]
    for k in sites:
        m, n = k // Mx, k % Mx
        tiles = _holders(row_index, col_index, a, b, m, n)
        steps = (places[a, b, 0, 0], places[a, b, 0, 1], places[a, b, 1, 0], places[a, b, 1, 1])
        site = (a + Py * m) * Lx + b + Px * n
        half = numba.uint64(32 * (k & 1))
        for w in range(draws.shape[1]):
            dE = 0.0
            for h in range(4):
                dE += table[codes[tiles[h], w] ^ steps[h]] - tile_energy[tiles[h], w]
            x = beta * dE
            bits = (draws[k >> 1, w] >> half) & numba.uint64(0xFFFFFFFF)
            bucket = numba.uint64(2) * (bits >> numba.uint64(21))
            if x < _LOG_BOUNDS[bucket + numba.uint64(1)] or x >= _LOG_BOUNDS[bucket]:
                continue  # decided by the vector pass
            if bits * _TWO_TO_MINUS_32 < np.exp(-x):
                for h in range(4):
                    code = codes[tiles[h], w] ^ steps[h]
                    codes[tiles[h], w] = code
                    tile_energy[tiles[h], w] = table[code]
                states[site, w] ^= numba.int8(1)
                energy[w] += dE
                n_accepted[w] += 1


#: Lane sweeps of the tables used most recently (each compiled once per process).
_LANE_SWEEPS = {}
_KEPT_SWEEPS = 8


def lane_sweep_for(table, classes, two_state):
    """The lane sweep of a tabulated EDNN, or None where it does not apply.

    Parameters
    ----------
    table : ndarray of float, shape (n_codes,)
        Energy of every tile code (one table serves every tile).
    classes : dict or None
        From :func:`._geometry.colour_classes`.
    two_state : bool

    Returns
    -------
    sweep : numba dispatcher or None
        ``sweep(configs, energies, rng_states, params, table, n_sweeps, thin, rec_energy,
        rec_magnet, rec_snapshots, accepted)`` over at most :data:`LANE_WIDTH` chains (the
        leading axis of every per-chain argument; ``table`` is ``[beta]``); None unless the
        sites have two states and every site is held by 2 x 2 tiles.
    """
    if classes is None or not two_state:
        return None
    if not (np.all(classes["row_counts"] == 2) and np.all(classes["col_counts"] == 2)):
        return None
    table = np.ascontiguousarray(table, dtype=np.float64)
    key = hashlib.sha1(table.tobytes()).hexdigest()
    if key in _LANE_SWEEPS:
        _LANE_SWEEPS[key] = _LANE_SWEEPS.pop(key)  # now the most recent
    else:
        if len(_LANE_SWEEPS) >= _KEPT_SWEEPS:
            _LANE_SWEEPS.pop(next(iter(_LANE_SWEEPS)))
        colour_pass = specialise(_colour_pass_template, {"TABLE": table})
        _LANE_SWEEPS[key] = specialise(_lane_template, {"TABLE": table,
                                                        "colour_pass": colour_pass})
    return _LANE_SWEEPS[key]
