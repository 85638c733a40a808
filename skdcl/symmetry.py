"""Symmetry groups of lattice systems, and their detection from snapshots.

A symmetry of a system at equilibrium is a map ``g`` of configurations that leaves the Boltzmann
distribution unchanged, ``P(g(sigma)) = P(sigma)``. skdcl uses three kinds:

* **point symmetries** of the square (rotations by 90 degrees, reflections), which a system with
  unequal couplings along x and y, or with chiral couplings, does not have;
* **internal symmetries** acting on the site values: the global spin flip of Ising spins, which a
  field breaks, and the permutations of Potts labels;
* **translations** of the periodic lattice by one site (or by two, for a law that alternates from
  site to site).

:class:`SymmetryGroup` holds a group as site permutations times maps of site values;
:func:`detect_symmetry` decides from held-out snapshots, without energies, which generators the
system has (see its Notes for the significance rule).
"""

import itertools
import math

import numpy as np

__all__ = ["SymmetryGroup", "detect_symmetry", "POINT_GENERATORS", "TRANSLATION_GENERATORS",
           "INTERNAL_GENERATORS", "MAX_LABEL_PERMUTATIONS"]

#: Non-trivial point symmetries of the square (rotations by 90 and 270 degrees and the diagonal
#: reflections apply to square lattices only).
POINT_GENERATORS = ("rot90", "rot180", "rot270", "mirror_x", "mirror_y", "transpose",
                    "antitranspose")
#: Translations by one site along x or y, and by two sites (a law alternating between sites).
TRANSLATION_GENERATORS = ("shift_x", "shift_y", "shift2_x", "shift2_y")
#: Maps of site values: the Ising spin flip; Potts labels swapped (0 <-> 1) or cycled (k -> k+1).
INTERNAL_GENERATORS = {"ising": ("flip",), "potts": ("label_swap", "label_cycle")}
#: Largest group of Potts label permutations averaged over: the q! permutations while they are at
#: most this many (q <= 4), else the 2q symmetries of the q-gon (cycles and reversals).
MAX_LABEL_PERMUTATIONS = 24

#: Relative size of log-likelihood differences that are rounding, not signal (float32 networks).
_ROUNDING = 1e-5
_SQUARE_ONLY = ("rot90", "rot270", "transpose", "antitranspose")


def point_permutation(shape, name):
    """Flat site permutation of a point symmetry or translation, or None where it does not apply.

    ``image.reshape(-1) = X.reshape(-1)[permutation]``.

    Parameters
    ----------
    shape : tuple of int
        Lattice shape ``(Ly, Lx)``.
    name : str
        One of :data:`POINT_GENERATORS` or :data:`TRANSLATION_GENERATORS`.

    Returns
    -------
    permutation : ndarray of int64, shape (Ly * Lx,), or None
        None for rotations by 90 degrees and diagonal reflections of a rectangle, and for
        translations by two sites along a side of at most 2 sites (the identity there).

    Examples
    --------
    >>> point_permutation((2, 2), "mirror_x").tolist()
    [1, 0, 3, 2]
    >>> point_permutation((2, 3), "rot90") is None
    True
    """
    Ly, Lx = shape
    if name in _SQUARE_ONLY and Ly != Lx:
        return None
    if (name == "shift2_x" and Lx <= 2) or (name == "shift2_y" and Ly <= 2):
        return None
    base = np.arange(Ly * Lx).reshape(Ly, Lx)
    images = {
        "rot90": lambda b: np.rot90(b, 1),
        "rot180": lambda b: np.rot90(b, 2),
        "rot270": lambda b: np.rot90(b, 3),
        "mirror_x": lambda b: b[:, ::-1],
        "mirror_y": lambda b: b[::-1, :],
        "transpose": lambda b: b.T,
        "antitranspose": lambda b: np.rot90(b.T, 2),
        "shift_x": lambda b: np.roll(b, 1, axis=1),
        "shift_y": lambda b: np.roll(b, 1, axis=0),
        "shift2_x": lambda b: np.roll(b, 2, axis=1),
        "shift2_y": lambda b: np.roll(b, 2, axis=0),
    }
    if name not in images:
        raise ValueError(f"unknown lattice symmetry {name!r}; expected one of "
                         f"{POINT_GENERATORS + TRANSLATION_GENERATORS}.")
    return np.ascontiguousarray(images[name](base)).reshape(-1).astype(np.int64)


