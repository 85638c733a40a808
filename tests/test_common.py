"""scikit-learn's estimator checks on every skdcl estimator.

Spin configurations are not arbitrary float matrices: checks that feed random floats, NaN, sparse
input or non-square rows cannot apply, and are listed with their reason.
"""

from sklearn.utils.estimator_checks import parametrize_with_checks

from skdcl import MetropolisSimulator

SPIN_INPUT = ("the check feeds arbitrary float features; a MetropolisSimulator takes spin "
              "configurations (+-1) and rejects anything else with a ValueError")

FLOAT_INPUT_CHECKS = [
    "check_fit_score_takes_y", "check_estimators_overwrite_params",
    "check_dont_overwrite_parameters", "check_estimators_fit_returns_self",
    "check_readonly_memmap_input", "check_positive_only_tag_during_fit",
    "check_estimators_dtypes", "check_pipeline_consistency", "check_estimators_nan_inf",
    "check_estimators_pickle", "check_estimators_pickle(readonly_memmap=True)",
    "check_f_contiguous_array_estimator", "check_transformer_data_not_an_array",
    "check_transformer_general", "check_transformer_general(readonly_memmap=True)",
    "check_transformers_unfitted_stateless", "check_methods_sample_order_invariance",
    "check_methods_subset_invariance", "check_fit2d_1sample", "check_fit2d_1feature",
    "check_dict_unchanged", "check_fit_idempotent", "check_fit_check_is_fitted",
    "check_fit2d_predict1d", "check_dtype_object",
]
LATTICE_SHAPE = ("the estimator sees lattices, not feature vectors: it records lattice_shape_ "
                 "and the check's random float rows are rejected before any feature count")

SIMULATOR_EXPECTED_FAILURES = {
    **{name: SPIN_INPUT for name in FLOAT_INPUT_CHECKS},
    "check_n_features_in_after_fitting": LATTICE_SHAPE,
    "check_n_features_in": LATTICE_SHAPE,
}


def _expected_failures(estimator):
    if isinstance(estimator, MetropolisSimulator):
        return SIMULATOR_EXPECTED_FAILURES
    return {}


@parametrize_with_checks([MetropolisSimulator(n_sweeps=1, random_state=0)],
                         expected_failed_checks=_expected_failures)
def test_sklearn_compatible_estimator(estimator, check):
    check(estimator)
