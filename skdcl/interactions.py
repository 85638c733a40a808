"""LocalInteractionModel: a local energy fitted to snapshots by pseudo-likelihood, convex and exact.

The energy is a sum over sites of one function of the site's 3x3 window,
``E(sigma) = sum_sites w(window)``, with ``w`` free: a table over every state of the window
(``q ** 9`` of them), which holds every interaction among the window's sites (pairs, triples,
plaquettes, ...). Table entries that a symmetry of the system maps onto each other are tied.

Single-site energy changes are linear in the table, so the negative log pseudo-likelihood of the
snapshots (Besag 1975; Aurell and Ekeberg 2012) is convex in it and is minimised exactly
(L-BFGS). Snapshots at one temperature pin down one-site terms and nearest-neighbour pairs
well, and the rest poorly, so a ridge penalty on the part of ``w`` that is neither (its
Hoeffding, or ANOVA, components of order three and more, and its pair components between
sites that are not nearest neighbours; for Ising spins the coefficients of products of three or
more spins and of more distant pairs), chosen from a grid by the held-out pseudo-likelihood
(the strongest penalty whose held-out loss is within 1.5 standard errors of the best), keeps
those terms only where the snapshots demand them. It needs no energy labels, like the
pairwise baseline it generalises.

Why distant pairs are penalised too: each unpenalised interaction adds its statistical error to
the energies of states the snapshots rarely show. On 1e5 8x8 q = 3 Potts snapshots at
``T = 2``, with every pair within the window left free (and penalty 10 chosen on the rest), the
16x16 energy per spin under the fitted energy at ``T = 1``, next to the transition, was off by
-0.023 J or +0.015 J depending on the seed of the snapshots; with distant pairs penalised
(penalty 1000 chosen), by 0.0001 J (penalty 100: 0.003 J or less on both seeds).

Why 1.5 standard errors (of the paired differences of held-out losses) rather than the usual
one: on those Potts snapshots, penalties from 10 to 1000 differed by 0.3 to 1.03 standard
errors depending on the held-out split, so one standard error picked 10 or 1000 depending on
it, and with them energies of the ordered states 0.016 J per spin apart at ``T = 1``. Terms that
the snapshots do demand stand out by more: on 8x8 plaquette Ising snapshots (1e5) the
penalties that shrink the four-spin term lose by 3 standard errors and more, on 4000 6x6 ones
the first of them by 1.76 (two standard errors would choose it, and more than double the
energy error).
"""

import itertools
import warnings
from numbers import Integral, Real

import numba
import numpy as np
from scipy.optimize import minimize
from sklearn.base import BaseEstimator
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils import check_random_state
from sklearn.utils.validation import check_is_fitted

from ._compat import Interval, StrOptions, fit_context
from ._energy_model import LearnedEnergyMixin
from ._fitting import transactional
from .lattice import check_lattice_size, check_observation_temperature, check_snapshots
from .montecarlo import LocalKernel
from .sites import MAX_STATES, site_state
from .symmetry import INTERNAL_GENERATORS, POINT_GENERATORS, point_permutation, value_map

__all__ = ["LocalInteractionModel", "MAX_WINDOW_STATES", "window_fits"]

#: Ridge penalties (per site) tried on the interactions other than one-site terms and
#: nearest-neighbour pairs, strongest first.
DEFAULT_PENALTIES = (1000.0, 100.0, 10.0, 1.0, 0.1, 0.01, 1e-3, 1e-4)
#: Penalty on the whole table (only to fix the redundancy of overlapping windows).
_SMALL_PENALTY = 1e-8
#: Half-width of the windows: 3x3.
_RADIUS = 1
_CELLS = (2 * _RADIUS + 1) ** 2
#: Largest number of window states tabulated: Ising spins and Potts labels up to q = 4.
MAX_WINDOW_STATES = 4**_CELLS


