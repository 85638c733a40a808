"""What a learned energy holds: local energy changes and effective pair couplings.

Both are read from energy differences alone, so they apply to any energy model (an exact
Hamiltonian, a fitted EDNN or sequence model, the pseudo-likelihood baseline) and can be set
beside each other.
"""


import numpy as np

from .lattice import check_count, check_snapshots

__all__ = ["local_energy_map", "cheapest_moves", "effective_couplings", "coupling_map"]


def _energy_function(model):
    """The model's ``energy`` (energy-model protocol), or its ``predict`` (estimators)."""
    for name in ("energy", "predict"):
        if callable(getattr(model, name, None)):
            return getattr(model, name)
    raise ValueError(f"model must have an energy or a predict method; got {type(model).__name__}.")


def _model_sites(model, X):
    sites = getattr(model, "sites", None)
    if sites is None:
        from .sites import SiteVariables

        return SiteVariables.infer(np.asarray(X), name="configs")
    return sites


def local_energy_map(model, config):
    """Energy change of every single-site move of one configuration.

    Parameters
    ----------
    model : energy model
        An object with ``energy(X)`` (or ``predict(X)``) and, optionally, ``sites``.
    config : array-like of shape (Ly, Lx)
        The reference configuration.

    Returns
    -------
    changes : ndarray of shape (Ly, Lx) or (Ly, Lx, n_states)
        Two states: the energy change on moving each site to its other state, in units of J.
        More: the change on setting each site to each state (0 for the state it holds).

    Examples
    --------
    >>> import numpy as np
    >>> from skdcl import IsingModel
    >>> local_energy_map(IsingModel(), np.ones((4, 4), dtype=np.int8))[0, 0]
    np.float64(8.0)
    """
    if np.ndim(config) != 2:
        raise ValueError(f"config must be one configuration of shape (Ly, Lx); got an array of "
                         f"shape {np.shape(config)}.")
    sites = _model_sites(model, np.asarray(config)[None])
    config = check_snapshots(np.asarray(config)[None], sites, name="config")[0]
    energy = _energy_function(model)
    Ly, Lx = config.shape
    states = sites.states(config)
    targets = [1 - states] if sites.two_state else [np.full_like(states, k)
                                                     for k in range(sites.n_states)]
    moved = []
    for target in targets:
        batch = np.repeat(states[None], Ly * Lx, axis=0).reshape(Ly * Lx, Ly * Lx)
        batch[np.arange(Ly * Lx), np.arange(Ly * Lx)] = target.ravel()
        moved.append(sites.from_states(batch.reshape(Ly * Lx, Ly, Lx)))
    base = float(np.asarray(energy(config[None]), dtype=float)[0])
    changes = np.stack([np.asarray(energy(batch), dtype=float).reshape(Ly, Lx) - base
                        for batch in moved], axis=-1)
    return changes[..., 0] if sites.two_state else changes


def cheapest_moves(model, config):
    """Smallest energy change over the moves of each site (its flip, for two states).

    Parameters
    ----------
    model : energy model
    config : array-like of shape (Ly, Lx)

    Returns
    -------
    changes : ndarray of shape (Ly, Lx)
        In units of J.
    """
    changes = local_energy_map(model, config)
    if changes.ndim == 2:
        return changes
    own = _model_sites(model, np.asarray(config)[None]).states(np.asarray(config))
    changes[np.arange(changes.shape[0])[:, None], np.arange(changes.shape[1]), own] = np.inf
    return changes.min(axis=-1)


def _offsets(radius):
    """Displacements ``(dy, dx)`` of one half-plane within ``radius`` (each pair once)."""
    return [(dy, dx) for dy in range(0, radius + 1) for dx in range(-radius, radius + 1)
            if dy > 0 or dx > 0]


def _check_radius(radius, shape):
    check_count(radius, "radius", 1)
    if 2 * radius >= min(shape):
        raise ValueError(f"radius must be below half the lattice side so that every displacement "
                         f"names a distinct pair; got radius={radius} on a lattice of shape "
                         f"{tuple(shape)}.")


def _symmetric_map(values, radius):
    """A ``(2 r + 1, 2 r + 1)`` map from half-plane values, mirrored through the centre."""
    out = np.full((2 * radius + 1, 2 * radius + 1), np.nan)
    for (dy, dx), value in values.items():
        out[radius + dy, radius + dx] = value + 0.0  # no negative zeros
        out[radius - dy, radius - dx] = value + 0.0
    return out