def value_map(sites, name):
    """Map of state indices of an internal symmetry of site variables.

    Parameters
    ----------
    sites : SiteVariables
    name : str
        An internal generator of ``sites.kind`` (:data:`INTERNAL_GENERATORS`).

    Returns
    -------
    table : ndarray of int64, shape (n_states,)
        The state each state is mapped to.

    Examples
    --------
    >>> from skdcl.sites import SiteVariables
    >>> value_map(SiteVariables.potts(3), "label_cycle").tolist()
    [1, 2, 0]
    """
    kind, n_states = sites.kind, sites.n_states
    if name == "flip" and kind == "ising":
        return np.array([1, 0], dtype=np.int64)
    if name == "label_swap" and kind == "potts":
        return np.array([1, 0] + list(range(2, n_states)), dtype=np.int64)
    if name == "label_cycle" and kind == "potts":
        return (np.arange(n_states, dtype=np.int64) + 1) % n_states
    raise ValueError(f"{name!r} is not an internal symmetry of {kind} variables; expected one "
                     f"of {INTERNAL_GENERATORS[kind]}.")


def _closure(generators, size):
    """All compositions of permutations (arrays over ``range(size)``), identity first."""
    identity = tuple(range(size))
    group = {identity: None}
    frontier = [identity]
    generators = [np.asarray(g) for g in generators]
    while frontier:
        fresh = []
        for element in frontier:
            for g in generators:
                product = tuple(np.asarray(element)[g])
                if product not in group:
                    group[product] = None
                    fresh.append(product)
        frontier = fresh
    return np.array(list(group), dtype=np.int64).reshape(-1, size)


def _label_group(sites, internal):
    """The value maps generated by the kept internal generators (bounded for Potts)."""
    kind, n_states = sites.kind, sites.n_states
    maps = [value_map(sites, name) for name in internal]
    if kind == "potts" and set(internal) == {"label_swap", "label_cycle"} \
            and math.factorial(n_states) > MAX_LABEL_PERMUTATIONS:
        # the dihedral subgroup of the q-gon: averaging over a subgroup keeps exact invariance
        # under that subgroup at a cost of 2q evaluations instead of q!
        maps = [value_map(sites, "label_cycle"),
                (-np.arange(n_states, dtype=np.int64)) % n_states]
    return _closure(maps, n_states)


