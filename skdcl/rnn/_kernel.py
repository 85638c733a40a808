"""The compiled local kernel of the masked convolution, for :mod:`skdcl.montecarlo`.

Setting one site changes only the conditionals whose window holds it: the kernel recomputes
those, for every image of the symmetry group, with the network's weights in float64.
:func:`masked_conv_kernel` builds the flat ``params`` tuple that :func:`masked_conv_delta`
unpacks; both live here so that their layouts cannot drift apart.
"""

import numba
import numpy as np

from ..montecarlo import LocalKernel
from ..sites import site_state

__all__ = ["masked_conv_kernel", "masked_conv_delta"]


def masked_conv_kernel(core, group, T_obs, sites):
    """The local kernel of a fitted masked-convolution core.

    Parameters
    ----------
    core : MaskedConvCore
        The fitted core (last layer of the model).
    group : SymmetryGroup
        The images ``log P`` is averaged over (without the internal maps when the network
        is odd).
    T_obs : float
        Observation temperature: energies are ``-T_obs log P``.
    sites : SiteVariables
        The site variables.

    Returns
    -------
    kernel : skdcl.montecarlo.LocalKernel
        ``delta_energy`` is :func:`masked_conv_delta`.
    """
    image_sites, deps, n_deps = core.dependency_tables(group.site_permutations)
    n_states, offset, shift = sites.kernel_values
    # a flat tuple: numba's parallel sweep cannot take nested tuples of arrays
    params = (image_sites, np.ascontiguousarray(group.value_tables, dtype=np.int64), deps,
              n_deps, core.window_index.astype(np.int64), core.window_mask.astype(np.bool_),
              *core.numpy_weights(), float(T_obs), int(n_states), int(offset), int(shift))
    return LocalKernel(masked_conv_delta, params)


@numba.njit(cache=True)
def _network(features_index, features_value, n_features, w0, b0, hidden_w, hidden_b, head_w,
             head_b, h, out):
    """Residual network on sparse inputs: ``sum_f value_f * w0[index_f]``; logits into out."""
    units = b0.shape[0]
    for u in range(units):
        h[u] = b0[u]
    for f in range(n_features):
        row = features_index[f]
        value = features_value[f]
        for u in range(units):
            h[u] += value * w0[row, u]
    for u in range(units):
        h[u] = np.tanh(h[u])
    for layer in range(hidden_w.shape[0]):
        for u in range(units):
            acc = hidden_b[layer, u]
            for v in range(units):
                acc += h[v] * hidden_w[layer, v, u]
            out[u] = np.tanh(acc)
        for u in range(units):
            h[u] += out[u]
    for c in range(head_b.shape[0]):
        acc = head_b[c]
        for u in range(units):
            acc += h[u] * head_w[u, c]
        out[c] = acc


@numba.njit(cache=True)
def _conditional_log_prob(config_flat, sites, value_table, t, index, mask, changed, new_state,
                          weights, encoding, scratch):
    """``log P`` of the state at sequence position ``t`` of one image of one configuration.

    ``sites`` maps sequence positions of the image to lattice sites; ``changed`` is the
    lattice site whose state reads as ``new_state`` (-1 for none); ``encoding`` is
    ``(n_states, offset, shift)``.
    """
    w0, b0, hidden_w, hidden_b, head_w, head_b = weights
    n_states, offset, shift = encoding
    features_index, features_value, h, out = scratch
    n = 0
    for k in range(index.shape[1]):
        if mask[t, k]:
            site = sites[index[t, k]]
            state = (new_state if site == changed
                     else site_state(config_flat[site], offset, shift))
            state = value_table[state]
            if n_states == 2:
                features_index[n] = k
                features_value[n] = 2.0 * state - 1.0
            else:
                features_index[n] = k * n_states + state
                features_value[n] = 1.0
            n += 1
    site = sites[t]
    own = value_table[new_state if site == changed
                      else site_state(config_flat[site], offset, shift)]
    p = t if w0.shape[0] > 1 else 0  # weights of this position, or the shared ones
    _network(features_index, features_value, n, w0[p], b0[p], hidden_w, hidden_b, head_w,
             head_b, h, out)
    if n_states == 2:
        z = out[0] if own == 1 else -out[0]
        return -np.log1p(np.exp(-z)) if z > 0 else z - np.log1p(np.exp(z))
    top = out[0]
    for c in range(1, n_states):
        top = max(top, out[c])
    total = 0.0
    for c in range(n_states):
        total += np.exp(out[c] - top)
    return out[own] - top - np.log(total)


@numba.njit(cache=True, inline="always")
def masked_conv_delta(config, i, j, new_value, params):
    """Energy change of setting site ``(i, j)`` to ``new_value`` (compiled).

    Only the conditionals that read the site are redone, in every image of the group;
    ``params`` is the tuple :func:`masked_conv_kernel` builds.
    """
    sites, value_tables, deps, n_deps, index, mask = params[:6]
    weights = params[6:12]
    T_obs = params[12]
    encoding = params[13:16]
    offset, shift = encoding[1], encoding[2]
    Ly, Lx = config.shape
    head_b = weights[5]
    units = weights[1].shape[1]
    scratch = (np.empty(index.shape[1], dtype=np.int64), np.empty(index.shape[1]),
               np.empty(units), np.empty(max(units, head_b.shape[0])))
    flat = config.reshape(Ly * Lx)
    site = i * Lx + j
    new_state = site_state(new_value, offset, shift)
    delta = 0.0
    for g in range(sites.shape[0]):
        for v in range(value_tables.shape[0]):
            for d in range(n_deps[g, site]):
                t = deps[g, site, d]
                delta += _conditional_log_prob(flat, sites[g], value_tables[v], t, index, mask,
                                               site, new_state, weights, encoding, scratch)
                delta -= _conditional_log_prob(flat, sites[g], value_tables[v], t, index, mask,
                                               -1, 0, weights, encoding, scratch)
    return -T_obs * delta / (sites.shape[0] * value_tables.shape[0])
