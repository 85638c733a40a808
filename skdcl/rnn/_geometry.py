"""Window and dependency tables of the masked convolution (pure numpy).

A masked convolution reads, for each position of the sequence, a periodic window of the lattice
around the site there, masked to the sites that come earlier in the ordering. The window tables
say which sequence positions each window holds; the dependency tables, built from them for the
local kernel, say which conditionals read each lattice site.
"""

import numpy as np

__all__ = ["window_tables", "dependency_tables"]


def window_tables(shape, permutation, radius):
    """Sequence positions of each site's periodic window and which of them come earlier.

    Parameters
    ----------
    shape : tuple of int
        Lattice shape ``(Ly, Lx)``.
    permutation : ndarray of int, shape (Ly * Lx,)
        The ordering: lattice site (flat index) visited at each sequence position.
    radius : int
        Half side of the window, ``K = (2 radius + 1)^2`` cells.

    Returns
    -------
    index : ndarray of int64, shape (N, K)
        Window cell ``k`` of sequence position ``t`` is position ``index[t, k]``.
    mask : ndarray of bool, shape (N, K)
        Whether that cell is readable: it comes earlier in the sequence (and, for a window
        wider than the lattice, is the first cell to show that site).

    Examples
    --------
    >>> index, mask = window_tables((2, 2), np.arange(4), 1)
    >>> index.shape, mask.sum(axis=1).tolist()
    ((4, 9), [0, 1, 2, 3])
    """
    Ly, Lx = shape
    position = np.empty(Ly * Lx, dtype=np.int64)
    position[permutation] = np.arange(Ly * Lx)
    y, x = np.divmod(permutation, Lx)
    offsets = np.arange(-radius, radius + 1)
    dy, dx = np.meshgrid(offsets, offsets, indexing="ij")
    neighbours = ((y[:, None] + dy.ravel()) % Ly) * Lx + (x[:, None] + dx.ravel()) % Lx
    index = position[neighbours]
    mask = index < np.arange(Ly * Lx)[:, None]
    # A window wider than the lattice would see one site twice; keep its first cell only.
    for t in range(len(index)):
        _, first = np.unique(index[t], return_index=True)
        duplicate = np.ones(index.shape[1], dtype=bool)
        duplicate[first] = False
        mask[t, duplicate] = False
    return index, mask


def dependency_tables(index, mask, sequence_sites):
    """For the local kernel: which conditionals each site enters, in every image.

    Parameters
    ----------
    index, mask : ndarray, shape (N, K)
        The window tables (:func:`window_tables`).
    sequence_sites : ndarray of int, shape (G, N)
        The lattice site read at each sequence position of each image ``g`` of the group.

    Returns
    -------
    sites : ndarray of int64, shape (G, N)
        ``sequence_sites`` as contiguous int64.
    deps : ndarray of int64, shape (G, N, D)
        For each lattice site, the sequence positions whose conditional reads it (its own
        position first), padded with zeros.
    n_deps : ndarray of int64, shape (G, N)
        Number of those positions.

    Examples
    --------
    >>> index, mask = window_tables((2, 2), np.arange(4), 1)
    >>> _, deps, n_deps = dependency_tables(index, mask, np.arange(4)[None])
    >>> n_deps.tolist()
    [[4, 3, 2, 1]]
    """
    n_images, n_positions = sequence_sites.shape
    readers = [[t] for t in range(n_positions)]
    for t in range(n_positions):
        for k in np.flatnonzero(mask[t]):
            readers[index[t, k]].append(t)
    width = max(len(r) for r in readers)
    deps = np.zeros((n_images, n_positions, width), dtype=np.int64)
    n_deps = np.zeros((n_images, n_positions), dtype=np.int64)
    for g in range(n_images):
        for u, reading in enumerate(readers):
            site = sequence_sites[g, u]
            deps[g, site, :len(reading)] = reading
            n_deps[g, site] = len(reading)
    return np.ascontiguousarray(sequence_sites.astype(np.int64)), deps, n_deps