class SymmetryGroup:
    """A symmetry group of a lattice system: site permutations times maps of site values.

    Parameters
    ----------
    shape : tuple of int
        Lattice shape ``(Ly, Lx)``.
    sites : SiteVariables
        What a site holds (:class:`skdcl.sites.SiteVariables`).
    generators : sequence of str, default=()
        Symmetries the system has, among :data:`POINT_GENERATORS`,
        :data:`TRANSLATION_GENERATORS` and :data:`INTERNAL_GENERATORS`; those that do not apply
        to ``shape`` or ``sites`` are dropped.
    average_translations : bool, default=False
        Whether the images include every lattice translation (``Ly * Lx`` times more; only
        when ``shift_x`` and ``shift_y`` are generators).
    statistics : dict of str to float, optional
        The test statistic of each generator tested by :func:`detect_symmetry`.
    threshold : float, optional
        The significance threshold those statistics were held against.

    Attributes
    ----------
    site_permutations : ndarray of int64, shape (n_geometric, Ly * Lx)
        The point group (and translations when averaged), identity first.
    value_tables : ndarray of int64, shape (n_internal, n_states)
        The internal group, identity first. For Potts labels with both label generators, all
        ``q!`` permutations while ``q! <= 24``, else the ``2q`` symmetries of the q-gon, so that
        averaging never costs more than ``8 * max(24, 2q)`` evaluations per configuration.
    translation_period : int or None
        1 when one-site translations are symmetries, 2 when only two-site ones are, None when
        neither (a law that changes from site to site).

    Examples
    --------
    >>> from skdcl.sites import SiteVariables
    >>> group = SymmetryGroup((4, 4), SiteVariables.ising(), ["rot90", "mirror_x", "flip"])
    >>> group.size  # 8 point symmetries times the spin flip
    16
    >>> SymmetryGroup((4, 4), SiteVariables.ising(), ["mirror_x", "mirror_y"]).size
    4
    """

    def __init__(self, shape, sites, generators=(), *, average_translations=False,
                 statistics=None, threshold=None):
        self.shape = tuple(int(s) for s in shape)
        self.sites = sites
        internal = INTERNAL_GENERATORS[sites.kind]
        self.generators = tuple(
            name for name in dict.fromkeys(generators)
            if name in internal or (name in POINT_GENERATORS + TRANSLATION_GENERATORS
                                    and point_permutation(self.shape, name) is not None))
        unknown = set(generators) - set(POINT_GENERATORS + TRANSLATION_GENERATORS
                                        + INTERNAL_GENERATORS["ising"]
                                        + INTERNAL_GENERATORS["potts"])
        if unknown:
            raise ValueError(f"unknown symmetry generators {sorted(unknown)}.")
        self.statistics = dict(statistics or {})
        self.threshold = threshold
        n_sites = self.shape[0] * self.shape[1]
        point = [point_permutation(self.shape, g) for g in self.generators
                 if g in POINT_GENERATORS]
        if average_translations and self.translation_period == 1:
            point += [point_permutation(self.shape, "shift_x"),
                      point_permutation(self.shape, "shift_y")]
        self.site_permutations = _closure(point, n_sites)
        self.value_tables = _label_group(
            sites, [g for g in self.generators if g in internal])

    @classmethod
    def named(cls, name, shape, sites):
        """The groups skdcl names: ``"none"``, ``"dihedral"``, ``"full"``, ``"translations"``.

        ``"dihedral"``: the point symmetries of the square (4 on a rectangle); ``"full"``: those
        times the internal group; ``"translations"``: ``"full"`` times every translation.
        Named groups assume one-site translation invariance (``translation_period`` 1).
        """
        point = () if name == "none" else POINT_GENERATORS
        internal = INTERNAL_GENERATORS[sites.kind] if name in ("full", "translations") else ()
        return cls(shape, sites, point + internal + ("shift_x", "shift_y"),
                   average_translations=name == "translations")

    @property
    def translation_period(self):
        """1, 2 or None: the shortest translation that is a symmetry along both axes."""
        if {"shift_x", "shift_y"} <= set(self.generators):
            return 1
        two = {"shift2_x", "shift2_y"} & set(self.generators)
        needed = {f"shift2_{axis}" for axis, side in zip("yx", self.shape) if side > 2}
        if needed and needed <= two:
            return 2
        return None

    @property
    def has_internal(self):
        """Whether the group maps site values (spin flip, label permutations)."""
        return len(self.value_tables) > 1

    @property
    def size(self):
        """Number of images of a configuration (point group times internal group)."""
        return len(self.site_permutations) * len(self.value_tables)

    def without_internal(self):
        """The same group without its maps of site values."""
        other = object.__new__(SymmetryGroup)
        other.__dict__.update(self.__dict__)
        other.value_tables = self.value_tables[:1]
        return other

    def apply(self, X, g, v):
        """Image of int8 lattices ``(n, Ly, Lx)`` under site permutation ``g``, value map ``v``."""
        X = np.asarray(X)
        flat = X.reshape(len(X), -1)[:, self.site_permutations[g]]
        return _map_values(flat, self.value_tables[v], self.sites).reshape(X.shape)

    def images(self, X):
        """Every image of ``X`` (identity first), one array per group element."""
        for g in range(len(self.site_permutations)):
            for v in range(len(self.value_tables)):
                yield self.apply(X, g, v)

    def random_images(self, X, rng):
        """Each configuration mapped through a random element of the group."""
        if self.size == 1:
            return X
        g = rng.randint(len(self.site_permutations), size=len(X))
        v = rng.randint(len(self.value_tables), size=len(X))
        out = np.empty_like(X)
        for gi, vi in itertools.product(np.unique(g), np.unique(v)):
            rows = (g == gi) & (v == vi)
            if rows.any():
                out[rows] = self.apply(X[rows], gi, vi)
        return out

    def describe(self):
        """One line: the generators kept and, when detected, each generator's statistic."""
        kept = ", ".join(self.generators) or "none"
        line = f"symmetry generators kept: {kept} ({self.size} images averaged"
        line += f"; translation period {self.translation_period})"
        if self.statistics:
            line += "; |z| per generator (threshold {:g}): ".format(self.threshold) + ", ".join(
                f"{name} {value:.1f}" for name, value in self.statistics.items())
        return line

    def __repr__(self):
        return (f"SymmetryGroup(shape={self.shape}, sites={self.sites!r}, "
                f"generators={self.generators!r})")


def _map_values(X, table, sites):
    """Site values mapped through a table of state indices."""
    return sites.from_states(table[sites.states(X)])


def _generator_image(X, sites, name):
    if name in INTERNAL_GENERATORS[sites.kind]:
        return _map_values(X, value_map(sites, name), sites)
    permutation = point_permutation(X.shape[1:], name)
    return X.reshape(len(X), -1)[:, permutation].reshape(X.shape)


