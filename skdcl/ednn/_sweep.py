"""Whole sweep of the tabulated EDNN over colour classes of sites with disjoint windows.

The :attr:`LocalKernel.sweep <skdcl.montecarlo.LocalKernel.sweep>` of the tabulated kernel.
Sites are coloured by their coordinates modulo the period of :func:`._geometry.colour_classes`
(4 x 4 = 16 colours for 4x4 windows): no tile holds two sites of one colour, so the moves of
one colour do not interact. A sweep visits the colours in a fixed order, and the sites of a
colour row-major: a fixed sequence of single-site Metropolis updates, which keeps the Boltzmann
distribution of the tabulated energy stationary. Which tiles hold a site, and where it sits in
them, are computed from its coordinates rather than read from per-site records, and each
chain caches the energy of each of its tiles, so a move costs four code loads and four table
lookups (focus 2, context 1).

Each colour is updated in two passes:

1. **decide**: for every site, the energy change and the Metropolis decision
   ``u < exp(-beta dE)``, that is ``beta dE < -log u``, against bounds of ``-log u`` tabulated
   for the 2048 buckets of the uniform's leading bits; only when ``beta dE`` falls inside its
   uniform's bucket (about one move in 2000) is ``exp`` called. The decisions read nothing
   written in the pass, and the accepted sites are listed without branches, so that many
   decisions are in flight at once instead of each waiting on a mispredicted branch.
2. **apply**: the accepted moves update the configuration, the tile codes and the cached tile
   energies, and add their energy changes.

One chain's decide pass runs one site after another: the compiler does not turn its table
lookups into vector gathers. Groups of 32 chains make the same moves with one chain per vector
lane (:mod:`._lanes`), the layout a GPU would run too.
"""

import numba
import numpy as np

from ..montecarlo import LANES, fill_lanes, order_parameter, propose, seed_lanes
from ..montecarlo.specialise import specialise
from ..sites import site_state

__all__ = ["sweep_for", "colour_sweep", "acceptance_beta"]

#: Bits of a 32-bit uniform that pick its bucket of ``-log u`` bounds.
_BUCKET_BITS = 11
_N_BUCKETS = 2**_BUCKET_BITS
_TWO_TO_MINUS_32 = 1.0 / 4294967296.0


def _log_bounds():
    """``-log u`` over the buckets of u: ``(hi, lo)`` interleaved, widened by 1e-12."""
    edges = np.arange(_N_BUCKETS + 1) / _N_BUCKETS
    with np.errstate(divide="ignore"):
        w = -np.log(edges)
    bounds = np.empty(2 * _N_BUCKETS)
    bounds[0::2] = w[:-1] * (1.0 + 1e-12)  # u >= k / n: -log u <= w[k]
    bounds[1::2] = w[1:] * (1.0 - 1e-12)   # u < (k + 1) / n: -log u > w[k + 1]
    return bounds


#: Bounds of ``-log u`` for each bucket ``k = bits >> (32 - _BUCKET_BITS)`` of a 32-bit uniform:
#: ``_LOG_BOUNDS[2 k] >= -log u > _LOG_BOUNDS[2 k + 1]``.
_LOG_BOUNDS = _log_bounds()


def acceptance_beta(beta):
    """The ``acceptance_table`` of the tabulated kernel: ``[beta]``."""
    return np.array([float(beta)])


@numba.njit(cache=True)
def _initial_codes(config, window_sites, n_states, offset, shift):
    flat = config.reshape(config.size)
    codes = np.zeros(window_sites.shape[0], dtype=np.uint64)
    for t in range(window_sites.shape[0]):
        code = 0
        place = 1
        for cell in range(window_sites.shape[1]):
            code += site_state(flat[window_sites[t, cell]], offset, shift) * place
            place *= n_states
        codes[t] = code
    return codes


@numba.njit(cache=True, inline="always")
def _move(config, i, j, draw, sites, two_state):
    """Proposed value and state step of site (i, j) for a draw (two states: the other one)."""
    old = config[i, j]
    if two_state:
        new = propose(old, numba.uint64(0), sites)
    else:
        new = propose(old, draw, sites)
    return new, site_state(new, sites[1], sites[2]) - site_state(old, sites[1], sites[2])


@numba.njit(cache=True, inline="always")
def _moved_code(code, place, step, two_state):
    if two_state:
        return code ^ place  # a two-state step of +-1 toggles the site's bit
    return numba.uint64(np.int64(code) + step * np.int64(place))


