"""Compiled Monte Carlo kernels of the EDNN, and the builders of their :class:`LocalKernel`.

Two kernels share the tile geometry of :mod:`._geometry`:

* tabulated: the energy of every window state is tabulated once; each chain keeps the state code
  of each of its tiles (``aux``), so a proposal costs a few table lookups. Where the lattice
  splits into colour classes of sites with disjoint windows (:func:`._geometry.colour_classes`)
  and one table serves every tile, the kernel also has a whole sweep (:mod:`._sweep`);
* network: the tile network is evaluated in numba for the tiles that hold the moved site.

Sites are read as state indices through :func:`~skdcl.sites.site_state`, so two-state data
stored as +-1 or as 0/1 run the same way. The ``params`` tuple of each kernel is built by its
builder and unpacked by its compiled functions, both in this module.
"""

import numba
import numpy as np

from ..montecarlo import LocalKernel, accept, propose, uniform
from ..sites import site_state
from ._geometry import colour_classes, packed_site_tiles, tile_geometry, tile_sets
from ._lanes import LANE_WIDTH, lane_sweep_for
from ._sweep import acceptance_beta, sweep_for

__all__ = ["MAX_TABLE_STATES", "ACTIVATIONS", "table_kernel", "network_kernel", "TileCodes",
           "table_delta", "table_update", "network_delta", "tile_code", "tile_output"]

#: Largest number of window states tabulated for Monte Carlo (per table).
MAX_TABLE_STATES = 2**20
#: Activations the compiled network evaluates, in the order of their codes.
ACTIVATIONS = ("relu", "tanh", "softplus")


# ---------------------------------------------------------------------------------- builders


def table_kernel(network, shape, energy_scale):
    """The tabulated kernel of a tile network on ``(Ly, Lx)`` lattices.

    Parameters
    ----------
    network : TileNetwork
        The fitted tile network (``focus``, ``context``, ``sites``, ``tiles``, ``tabulate``).
    shape : tuple of int
        Lattice shape, sides multiples of ``focus``.
    energy_scale : float
        Energy of one unit of network output.

    Returns
    -------
    kernel : LocalKernel
        With a specialised ``site_update`` and ``init_aux`` (the tile codes of each chain),
        and a whole ``sweep`` over colour classes where the lattice has them
        (:func:`._geometry.colour_classes`) and one table serves every tile, with a
        ``lane_sweep`` over groups of chains for two-state sites in 2 x 2 tiles
        (:mod:`._lanes`).
    """
    sites = network.sites
    geometry = tile_geometry(shape, network.focus, network.context, sites.n_states)
    windows = geometry["window_sites"]
    tables = energy_scale * network.tabulate()
    records = packed_site_tiles(geometry, tile_sets(len(windows), network.tiles is None),
                                tables.shape[1])
    n_states, offset, shift = sites.kernel_values
    classes = colour_classes(shape, network.focus, network.context, sites.n_states)
    sweep = None if classes is None or len(tables) > 1 else sweep_for(classes, sites.two_state)
    lane_sweep = None if sweep is None else lane_sweep_for(tables[0], classes, sites.two_state)
    if sweep is None:
        classes = {"row_index": np.zeros((0, 0, 0), np.uint64),
                   "col_index": np.zeros((0, 0, 0), np.uint64),
                   "places": np.zeros((0, 0, 0, 0), np.uint64),
                   "row_counts": np.zeros(0, np.int64), "col_counts": np.zeros(0, np.int64)}
    params = (np.ascontiguousarray(tables.ravel()), records, windows, n_states, offset, shift,
              classes["row_index"], classes["col_index"], classes["places"],
              classes["row_counts"], classes["col_counts"])
    return LocalKernel(table_delta, params, table_update,
                       acceptance_table=None if sweep is None else acceptance_beta,
                       random_bits=32 if sites.two_state else 64,
                       init_aux=TileCodes(windows, sites.kernel_values), sweep=sweep,
                       lane_sweep=lane_sweep, lane_width=LANE_WIDTH if lane_sweep else 0)