class LocalInteractionModel(LearnedEnergyMixin, BaseEstimator):
    """Local energy of snapshots by convex pseudo-likelihood over all 3x3-window interactions.

    Each site's window is the 3x3 block around it, so the energy holds every interaction among
    sites up to two apart along each axis (pairs, triples, plaquettes, ...): a free function of
    the window's ``q ** 9`` states (Ising spins, or Potts labels with ``q <= 4``).

    Parameters
    ----------
    symmetry : tuple of str, default=()
        Symmetry generators of the system (see :mod:`skdcl.symmetry`; for instance
        ``DCLPipeline().fit(...).symmetry_.generators``): point symmetries and the spin flip or
        label permutations tie the table's entries. Translation invariance is assumed (one
        function for every site).
    penalties : tuple of float, default=(1000, 100, 10, 1, 0.1, 0.01, 1e-3, 1e-4)
        Ridge penalties per site on the interactions of three or more sites and on the pairs
        of sites that are not nearest neighbours, tried in turn; the held-out
        pseudo-likelihood chooses one (the strongest within 1.5 standard errors of the best),
        then the model is refitted on every snapshot. A single value skips the choice.
    kind : {"auto", "ising", "potts"}, default="auto"
        Kind of site variable; ``"auto"``: Ising spins if the snapshots hold -1.
    q : int, default=None
        Number of Potts states; None infers it as the largest label plus one.
    validation_fraction : float, default=0.2
        Snapshots held out to choose the penalty.
    max_iter : int, default=1000
        L-BFGS iterations per fit.
    random_state : int, RandomState instance or None, default=None
        Seed of the held-out split.

    Attributes
    ----------
    table_ : ndarray of shape (q ** 9,)
        ``w`` of every window state: cell ``k`` of the raster-ordered window is digit ``k``
        (base ``q``) of the code, the state index of its site (see :mod:`skdcl.sites`).
    penalty_ : float
        Penalty chosen.
    validation_excess_ : dict of float to tuple of float
        Per penalty: held-out negative log pseudo-likelihood per site above the best penalty's,
        and its standard error.
    T_obs_ : float
    offset_ : float
        Mean energy of the training snapshots, subtracted by :meth:`predict`.
    sites_ : SiteVariables
        What each site holds (:class:`skdcl.sites.SiteVariables`).
    lattice_shape_ : tuple of int
        ``(Ly, Lx)`` of the training snapshots (the shape of flat rows given to
        :meth:`predict`; 3-d input of any size with sides of at least 3 is accepted).

    Examples
    --------
    >>> from skdcl import IsingModel, make_snapshots
    >>> X = make_snapshots(IsingModel(), L=4, T=3.0, n_samples=2000, random_state=0)
    >>> model = LocalInteractionModel(symmetry=("flip",), penalties=(1.0,)).fit(X, 3.0)
    >>> model.predict(X[:2]).shape
    (2,)
    """

    _parameter_constraints = {
        "symmetry": [tuple, list],
        "penalties": [tuple, list],
        "kind": [StrOptions({"auto", "ising", "potts"})],
        "q": [None, Interval(Integral, 2, MAX_STATES, closed="both")],
        "validation_fraction": [Interval(Real, 0, 1, closed="neither")],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "random_state": ["random_state"],
    }

    def __init__(self, symmetry=(), penalties=DEFAULT_PENALTIES, kind="auto", q=None,
                 validation_fraction=0.2, max_iter=1000, random_state=None):
        self.symmetry = symmetry
        self.penalties = penalties
        self.kind = kind
        self.q = q
        self.validation_fraction = validation_fraction
        self.max_iter = max_iter
        self.random_state = random_state

    @fit_context(prefer_skip_nested_validation=True)
    @transactional
    def fit(self, X, y):
        """Fit the window interactions to snapshots observed at temperature ``y``.

        Parameters
        ----------
        X : array-like of shape (n_samples, Ly, Lx)
            Snapshots (Ising spins -1/+1 or Potts labels) with sides of at least 3.
        y : float or array-like of shape (n_samples,)
            Observation temperature ``T_obs``.

        Returns
        -------
        self : LocalInteractionModel
        """
        if y is None:
            check_observation_temperature(y, 0, "y (T_obs)")  # raises its standard message
        sites = self._infer_sites(X)
        X = check_snapshots(X, sites)
        T_obs = check_observation_temperature(y, len(X), "y (T_obs)")
        penalties = self._check_penalties()
        _check_window(X.shape[1:], sites.n_states)
        problem = _Problem(window_codes(X, sites), sites, tuple(self.symmetry), 1.0 / T_obs,
                           self.max_iter)
        excess = {}
        if len(penalties) > 1:
            excess = self._validate(problem, penalties)
            penalty = _strongest_within_errors(penalties, excess)
        else:
            penalty = penalties[0]
        table = problem.fit(problem.codes, penalty)
        self.table_, self.penalty_, self.validation_excess_ = table, float(penalty), excess
        self.T_obs_, self.sites_, self.lattice_shape_ = T_obs, sites, X.shape[1:]
        self.offset_ = float(table[problem.codes].sum(axis=(1, 2)).mean())
        self._check_finite(self.offset_, f"energies: T_obs = {T_obs:g} is out of float64 range")
        return self

    def _check_penalties(self):
        values = np.asarray(self.penalties, dtype=float).ravel()
        if values.size == 0 or not np.all(np.isfinite(values)) or np.any(values < 0):
            raise ValueError(f"penalties must be non-negative finite numbers, got "
                             f"{self.penalties!r}.")
        return sorted(set(values.tolist()), reverse=True)

    def _validate(self, problem, penalties):
        rng = check_random_state(self.random_state)
        order = rng.permutation(len(problem.codes))
        n_held_out = max(1, int(round(self.validation_fraction * len(order))))
        held_out, train = problem.codes[order[:n_held_out]], problem.codes[order[n_held_out:]]
        losses, table = {}, None
        for penalty in penalties:  # strongest first, each fit warm-started from the previous
            table = problem.fit(train, penalty, start=table)
            losses[penalty] = problem.snapshot_losses(table, held_out)
        best = min(losses, key=lambda p: losses[p].mean())
        excess = {}
        for penalty, loss in losses.items():
            d = loss - losses[best]
            excess[penalty] = (float(d.mean()), float(d.std(ddof=1) / np.sqrt(len(d)))
                               if len(d) > 1 else 0.0)
        return excess

    def predict(self, X):
        """Energies in units of J, relative to the mean over the training snapshots.

        Parameters
        ----------
        X : array-like of shape (n_samples, Ly, Lx)
            Configurations of any size with sides of at least 3.

        Returns
        -------
        energies : ndarray of shape (n_samples,)
        """
        check_is_fitted(self)
        X = self._check_fitted_snapshots(X)
        _check_window(X.shape[1:], self.sites_.n_states)
        return self.table_[window_codes(X, self.sites_)].sum(axis=(1, 2)) - self.offset_

    def local_kernel(self, shape):
        """Compiled energy-change kernel for :mod:`skdcl.montecarlo`.

        Setting one site changes the nine windows that hold it: nine pairs of table lookups.

        Parameters
        ----------
        shape : tuple of int
            Lattice shape ``(Ly, Lx)`` to simulate (sides of at least 3).

        Returns
        -------
        kernel : skdcl.montecarlo.LocalKernel
        """
        check_is_fitted(self)
        shape = check_lattice_size(shape, "shape")
        _check_window(shape, self.sites_.n_states)
        return LocalKernel(_window_delta, (self.table_, *self.sites_.kernel_values))

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.three_d_array = True
        tags.target_tags.required = True
        return tags