@numba.njit(cache=True, inline="always")
def _decision(x, bits, log_bounds):
    """Metropolis ``u < exp(-x)`` for ``u = bits * 2**-32`` from the bounds of ``-log u``.

    Returns ``(accept, undecided)``: ``x`` below the lower bound of its bucket accepts, at or
    above the upper one rejects, in between it is undecided (about one move in 2000).
    """
    bucket = numba.uint64(2 * (bits >> numba.uint32(32 - _BUCKET_BITS)))
    accept = numba.uint64(x < log_bounds[bucket + numba.uint64(1)])
    return accept, numba.uint64(x < log_bounds[bucket]) - accept


@numba.njit(cache=True, inline="always")
def _list_move(s, dE, accept, undecided, lists, count, n_undecided):
    """Append a move to the accepted list (kept when ``accept``) and to the undecided list."""
    moves, changes, undecided_moves, undecided_changes = lists
    moves[count] = s
    changes[count] = dE
    undecided_moves[n_undecided] = s
    undecided_changes[n_undecided] = dE
    return count + accept, n_undecided + undecided


@numba.njit(cache=True)
def _settle(lists, count, n_undecided, low_bits, beta):
    """Decide the undecided moves with ``exp`` (outside the hot loop); the new count."""
    moves, changes, undecided_moves, undecided_changes = lists
    for q in range(n_undecided):
        s, dE = undecided_moves[q], undecided_changes[q]
        if low_bits[s] * _TWO_TO_MINUS_32 < np.exp(-beta * dE):
            moves[count] = s
            changes[count] = dE
            count += numba.uint64(1)
    return count


@numba.njit(cache=True)
def _decide(config, codes, tile_energy, tables, classes, a, b, sites, beta, draws, low_bits,
            lists):
    """Decide every move of colour (a, b).

    ``lists`` is ``(moves, changes, undecided_moves, undecided_changes)``, each sized for the
    colour; the accepted sites and their energy changes fill the front of the first two.
    Returns their number.
    """
    row_index, col_index, places, row_counts, col_counts = classes
    Py, Px = row_index.shape[0], col_index.shape[0]
    My, Mx = row_index.shape[2], col_index.shape[2]
    binary = sites[0] == 2
    log_bounds = _LOG_BOUNDS
    ky, kx = row_counts[a], col_counts[b]
    count = numba.uint64(0)
    n_undecided = numba.uint64(0)
    for m in range(My):
        for n in range(Mx):
            s = numba.uint64(m * Mx + n)
            draw = numba.uint64(0) if binary else draws[s]
            new, step = _move(config, a + Py * m, b + Px * n, draw, sites, binary)
            dE = 0.0
            for dy in range(ky):
                base = row_index[a, dy, m]
                for dx in range(kx):
                    t = base + col_index[b, dx, n]
                    code = _moved_code(codes[t], places[a, b, dy, dx], step, binary)
                    dE += tables[code] - tile_energy[t]
            accept, undecided = _decision(beta * dE, low_bits[s], log_bounds)
            count, n_undecided = _list_move(s, dE, accept, undecided, lists, count,
                                            n_undecided)
    return _settle(lists, count, n_undecided, low_bits, beta)


@numba.njit(cache=True)
def _decide_binary_2x2(config, codes, tile_energy, tables, classes, a, b, sites, beta, draws,
                       low_bits, lists):
    """:func:`_decide` for two-state sites held by 2 x 2 tiles, unrolled."""
    row_index, col_index, places = classes[0], classes[1], classes[2]
    My, Mx = row_index.shape[2], col_index.shape[2]
    log_bounds = _LOG_BOUNDS
    p00, p01, p10, p11 = places[a, b, 0, 0], places[a, b, 0, 1], places[a, b, 1, 0], \
        places[a, b, 1, 1]
    cols0, cols1 = col_index[b, 0], col_index[b, 1]
    count = numba.uint64(0)
    n_undecided = numba.uint64(0)
    for m in range(My):
        base0, base1 = row_index[a, 0, m], row_index[a, 1, m]
        for n in range(Mx):
            t00, t01 = base0 + cols0[n], base0 + cols1[n]
            t10, t11 = base1 + cols0[n], base1 + cols1[n]
            dE = ((tables[codes[t00] ^ p00] - tile_energy[t00])
                  + (tables[codes[t01] ^ p01] - tile_energy[t01])) \
                + ((tables[codes[t10] ^ p10] - tile_energy[t10])
                   + (tables[codes[t11] ^ p11] - tile_energy[t11]))
            s = numba.uint64(m * Mx + n)
            accept, undecided = _decision(beta * dE, low_bits[s], log_bounds)
            count, n_undecided = _list_move(s, dE, accept, undecided, lists, count,
                                            n_undecided)
    return _settle(lists, count, n_undecided, low_bits, beta)


