"""MIScorer: the held-out mutual-information estimate as a scikit-learn scorer."""

from __future__ import annotations

import warnings

from sklearn.utils.metadata_routing import MetadataRequest

from skmi._metrics import mutual_info_from_logits, mutual_info_from_proba
from skmi._pmi import final_estimator, model_prior_free_logits, reads_logits
from skmi._threads import limits_threads
from skmi._validation import check_units


class MIScorer:
    """Scorer ``(estimator, X, y) -> float`` estimating ``I(X; Y)`` on held-out data.

    Use it where scikit-learn takes a scorer: ``cross_val_score(clf, X, y,
    scoring=MIScorer())``, ``GridSearchCV(..., scoring=MIScorer())`` or in a
    multi-metric dict. Greater is better: a model with a lower held-out cross-entropy
    gives a higher (tighter) estimate.

    How the estimate is read:

    * [`skmi.MIClassifier`][skmi.MIClassifier] (also as the last step of a Pipeline or inside a
      fitted search): its prior-free logits ``g`` exactly, ``mean_i [g_{y_i}(x_i) -
      logsumexp_j(g_j(x_i) + log pi_j)]``, with ``pi`` the class prior of the data being
      scored. Its ``test_prior`` and any resampling in the pipeline do not bias it,
      because the logits do not depend on the training prior.
    * any other classifier with ``predict_proba``: ``H(Y) - log_loss``, which assumes
      its probabilities are calibrated to the class prior of the scored data (a model
      trained after resampling is not, and its estimate is biased).

    Both forms equal ``H(Y) - cross-entropy``: a variational lower bound on ``I(X; Y)``
    in expectation, when the samples scored were not used for training. Scoring the
    training data overestimates; never report that as the estimate.

    Parameters
    ----------
    units : {"nats", "bits"}, default="nats"
    prior : "empirical" or array-like, default="empirical"
        Class prior of the scored data (MIClassifier only): the class frequencies of
        the ``y`` passed to the scorer, or a given vector in the order of ``classes_``.

    Examples
    --------
    >>> from sklearn.datasets import make_classification
    >>> from sklearn.linear_model import LogisticRegression
    >>> from sklearn.model_selection import cross_val_score
    >>> from skmi import MIScorer
    >>> X, y = make_classification(n_samples=400, random_state=0)
    >>> scores = cross_val_score(LogisticRegression(), X, y, scoring=MIScorer(units="bits"))
    >>> bool(0 < scores.mean() <= 1)  # H(Y) = 1 bit bounds I(X; Y)
    True
    """

    def __init__(self, *, units: str = "nats", prior="empirical"):
        self.units = units
        self.prior = prior

    @limits_threads
    def __call__(self, estimator, X, y, sample_weight=None) -> float:
        """The held-out estimate for ``estimator`` on ``(X, y)``.

        ``sample_weight`` gives the weighted mean pointwise MI under the weighted class
        frequencies (integer weights read exactly as repeated rows). With metadata
        routing, request it with ``set_score_request(sample_weight=True)``.
        """
        check_units(self.units)
        prior = self._scored_prior()
        final = final_estimator(estimator)
        if reads_logits(estimator):
            return self._score_logits(estimator, final, X, y, prior, sample_weight)
        if prior is not None:
            raise ValueError(
                "A prior vector needs an MIClassifier; "
                f"{type(final).__name__} is scored from predict_proba."
            )
        if not hasattr(estimator, "predict_proba"):
            raise TypeError(
                f"MIScorer needs predict_proba; {type(final).__name__} does not have it."
            )
        y_proba = estimator.predict_proba(X)
        return mutual_info_from_proba(
            y, y_proba, labels=final.classes_, units=self.units, sample_weight=sample_weight
        )

    def set_score_request(self, *, sample_weight=None) -> MIScorer:
        """Whether scikit-learn's metadata routing passes ``sample_weight`` to the scorer.

        Parameters
        ----------
        sample_weight : bool, None or str, default=None
            True: pass it; False: do not; None: raise if it is passed; a str: pass the
            metadata of that name as ``sample_weight``.

        Returns
        -------
        self : MIScorer
        """
        self._sample_weight_request = sample_weight
        return self

    def get_metadata_routing(self) -> MetadataRequest:
        """The metadata this scorer asks for (see `set_score_request`)."""
        request = MetadataRequest(owner=type(self).__name__)
        alias = getattr(self, "_sample_weight_request", None)
        request.score.add_request(param="sample_weight", alias=alias)
        return request

    def _scored_prior(self):
        if isinstance(self.prior, str):
            if self.prior != "empirical":
                raise ValueError(f"prior must be 'empirical' or an array; got {self.prior!r}.")
            return None
        return self.prior

    def _score_logits(self, estimator, final, X, y, prior, sample_weight) -> float:
        if getattr(final, "class_weight_", None) is not None:
            warnings.warn(
                "This MIClassifier was trained with class_weight: its logits are biased "
                "and the MI read from them is not an estimate of I(X;Y).",
                stacklevel=3,
            )
        logits = model_prior_free_logits(estimator, X)
        return mutual_info_from_logits(
            y,
            logits,
            prior=prior,
            labels=final.classes_,
            units=self.units,
            sample_weight=sample_weight,
        )

    def __repr__(self) -> str:
        return f"MIScorer(units={self.units!r}, prior={self.prior!r})"