def window_fits(q, shape):
    """Whether :class:`LocalInteractionModel` applies: ``q ** 9`` window states at most
    :data:`MAX_WINDOW_STATES` and lattice sides of at least 3.

    Examples
    --------
    >>> window_fits(2, (8, 8)), window_fits(5, (8, 8)), window_fits(2, (2, 8))
    (True, False, False)
    """
    return q**_CELLS <= MAX_WINDOW_STATES and min(shape) >= 2 * _RADIUS + 1


def _check_window(shape, q):
    if min(shape) < 2 * _RADIUS + 1:
        raise ValueError(f"X holds {shape[0]}x{shape[1]} lattices; the 3x3 windows need sides "
                         "of at least 3.")
    if q**_CELLS > MAX_WINDOW_STATES:
        raise ValueError(f"{q}-state sites give {q}**9 states per 3x3 window, more than the "
                         f"{MAX_WINDOW_STATES} tabulated (q <= 4).")


#: Standard errors of held-out loss a stronger penalty may lose to the best one and be chosen.
N_STANDARD_ERRORS = 1.5


def _strongest_within_errors(penalties, excess, n_errors=N_STANDARD_ERRORS):
    """The strongest penalty whose held-out loss is within ``n_errors`` standard errors of the
    best (the one-standard-error rule with ``n_errors=1``)."""
    for penalty in penalties:  # strongest first
        mean, error = excess[penalty]
        if mean <= n_errors * error:
            return penalty
    return min(excess, key=lambda p: excess[p][0])


