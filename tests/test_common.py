"""scikit-learn's estimator checks on every skdcl estimator.

Spin configurations are not arbitrary float matrices: checks that feed random floats, NaN, sparse
input or object arrays cannot apply (the estimators reject them with a ValueError), and are
listed with their reason. Learned models run with tiny networks and single epochs, as
scikit-learn's own checks do with ``max_iter``.
"""

from sklearn.utils.estimator_checks import parametrize_with_checks

from skdcl import MetropolisSimulator
from skdcl.ednn import EDNNEnergyModel
from skdcl.interactions import LocalInteractionModel
from skdcl.pipeline import DCLPipeline
from skdcl.rnn import RNNEnergyModel

SPIN_INPUT = ("the check feeds arbitrary float features; skdcl estimators take spin "
              "configurations (Ising +-1 or Potts labels) on a lattice and reject anything else "
              "with a ValueError")
LATTICE_SHAPE = ("the estimator sees lattices, not feature vectors: the check's random float "
                 "rows are rejected before any feature count")
EXTENSIVE = ("an extensive model predicts lattices of any size, so a different number of sites "
             "at prediction time is a feature, not an error")

# Checks that feed random floats (or object arrays, NaN, a single feature) to fit.
FLOAT_INPUT_CHECKS = [
    "check_fit_score_takes_y", "check_estimators_overwrite_params",
    "check_dont_overwrite_parameters", "check_estimators_fit_returns_self",
    "check_readonly_memmap_input", "check_positive_only_tag_during_fit",
    "check_estimators_dtypes", "check_pipeline_consistency", "check_estimators_nan_inf",
    "check_estimators_pickle", "check_estimators_pickle(readonly_memmap=True)",
    "check_f_contiguous_array_estimator", "check_methods_sample_order_invariance",
    "check_methods_subset_invariance", "check_fit2d_1sample", "check_fit2d_1feature",
    "check_dict_unchanged", "check_fit_idempotent", "check_fit_check_is_fitted",
    "check_fit2d_predict1d", "check_dtype_object",
]
TRANSFORMER_CHECKS = [
    "check_transformer_data_not_an_array", "check_transformer_general",
    "check_transformer_general(readonly_memmap=True)", "check_transformers_unfitted_stateless",
]
REGRESSOR_CHECKS = [
    "check_regressors_train", "check_regressors_train(readonly_memmap=True)",
    "check_regressors_train(readonly_memmap=True,X_dtype=float32)",
    "check_regressor_data_not_an_array", "check_regressors_no_decision_function",
    "check_supervised_y_2d", "check_regressors_int", "check_regressor_multioutput",
    "check_requires_y_none",
]


def _reasons(names, reason):
    return {name: reason for name in names}


EXPECTED_FAILURES = {
    MetropolisSimulator: {
        **_reasons(FLOAT_INPUT_CHECKS + TRANSFORMER_CHECKS, SPIN_INPUT),
        **_reasons(["check_n_features_in_after_fitting", "check_n_features_in"],
                   LATTICE_SHAPE),
    },
    RNNEnergyModel: {
        **_reasons(FLOAT_INPUT_CHECKS, SPIN_INPUT),
        **_reasons(["check_n_features_in_after_fitting", "check_n_features_in"],
                   LATTICE_SHAPE),
    },
    EDNNEnergyModel: {
        **_reasons(FLOAT_INPUT_CHECKS + REGRESSOR_CHECKS, SPIN_INPUT),
        **_reasons(["check_n_features_in_after_fitting", "check_n_features_in"], EXTENSIVE),
    },
    LocalInteractionModel: {
        **_reasons(FLOAT_INPUT_CHECKS, SPIN_INPUT),
        **_reasons(["check_n_features_in_after_fitting", "check_n_features_in"], EXTENSIVE),
    },
    DCLPipeline: {
        **_reasons(FLOAT_INPUT_CHECKS, SPIN_INPUT),
        **_reasons(["check_n_features_in_after_fitting", "check_n_features_in"], EXTENSIVE),
    },
}

ESTIMATORS = [
    MetropolisSimulator(n_sweeps=1, random_state=0),
    RNNEnergyModel(units=4, epochs=1, batch_size=32, kernel_size=3, validation_fraction=0.0),
    EDNNEnergyModel(hidden_layer_sizes=(4,), epochs=1, focus=1, context=1,
                    validation_fraction=0.0),
    DCLPipeline(RNNEnergyModel(units=4, epochs=1, kernel_size=3, validation_fraction=0.0),
                EDNNEnergyModel(hidden_layer_sizes=(4,), epochs=1, focus=1,
                                validation_fraction=0.0),
                n_labels=20, refine_epochs=1),
    LocalInteractionModel(penalties=(1.0,)),
]


def _expected_failures(estimator):
    return EXPECTED_FAILURES[type(estimator)]


@parametrize_with_checks(ESTIMATORS, expected_failed_checks=_expected_failures)
def test_sklearn_compatible_estimator(estimator, check):
    check(estimator)
