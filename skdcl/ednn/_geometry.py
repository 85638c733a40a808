"""Tile geometry of the EDNN: which sites each tile's window reads, and the reverse (pure NumPy).

A lattice ``(Ly, Lx)`` is cut into ``focus x focus`` tiles, numbered row-major; the window of a
tile is the tile with ``context`` rings of neighbouring sites (periodic wrap), its cells numbered
row-major. The state code of a window is ``sum_cell state_cell * n_states ** cell``.
"""

import numpy as np

__all__ = ["tile_geometry", "site_moves", "packed_site_tiles", "tile_sets", "colour_classes"]


def tile_geometry(shape, focus, context, n_states):
    """Index tables of the tiles of an ``(Ly, Lx)`` lattice.

    Parameters
    ----------
    shape : tuple of int
        ``(Ly, Lx)``, multiples of ``focus``.
    focus, context : int
        Tile side and rings of context around it.
    n_states : int
        States per site (the base of the window state codes).

    Returns
    -------
    geometry : dict
        ``window_sites`` (T, cells): the flat site read by each cell of each tile's window;
        ``site_tiles`` (N, M): the tiles whose window holds each site; ``site_weights`` (N, M):
        for each of them, the change of the tile's state code per unit change of the site's
        state (``sum n_states ** cell`` over the cells that hold the site); ``site_counts``
        (N,): how many tiles hold each site (rows are padded with zeros beyond it).
    """
    Ly, Lx = shape
    window = focus + 2 * context
    ty, tx = np.meshgrid(np.arange(Ly // focus), np.arange(Lx // focus), indexing="ij")
    offsets = np.arange(window) - context
    rows = (ty.reshape(-1, 1) * focus + offsets) % Ly  # (T, window)
    cols = (tx.reshape(-1, 1) * focus + offsets) % Lx
    window_sites = (rows[:, :, None] * Lx + cols[:, None, :]).reshape(len(rows), -1)
    n_sites = Ly * Lx
    place = n_states ** np.arange(window**2, dtype=np.int64)
    holders = [{} for _ in range(n_sites)]
    for t, sites in enumerate(window_sites):
        for cell, site in enumerate(sites):
            holders[site][t] = holders[site].get(t, 0) + place[cell]
    width = max(len(h) for h in holders)
    site_tiles = np.zeros((n_sites, width), dtype=np.int64)
    site_weights = np.zeros((n_sites, width), dtype=np.int64)
    site_counts = np.zeros(n_sites, dtype=np.int64)
    for site, held in enumerate(holders):
        site_counts[site] = len(held)
        site_tiles[site, :len(held)] = list(held)
        site_weights[site, :len(held)] = list(held.values())
    return {"window_sites": np.ascontiguousarray(window_sites, dtype=np.int64),
            "site_tiles": site_tiles, "site_weights": site_weights, "site_counts": site_counts}


def site_moves(window_sites, n_sites):
    """Masks of the window cells holding each distinct site, and their scatter matrix to sites.

    Parameters
    ----------
    window_sites : ndarray of int, shape (n_tiles, cells)
        As in :func:`tile_geometry`.
    n_sites : int

    Returns
    -------
    masks : ndarray of float32, shape (n_tiles, U, cells)
        U is the largest number of distinct sites in a window; padding rows are all zero.
    scatter : ndarray of float32, shape (n_tiles * U, n_sites)
        Sums the per-(tile, distinct site) values into per-site values.
    """
    n_tiles, n_cells = window_sites.shape
    distinct = [np.unique(row) for row in window_sites]
    width = max(len(d) for d in distinct)
    masks = np.zeros((n_tiles, width, n_cells), dtype=np.float32)
    scatter = np.zeros((n_tiles * width, n_sites), dtype=np.float32)
    for t, sites in enumerate(distinct):
        for u, site in enumerate(sites):
            masks[t, u] = window_sites[t] == site
            scatter[t * width + u, site] = 1.0
    return masks, scatter


def packed_site_tiles(geometry, tile_set, n_codes):
    """Per site, for each tile whose window holds it: (tile, start of its table, code step).

    One small array read in site order keeps the compiled update lean (a few loads per tile).

    Parameters
    ----------
    geometry : dict
        From :func:`tile_geometry`.
    tile_set : ndarray of int, shape (n_tiles,)
        The table each tile reads (see :func:`tile_sets`).
    n_codes : int
        Entries per table.

    Returns
    -------
    records : ndarray of int64, shape (n_sites, 3 * M)
        M the largest number of tiles holding a site; sites held by fewer tiles are padded
        with ``(0, 0, 0)``, a record that changes nothing.
    """
    tiles = geometry["site_tiles"]
    held = np.arange(tiles.shape[1]) < geometry["site_counts"][:, None]
    records = np.stack([tiles, tile_set[tiles] * n_codes, geometry["site_weights"]], axis=-1)
    records *= held[..., None]
    return np.ascontiguousarray(records.reshape(len(tiles), -1), dtype=np.int64)


def tile_sets(n_tiles, shared):
    """Which table or weight set each tile uses: all the same one when ``shared``.

    Parameters
    ----------
    n_tiles : int
    shared : bool

    Returns
    -------
    tile_set : ndarray of int64, shape (n_tiles,)
    """
    return (np.zeros(n_tiles, dtype=np.int64) if shared
            else np.arange(n_tiles, dtype=np.int64))


def colour_classes(shape, focus, context, n_states):
    """Colour classes of sites whose windows are disjoint, and the tiles holding each site.

    Site ``(i, j)`` has colour ``(i % Py, j % Px)``. The period along each axis is ``focus``
    times the largest number of tile rows (columns) holding one site row (column), the least
    multiple of ``focus`` for which two sites of one colour never share a tile: focus 2 with
    context 1 (4x4 windows) gives 4 x 4 = 16 colours. The tiles holding site
    ``(a + Py m, b + Px n)`` are ``row_index[a, dy, m] + col_index[b, dx, n]`` for
    ``dy < row_counts[a]``, ``dx < col_counts[b]``, and a unit change of its state changes
    their codes by ``places[a, b, dy, dx]``: a few small arrays per colour, in place of one
    record per site.

    Parameters
    ----------
    shape : tuple of int
        ``(Ly, Lx)``, multiples of ``focus``.
    focus, context : int
    n_states : int

    Returns
    -------
    classes : dict or None
        None when a side is not a multiple of its period. Otherwise ``period`` (Py, Px);
        ``row_index`` uint64 (Py, Ky, Ly // Py): first flat tile index of each holding tile
        row; ``col_index`` uint64 (Px, Kx, Lx // Px): its column; ``row_counts`` (Py,),
        ``col_counts`` (Px,) int64; ``places`` uint64 (Py, Px, Ky, Kx). Unused holder slots
        are zero.
    """
    window = focus + 2 * context
    Tx = shape[1] // focus
    axes = []
    for axis, L in enumerate(shape):
        holders = []
        for a in range(L):
            first = -(-(a - focus + 1 - context) // focus)
            last = (a + context) // focus
            holders.append([(t, a - (t * focus - context)) for t in range(first, last + 1)])
        K = max(len(h) for h in holders)
        P = focus * K
        if L % P or L < window:
            return None
        T, M = L // focus, L // P
        index = np.zeros((P, K, M), dtype=np.uint64)
        cells = np.zeros((P, K), dtype=np.int64)
        counts = np.zeros(P, dtype=np.int64)
        for a in range(P):
            counts[a] = len(holders[a])
            for d, (t, cell) in enumerate(holders[a]):
                index[a, d] = (t + K * np.arange(M)) % T * (Tx if axis == 0 else 1)
                cells[a, d] = cell
        axes.append((P, index, cells, counts))
    (Py, row_index, row_cells, row_counts), (Px, col_index, col_cells, col_counts) = axes
    places = n_states ** (row_cells[:, None, :, None] * window + col_cells[None, :, None, :])
    used = ((np.arange(row_cells.shape[1]) < row_counts[:, None])[:, None, :, None]
            & (np.arange(col_cells.shape[1]) < col_counts[:, None])[None, :, None, :])
    return {"period": (Py, Px), "row_index": row_index, "col_index": col_index,
            "row_counts": row_counts, "col_counts": col_counts,
            "places": (places * used).astype(np.uint64)}