def network_kernel(network, shape, energy_scale):
    """The kernel that evaluates a tile network in numba, for windows too large to tabulate.

    Parameters
    ----------
    network : TileNetwork
        The fitted tile network (``focus``, ``context``, ``sites``, ``tiles``,
        ``activation``, ``flat_weights``).
    shape : tuple of int
        Lattice shape, sides multiples of ``focus``.
    energy_scale : float
        Energy of one unit of network output.

    Returns
    -------
    kernel : LocalKernel
    """
    sites = network.sites
    geometry = tile_geometry(shape, network.focus, network.context, sites.n_states)
    windows = geometry["window_sites"]
    weights, layout = network.flat_weights()
    n_states, offset, shift = sites.kernel_values
    params = (weights, layout, ACTIVATIONS.index(network.activation),
              tile_sets(len(windows), network.tiles is None), windows, geometry["site_tiles"],
              geometry["site_counts"], n_states, offset, shift, float(energy_scale))
    return LocalKernel(network_delta, params)


class TileCodes:
    """``init_aux`` of the tabulated kernel: the state code of every tile of every chain.

    Parameters
    ----------
    window_sites : ndarray of int64, shape (n_tiles, cells)
    sites : tuple (n_states, offset, shift)
        :attr:`SiteVariables.kernel_values <skdcl.sites.SiteVariables.kernel_values>`.
    """

    def __init__(self, window_sites, sites):
        self.window_sites = window_sites
        self.sites = tuple(int(v) for v in sites)

    def __call__(self, configs):
        n_states, offset, shift = self.sites
        return _all_tile_codes(np.ascontiguousarray(configs, dtype=np.int8), self.window_sites,
                               n_states, offset, shift)


# -------------------------------------------------------------------------- tabulated kernel


@numba.njit(cache=True)
def tile_code(flat, window_sites, t, n_states, offset, shift):
    """State code of tile ``t`` of a flattened configuration (compiled)."""
    code = 0
    place = 1
    for cell in range(window_sites.shape[1]):
        code += site_state(flat[window_sites[t, cell]], offset, shift) * place
        place *= n_states
    return code


@numba.njit(cache=True, parallel=True)
def _all_tile_codes(configs, window_sites, n_states, offset, shift):
    n = configs.shape[0]
    codes = np.zeros((n, window_sites.shape[0]), dtype=np.int64)
    for c in numba.prange(n):
        flat = configs[c].reshape(configs.shape[1] * configs.shape[2])
        for t in range(window_sites.shape[0]):
            codes[c, t] = tile_code(flat, window_sites, t, n_states, offset, shift)
    return codes