def effective_couplings(model, configs, radius=2):
    """Effective pair couplings of a two-state energy, by displacement, around configurations.

    With spins ``s = +-1`` (the two states in order), the coupling of sites ``i`` and ``j`` in
    the context of a configuration is ``J_ij = -(E++ - E+- - E-+ + E--) / 4``, where ``E+-``
    is the energy with ``s_i = +1``, ``s_j = -1`` and every other site as in the configuration.
    For a pairwise Hamiltonian ``-sum J_ij s_i s_j - sum h_i s_i`` this is exactly ``J_ij``,
    whatever the context; for a learned energy it is the pair interaction it has learned,
    averaged here over all sites and the given configurations.

    Parameters
    ----------
    model : energy model
        An object with ``energy(X)`` (or ``predict(X)``), two-state sites.
    configs : array-like of shape (n, Ly, Lx)
        Configurations giving the context (snapshots, for instance; a few suffice).
    radius : int, default=2
        Largest displacement along each axis; below half the lattice side.

    Returns
    -------
    couplings : ndarray of shape (2 * radius + 1, 2 * radius + 1)
        ``couplings[radius + dy, radius + dx]`` is the mean coupling of sites ``(y, x)`` and
        ``(y + dy, x + dx)``, in units of J; the centre is NaN.

    Examples
    --------
    >>> import numpy as np
    >>> from skdcl import IsingModel
    >>> J = effective_couplings(IsingModel(J=(1.0, 0.5)), np.ones((1, 6, 6)), radius=1)
    >>> J.round(6).tolist()
    [[0.0, 0.5, 0.0], [1.0, nan, 1.0], [0.0, 0.5, 0.0]]
    """
    sites = _model_sites(model, configs)
    if not sites.two_state:
        raise ValueError("effective_couplings needs two-state sites (Ising spins); the model has "
                         f"{sites.n_states} states per site.")
    X = check_snapshots(configs, sites, name="configs")
    _check_radius(radius, X.shape[1:])
    energy = _energy_function(model)
    values = {offset: _mean_pair_coupling(energy, sites, X, offset) for offset in
              _offsets(radius)}
    return _symmetric_map(values, radius)


def _mean_pair_coupling(energy, sites, X, offset):
    """Mean of ``J_ij`` over every site ``i`` with ``j = i + offset`` and every configuration."""
    n, Ly, Lx = X.shape
    dy, dx = offset
    states = sites.states(X).reshape(n, 1, Ly * Lx)
    first = np.arange(Ly * Lx)
    second = ((first // Lx + dy) % Ly) * Lx + (first % Lx + dx) % Lx
    total = np.zeros((n, Ly * Lx))
    for a, b, sign in ((1, 1, 1.0), (1, 0, -1.0), (0, 1, -1.0), (0, 0, 1.0)):
        variant = np.repeat(states, Ly * Lx, axis=1)
        variant[:, first, first] = a
        variant[:, first, second] = b
        flat = sites.from_states(variant.reshape(n * Ly * Lx, Ly, Lx))
        total += sign * np.asarray(energy(flat), dtype=float).reshape(n, Ly * Lx)
    return float(-total.mean() / 4.0)


def coupling_map(couplings, shape, radius=2):
    """A pair-coupling matrix averaged by displacement, laid out as :func:`effective_couplings`.

    Parameters
    ----------
    couplings : array-like of shape (Ly * Lx, Ly * Lx)
        ``J_ij`` between sites in raster order (for instance
        :attr:`PseudoLikelihoodIsing.couplings_ <skdcl.baselines.PseudoLikelihoodIsing>`).
    shape : tuple of two ints
        Lattice shape ``(Ly, Lx)``.
    radius : int, default=2

    Returns
    -------
    couplings : ndarray of shape (2 * radius + 1, 2 * radius + 1)
    """
    Ly, Lx = shape
    couplings = np.asarray(couplings, dtype=float)
    if couplings.shape != (Ly * Lx, Ly * Lx):
        raise ValueError(f"couplings must have shape {(Ly * Lx, Ly * Lx)} for a lattice of shape "
                         f"{tuple(shape)}; got {couplings.shape}.")
    _check_radius(radius, shape)
    first = np.arange(Ly * Lx)
    values = {}
    for dy, dx in _offsets(radius):
        second = ((first // Lx + dy) % Ly) * Lx + (first % Lx + dx) % Lx
        values[(dy, dx)] = float(couplings[first, second].mean())
    return _symmetric_map(values, radius)