def symmetry_statistic(log_prob, X, g_X):
    """Paired z statistic of ``log Q(x) - log Q(g(x))`` over held-out snapshots.

    Parameters
    ----------
    log_prob : callable
        ``log_prob(X) -> ndarray`` of a model fitted on other snapshots.
    X, g_X : ndarray of shape (n, Ly, Lx)
        Held-out snapshots and their images.

    Returns
    -------
    z : float
        Mean difference over its standard error (0 when the differences are rounding errors,
        below 1e-5 of ``|log Q|``).
    """
    log_q = np.asarray(log_prob(X), dtype=float)
    d = log_q - np.asarray(log_prob(g_X), dtype=float)
    if not np.isfinite(d).all():
        raise ValueError("log_prob returned non-finite values; the symmetry test cannot run.")
    spread = d.std(ddof=1) if len(d) > 1 else 0.0
    # differences at the level of rounding (a model that already has the symmetry, evaluated
    # in another order) are no evidence either way
    if spread <= _ROUNDING * np.mean(np.abs(log_q)):
        return 0.0
    return float(d.mean() / (spread / np.sqrt(len(d))))


def _largest_point_subgroup(shape, kept):
    """Names of the kept point symmetries in the largest subgroup made only of kept ones."""
    n_sites = shape[0] * shape[1]
    permutations = {name: point_permutation(shape, name) for name in kept}
    allowed = {tuple(p) for p in permutations.values()} | {tuple(range(n_sites))}
    best = set()
    for r in range(1, len(kept) + 1):
        for subset in itertools.combinations(kept, r):
            closure = {tuple(row) for row in _closure([permutations[n] for n in subset],
                                                      n_sites)}
            if closure <= allowed and len(closure) > len(best):
                best = closure
    return tuple(name for name in kept if tuple(permutations[name]) in best)


def detect_symmetry(log_prob, X, sites, threshold=4.0):
    """Decide from held-out snapshots which symmetries a system has, without energies.

    Parameters
    ----------
    log_prob : callable
        ``log_prob(X) -> ndarray of shape (n,)``: log-likelihood under a model that assumes no
        symmetry (no averaging, no augmentation, a law free to change from site to site) and
        was fitted on snapshots other than ``X``.
    X : ndarray of int8, shape (n_samples, Ly, Lx)
        Held-out snapshots.
    sites : SiteVariables
        What a site holds.
    threshold : float, default=4.0
        A generator is rejected when its statistic exceeds this in absolute value.

    Returns
    -------
    group : SymmetryGroup
        The group kept, with each tested generator's statistic in ``group.statistics``.

    Notes
    -----
    For each generator ``g`` (the spin flip or Potts label swap and cycle; rotations by 90, 180
    and 270 degrees; reflections across the x and y axes and both diagonals; translations by
    one and two sites along x and y) the statistic is the paired z score of
    ``d = log Q(x) - log Q(g(x))`` over the held-out snapshots ``x``. If ``g`` is a symmetry,
    ``g(x)`` has the distribution of ``x``, so ``E[d] = 0`` for *any* model ``Q`` fitted on
    other data, and ``z`` is approximately standard normal; if it is not, ``E[d]`` tends to
    the Kullback-Leibler divergence between the two distributions as ``Q`` approaches the
    truth. **Rule**: ``g`` is rejected when ``|z| > threshold``; with the default 4 the chance
    of wrongly rejecting a true symmetry is about 6e-5 per generator for independent snapshots
    (correlated Monte Carlo snapshots raise it). The point group kept is the largest subgroup
    all of whose elements passed; the internal group is generated by the internal generators
    that passed. Failing to reject is evidence of symmetry only as strong as the model's power:
    use enough snapshots (a few thousand held out).

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.RandomState(0)
    >>> X = np.where(rng.rand(4000, 4, 4) < 0.7, 1, -1).astype(np.int8)  # a field: no flip
    >>> log_prob = lambda X: np.log(np.where(X > 0, 0.7, 0.3)).sum(axis=(1, 2))
    >>> from skdcl.sites import SiteVariables
    >>> group = detect_symmetry(log_prob, X, SiteVariables.ising())
    >>> "flip" in group.generators, "rot90" in group.generators
    (False, True)
    """
    X = np.asarray(X)
    shape = X.shape[1:]
    candidates = [name for name in POINT_GENERATORS + TRANSLATION_GENERATORS
                  if point_permutation(shape, name) is not None]
    candidates += list(INTERNAL_GENERATORS[sites.kind])
    statistics = {name: abs(symmetry_statistic(log_prob, X,
                                               _generator_image(X, sites, name)))
                  for name in candidates}
    passed = [name for name in candidates if statistics[name] <= threshold]
    point = _largest_point_subgroup(shape, [n for n in passed if n in POINT_GENERATORS])
    kept = list(point) + [n for n in passed if n not in POINT_GENERATORS]
    return SymmetryGroup(shape, sites, kept, statistics=statistics,
                         threshold=threshold)