@numba.njit(cache=True)
def _apply(config, codes, tile_energy, tables, classes, a, b, sites, draws, moves, count):
    """Make the accepted moves of colour (a, b): sites, tile codes and tile energies."""
    row_index, col_index, places, row_counts, col_counts = classes
    Py, Px = row_index.shape[0], col_index.shape[0]
    Mx = col_index.shape[2]
    binary = sites[0] == 2
    ky, kx = row_counts[a], col_counts[b]
    for q in range(count):
        s = np.int64(moves[q])
        m = s // Mx
        n = s - m * Mx
        i, j = a + Py * m, b + Px * n
        draw = numba.uint64(0) if binary else draws[s]
        new, step = _move(config, i, j, draw, sites, binary)
        config[i, j] = new
        for dy in range(ky):
            base = row_index[a, dy, m]
            for dx in range(kx):
                t = base + col_index[b, dx, n]
                code = _moved_code(codes[t], places[a, b, dy, dx], step, binary)
                codes[t] = code
                tile_energy[t] = tables[code]


def _sweep_template(config, rng_state, params, table, energy, n_sweeps, thin, rec_energy,
                    rec_magnet, rec_snapshots):
    """The colour-class sweep around a decide pass, bound as the global ``decide`` by
    :func:`~skdcl.montecarlo.specialise.specialise`."""
    tables, window_sites = params[0], params[2]
    sites = (params[3], params[4], params[5])
    classes = (params[6], params[7], params[8], params[9], params[10])
    binary = sites[0] == 2
    beta = table[0]
    Ly, Lx = config.shape
    Py, Px = classes[0].shape[0], classes[1].shape[0]
    n_class = classes[0].shape[2] * classes[1].shape[2]
    codes = _initial_codes(config, window_sites, sites[0], sites[1], sites[2])
    tile_energy = np.empty(codes.shape[0])
    for t in range(codes.shape[0]):
        tile_energy[t] = tables[codes[t]]
    lanes = seed_lanes(rng_state)
    per_draw = 2 if binary else 1  # moves per 64-bit draw: 32 bits each
    draws = np.empty(((n_class + per_draw * LANES - 1) // (per_draw * LANES), LANES),
                     dtype=np.uint64)
    flat_draws = draws.reshape(-1)
    low_bits = np.empty(n_class, dtype=np.uint32)
    lists = (np.empty(n_class, dtype=np.uint64), np.empty(n_class),
             np.empty(n_class, dtype=np.uint64), np.empty(n_class))
    n_accepted = 0
    record = 0
    for sweep_index in range(1, n_sweeps + 1):
        for a in range(Py):
            for b in range(Px):
                fill_lanes(lanes, draws)
                if binary:
                    low_bits[:] = flat_draws.view(np.uint32)[:n_class]
                else:
                    for s in range(n_class):
                        low_bits[s] = np.uint32(flat_draws[s] & np.uint64(0xFFFFFFFF))
                count = decide(config, codes, tile_energy, tables, classes, a, b,  # noqa: F821
                               sites, beta, flat_draws, low_bits, lists)
                _apply(config, codes, tile_energy, tables, classes, a, b, sites,
                       flat_draws, lists[0], count)
                for q in range(count):
                    energy += lists[1][q]
                n_accepted += np.int64(count)
        if thin > 0 and sweep_index % thin == 0 and record < rec_energy.shape[0]:
            rec_energy[record] = energy
            rec_magnet[record] = order_parameter(config, sites) * Ly * Lx
            if rec_snapshots.shape[0] > 0:
                rec_snapshots[record] = config
            record += 1
    return energy, n_accepted


#: Specialised sweeps, built on first use (not at import).
_SWEEPS = {}


def colour_sweep(unrolled):
    """The colour-class sweep around the generic or the unrolled decide pass.

    Parameters
    ----------
    unrolled : bool
        The pass unrolled for two-state sites held by 2 x 2 tiles (focus 2 with context 1).

    Returns
    -------
    sweep : numba dispatcher
    """
    if unrolled not in _SWEEPS:
        decide = _decide_binary_2x2 if unrolled else _decide
        _SWEEPS[unrolled] = specialise(_sweep_template, {"decide": decide})
    return _SWEEPS[unrolled]


def sweep_for(classes, two_state):
    """The sweep specialised for colour classes and site variables, or the generic one.

    Parameters
    ----------
    classes : dict
        From :func:`._geometry.colour_classes`.
    two_state : bool

    Returns
    -------
    sweep : numba dispatcher
    """
    uniform = (np.all(classes["row_counts"] == 2) and np.all(classes["col_counts"] == 2))
    return colour_sweep(bool(uniform and two_state))