class _Problem:
    """The convex fit: window codes, tied table entries, penalty on many-site interactions."""

    def __init__(self, codes, sites, symmetry, beta, max_iter):
        q = sites.n_states
        self.codes, self.q, self.beta, self.max_iter = codes, q, beta, max_iter
        self.orbit = code_orbits(sites, symmetry)
        self.n_params = int(self.orbit.max()) + 1
        self.n_sites = codes.shape[1] * codes.shape[2]

    def fit(self, codes, penalty, start=None):
        """The table minimising the loss per site plus the penalties, on ``codes``."""
        n = len(codes) * self.n_sites
        n_codes = len(self.orbit)

        def objective(params):
            table = params[self.orbit]
            loss, grad = _loss_and_gradient(table, codes, self.q, _RADIUS, self.beta,
                                            numba.get_num_threads())
            many = table - local_part(table, self.q)
            value = (loss / n + penalty * np.mean(many**2)
                     + _SMALL_PENALTY * np.mean(table**2))
            grad = (grad / n + 2 * penalty * many / n_codes
                    + 2 * _SMALL_PENALTY * table / n_codes)
            return value, np.bincount(self.orbit, weights=grad, minlength=self.n_params)

        x0 = np.zeros(self.n_params)
        if start is not None:  # the table's orbit values
            x0[self.orbit] = start
        result = minimize(objective, x0, jac=True, method="L-BFGS-B",
                          options={"maxiter": self.max_iter, "gtol": 1e-10})
        if not np.all(np.isfinite(result.x)):
            raise ValueError(f"the pseudo-likelihood fit with penalty {penalty:g} gave "
                             "non-finite interactions; the snapshots cannot be fitted.")
        if not result.success:
            warnings.warn(f"the pseudo-likelihood fit with penalty {penalty:g} stopped before "
                          f"converging ({result.message}); raise max_iter.", ConvergenceWarning,
                          stacklevel=4)
        return result.x[self.orbit]

    def snapshot_losses(self, table, codes):
        """Negative log pseudo-likelihood per site of each snapshot of ``codes``."""
        return _snapshot_losses(table, codes, self.q, _RADIUS, self.beta) / self.n_sites


def low_order_part(table, q):
    """The part of a window function made of interactions of at most two sites.

    The Hoeffding (ANOVA) decomposition under uniformly random window states: the mean, plus
    the one-site and two-site components; the rest involves three or more sites (for Ising
    spins, the products of three or more spins).

    Parameters
    ----------
    table : ndarray of shape (q ** 9,)
        A function of the window state (code digits as in ``LocalInteractionModel.table_``).
    q : int

    Returns
    -------
    low : ndarray of shape (q ** 9,)

    Examples
    --------
    >>> import numpy as np
    >>> digits = (np.arange(512)[:, None] >> np.arange(9)) & 1
    >>> spins = 2 * digits - 1
    >>> pair, triple = spins[:, 0] * spins[:, 4], spins[:, 0] * spins[:, 1] * spins[:, 4]
    >>> bool(np.allclose(low_order_part(pair, 2), pair)), bool(np.allclose(low_order_part(
    ...     triple, 2), 0))
    (True, True)
    """
    return _hoeffding_part(table, q, itertools.combinations(range(_CELLS), 2))