@numba.njit(cache=True, inline="always")
def table_delta(config, i, j, new_value, params):
    """Energy change of setting site (i, j), from the tabulated tiles that hold it (compiled)."""
    tables, records, window_sites = params[0], params[1], params[2]
    n_states, offset, shift = params[3], params[4], params[5]
    Lx = config.shape[1]
    flat = config.reshape(config.size)
    site = i * Lx + j
    step = site_state(new_value, offset, shift) - site_state(config[i, j], offset, shift)
    delta = 0.0
    for m in range(records.shape[1] // 3):
        code = tile_code(flat, window_sites, records[site, 3 * m], n_states, offset, shift)
        index = records[site, 3 * m + 1] + code
        delta += tables[index + step * records[site, 3 * m + 2]] - tables[index]
    return delta


@numba.njit(cache=True, inline="always")
def table_update(config, aux, i, j, params, sites, beta, table, r):
    """Metropolis move with the tile codes kept per chain in ``aux`` (compiled).

    The :attr:`LocalKernel.site_update <skdcl.montecarlo.LocalKernel.site_update>` of the
    tabulated kernel: a few lookups per proposal.
    """
    tables = params[0]
    records = params[1]
    offset = sites[1]
    shift = sites[2]
    Lx = config.shape[1]
    site = i * Lx + j
    old = config[i, j]
    new = propose(old, r, sites)
    step = site_state(new, offset, shift) - site_state(old, offset, shift)
    n_held = records.shape[1] // 3
    dE = 0.0
    for m in range(n_held):
        index = records[site, 3 * m + 1] + aux[records[site, 3 * m]]
        dE += tables[index + step * records[site, 3 * m + 2]] - tables[index]
    if accept(beta * dE, uniform(r)):
        config[i, j] = new
        for m in range(n_held):
            aux[records[site, 3 * m]] += step * records[site, 3 * m + 2]
        return 1, dE
    return 0, 0.0


# ---------------------------------------------------------------------------- network kernel


@numba.njit(cache=True)
def tile_output(weights, layout, activation, flat, window_sites, t, sites, changed, new_state):
    """The tile network on tile ``t``, site ``changed`` read as ``new_state`` (compiled).

    Parameters
    ----------
    weights, layout
        One row of :meth:`TileNetwork.flat_weights` and the layer widths.
    activation : int
        Index in :data:`ACTIVATIONS`.
    flat : ndarray of int8
        The flattened configuration.
    window_sites : ndarray of int64, shape (n_tiles, cells)
    t : int
        The tile.
    sites : tuple (n_states, offset, shift)
    changed : int
        Flat index of a site read as ``new_state`` (a state index); -1: none.
    new_state : int
    """
    n_states, offset, shift = sites
    width = 0
    for k in range(layout.shape[0]):
        width = max(width, layout[k])
    h = np.zeros(width)
    out = np.zeros(width)
    n_cells = window_sites.shape[1]
    n_hidden = layout[1]
    bias0 = layout[0] * n_hidden
    for u in range(n_hidden):  # first layer from the sparse one-hot or +-1 inputs
        h[u] = weights[bias0 + u]
    for cell in range(n_cells):
        site = window_sites[t, cell]
        state = new_state if site == changed else site_state(flat[site], offset, shift)
        if n_states == 2:
            row, sign = cell, 2.0 * state - 1.0
        else:
            row, sign = cell * n_states + state, 1.0
        for u in range(n_hidden):
            h[u] += sign * weights[row * n_hidden + u]
    offset_w = bias0 + n_hidden
    for layer in range(1, layout.shape[0] - 1):
        n_in, n_out = layout[layer], layout[layer + 1]
        _activate(h, n_in, activation)
        for o in range(n_out):
            acc = weights[offset_w + n_in * n_out + o]
            for v in range(n_in):
                acc += h[v] * weights[offset_w + v * n_out + o]
            out[o] = acc
        for o in range(n_out):
            h[o] = out[o]
        offset_w += n_in * n_out + n_out
    return h[0]


@numba.njit(cache=True, inline="always")
def _activate(h, n, activation):
    for u in range(n):
        if activation == 0:
            h[u] = max(h[u], 0.0)
        elif activation == 1:
            h[u] = np.tanh(h[u])
        else:
            h[u] = max(h[u], 0.0) + np.log1p(np.exp(-abs(h[u])))


@numba.njit(cache=True, inline="always")
def network_delta(config, i, j, new_value, params):
    """Energy change of setting site (i, j), evaluating the tiles that hold it (compiled)."""
    (weights, layout, activation, tile_set, window_sites, site_tiles, site_counts, n_states,
     offset, shift, scale) = params
    sites = (n_states, offset, shift)
    Lx = config.shape[1]
    flat = config.reshape(config.size)
    site = i * Lx + j
    new_state = site_state(new_value, offset, shift)
    delta = 0.0
    for m in range(site_counts[site]):
        t = site_tiles[site, m]
        w = weights[tile_set[t]]
        delta += tile_output(w, layout, activation, flat, window_sites, t, sites, site,
                             new_state)
        delta -= tile_output(w, layout, activation, flat, window_sites, t, sites, -1, 0)
    return scale * delta