def local_part(table, q):
    """The part of a window function made of one-site terms and nearest-neighbour pairs.

    As :func:`low_order_part`, keeping only the pair components of cells that are nearest
    neighbours in the window (one step apart along an axis); what is left, the part that
    :class:`LocalInteractionModel` penalises, holds the interactions of three or more sites
    and the more distant pairs.

    Parameters
    ----------
    table : ndarray of shape (q ** 9,)
    q : int

    Returns
    -------
    local : ndarray of shape (q ** 9,)

    Examples
    --------
    >>> import numpy as np
    >>> digits = (np.arange(512)[:, None] >> np.arange(9)) & 1
    >>> spins = 2 * digits - 1
    >>> bond, diagonal = spins[:, 0] * spins[:, 1], spins[:, 0] * spins[:, 4]
    >>> bool(np.allclose(local_part(bond, 2), bond)), bool(np.allclose(local_part(
    ...     diagonal, 2), 0))
    (True, True)
    """
    width = 2 * _RADIUS + 1
    pairs = [(i, j) for i, j in itertools.combinations(range(_CELLS), 2)
             if abs(i // width - j // width) + abs(i % width - j % width) == 1]
    return _hoeffding_part(table, q, pairs)


def _hoeffding_part(table, q, pairs):
    """Mean, one-site components and the pair components of the cell pairs ``pairs``."""
    # digit k (cell k) is axis n_cells - 1 - k of the C-ordered tensor
    tensor = np.asarray(table, dtype=float).reshape((q,) * _CELLS)
    axes = range(_CELLS)
    mean = tensor.mean()
    singles = {i: tensor.mean(axis=tuple(a for a in axes if a != i), keepdims=True) - mean
               for i in axes}
    low = np.full(tensor.shape, mean)
    for i in axes:
        low = low + singles[i]
    for cell_i, cell_j in pairs:
        i, j = _CELLS - 1 - cell_i, _CELLS - 1 - cell_j
        pair = tensor.mean(axis=tuple(a for a in axes if a not in (i, j)), keepdims=True)
        low = low + (pair - singles[i] - singles[j] - mean)
    return low.reshape(-1)


def code_orbits(sites, symmetry):
    """Index of each window state's orbit under the window's symmetries (0 .. n_orbits - 1).

    Parameters
    ----------
    sites : SiteVariables
    symmetry : sequence of str
        Point and internal generators (:mod:`skdcl.symmetry`); translations and generators of
        the other kind of site variable are ignored.

    Returns
    -------
    orbit : ndarray of int64, shape (n_states ** 9,)
    """
    q = sites.n_states
    n_codes = q**_CELLS
    codes = np.arange(n_codes)
    digits = (codes[:, None] // q ** np.arange(_CELLS)) % q
    powers = q ** np.arange(_CELLS)
    width = 2 * _RADIUS + 1
    images = []
    for name in symmetry:
        if name in POINT_GENERATORS:
            # the window is centred on its site: a point symmetry maps it onto itself
            images.append(digits[:, point_permutation((width, width), name)] @ powers)
        elif name in INTERNAL_GENERATORS[sites.kind]:
            images.append(value_map(sites, name)[digits] @ powers)
    label = codes.copy()
    changed = bool(images)
    while changed:
        changed = False
        for image in images:
            merged = np.minimum(label, label[image])
            merged[image] = np.minimum(merged[image], label)
            if np.any(merged != label):
                label, changed = merged, True
    return np.unique(label, return_inverse=True)[1]


def window_codes(X, sites):
    """Code of the 3x3 window around every site: cell ``k`` (raster order) is digit ``k``.

    Parameters
    ----------
    X : ndarray of int8, shape (n, Ly, Lx)
    sites : SiteVariables

    Returns
    -------
    codes : ndarray of int64, shape (n, Ly, Lx)
    """
    return _window_codes(X, *sites.kernel_values)


@numba.njit(cache=True, inline="always")
def _code_at(config, y, x, q, offset, shift):
    Ly, Lx = config.shape
    code, power = 0, 1
    for dy in range(-_RADIUS, _RADIUS + 1):
        for dx in range(-_RADIUS, _RADIUS + 1):
            code += site_state(config[(y + dy) % Ly, (x + dx) % Lx], offset, shift) * power
            power *= q
    return code


@numba.njit(cache=True)
def _window_codes(X, q, offset, shift):
    n, Ly, Lx = X.shape
    codes = np.zeros((n, Ly, Lx), dtype=np.int64)
    for s in range(n):
        for y in range(Ly):
            for x in range(Lx):
                codes[s, y, x] = _code_at(X[s], y, x, q, offset, shift)
    return codes


@numba.njit(cache=True, inline="always")
def _window_delta(config, i, j, new_value, params):
    """Energy change of setting site (i, j): the nine windows holding it, before and after."""
    table, q, offset, shift = params
    Ly, Lx = config.shape
    step = site_state(new_value, offset, shift) - site_state(config[i, j], offset, shift)
    delta = 0.0
    power = 1
    for dy in range(-_RADIUS, _RADIUS + 1):
        for dx in range(-_RADIUS, _RADIUS + 1):
            # the site is cell (dy, dx) of the window centred at (i - dy, j - dx)
            code = _code_at(config, (i - dy) % Ly, (j - dx) % Lx, q, offset, shift)
            delta += table[code + step * power] - table[code]
            power *= q
    return delta


@numba.njit(cache=True, inline="always")
def _move_changes(table, codes, s, y, x, q, radius, changes):
    """Energy change of setting site (y, x) to each state (its own state's change is 0)."""
    _, Ly, Lx = codes.shape
    for k in range(q):
        changes[k] = 0.0
    centre = (2 * radius + 1) ** 2 // 2
    own = (codes[s, y, x] // q**centre) % q  # the site is the centre of its own window
    power = 1
    for dy in range(-radius, radius + 1):
        for dx in range(-radius, radius + 1):
            code = codes[s, (y - dy) % Ly, (x - dx) % Lx]  # the site is a cell of this window
            base = table[code]
            shift = code - own * power
            for k in range(q):
                changes[k] += table[shift + k * power] - base
            power *= q
    return own


@numba.njit(cache=True, inline="always")
def _conditional(changes, q, beta, own, probabilities):
    """``-log P(own | rest)`` from the move energy changes; probabilities of every state."""
    top = -np.inf
    for k in range(q):
        top = max(top, -beta * changes[k])
    total = 0.0
    for k in range(q):
        probabilities[k] = np.exp(-beta * changes[k] - top)
        total += probabilities[k]
    for k in range(q):
        probabilities[k] /= total
    return top + np.log(total) + beta * changes[own]


@numba.njit(cache=True, parallel=True)
def _loss_and_gradient(table, codes, q, radius, beta, n_threads=1):
    """Negative log pseudo-likelihood summed over every site of every snapshot, and its
    gradient with respect to the table (``n_threads`` partial sums in parallel)."""
    n, Ly, Lx = codes.shape
    n_chunks = max(1, min(n_threads, n))
    losses = np.zeros(n_chunks)
    grads = np.zeros((n_chunks, table.shape[0]))
    for chunk in numba.prange(n_chunks):
        changes, probabilities = np.empty(q), np.empty(q)
        for s in range(chunk * n // n_chunks, (chunk + 1) * n // n_chunks):
            for y in range(Ly):
                for x in range(Lx):
                    own = _move_changes(table, codes, s, y, x, q, radius, changes)
                    losses[chunk] += _conditional(changes, q, beta, own, probabilities)
                    # d loss / d change_k = -beta * p_k (k != own)
                    power = 1
                    for dy in range(-radius, radius + 1):
                        for dx in range(-radius, radius + 1):
                            code = codes[s, (y - dy) % Ly, (x - dx) % Lx]
                            for k in range(q):
                                if k != own:
                                    g = -beta * probabilities[k]
                                    grads[chunk, code + (k - own) * power] += g
                                    grads[chunk, code] -= g
                            power *= q
    return losses.sum(), grads.sum(axis=0)


@numba.njit(cache=True, parallel=True)
def _snapshot_losses(table, codes, q, radius, beta):
    """Negative log pseudo-likelihood of each snapshot (summed over its sites)."""
    n, Ly, Lx = codes.shape
    out = np.zeros(n)
    for s in numba.prange(n):
        changes, probabilities = np.empty(q), np.empty(q)
        for y in range(Ly):
            for x in range(Lx):
                own = _move_changes(table, codes, s, y, x, q, radius, changes)
                out[s] += _conditional(changes, q, beta, own, probabilities)
    return out
