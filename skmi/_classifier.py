"""MIClassifier: a skorch classifier trained with the probability-corrected softmax."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import torch

from skmi._data import ArrayBatches
from skmi._loss import PCSoftmaxLoss
from skmi._metrics import pointwise_mutual_info
from skmi._params import check_params
from skmi._pmi import prior_free_logits, softmax_under_prior
from skmi._training import PriorCorrectedNet
from skmi._validation import (
    check_prior,
)

# The single standardised MLP: MIClassifier's default network before the ensemble became
# the default, and estimate_mi's network candidate (its accuracy figures and the batched
# training of the cross-fitting's networks are for this network).
SINGLE_NETWORK = {"n_members": 1, "num_embeddings": None, "input_scaling": "standard"}


class MIClassifier(PriorCorrectedNet):
    """Neural-network classifier trained with the probability-corrected softmax.

    A [`skorch.NeuralNetClassifier`](https://skorch.readthedocs.io/en/stable/classifier.html#skorch.classifier.NeuralNetClassifier) whose loss is the cross-entropy of
    ``q(y|x) = softmax(f(x) + tau * log pi)``, where ``f`` are the network's logits and
    ``pi`` is the class prior of the labels ``fit`` receives (Qin, Kim & Gedeon,
    "Neural Network Classifier as Mutual Information Evaluator", arXiv:2106.10471).
    With ``tau=1`` (the default) this is PC-softmax, which is the same loss as logit
    adjustment (Menon et al., ICLR 2021) and Balanced Softmax (Ren et al., NeurIPS
    2020); with ``tau=0`` it is ordinary softmax cross-entropy.

    At the optimum ``f_y(x) + (tau - 1) log pi_y`` is the pointwise mutual information
    ``log p(x|y)/p(x)`` up to a constant per sample, so the same fitted network gives

    * predictions for any test-time class prior (``test_prior``): ``"balanced"``
      minimises the balanced error, which is what imbalanced problems usually need;
    * a held-out estimate of ``I(X; Y)`` (see [`skmi.MIScorer`][skmi.MIScorer] and
      [`pointwise_mutual_info`][skmi.MIClassifier.pointwise_mutual_info]).

    Parameters
    ----------
    module : torch.nn.Module class or instance, default=None
        The network; it must map a batch of ``X`` to ``(batch, n_classes)`` logits.
        None builds an MLP sized from the data in ``fit`` (see ``hidden_layer_sizes``)
        that standardises its inputs itself. Parameters of a custom module are set with
        ``module__name=value`` and can be grid-searched.
    tau : float, default=1.0
        Weight of ``log pi`` in the loss. 1 is PC-softmax / logit adjustment, 0 is plain
        softmax cross-entropy.
    test_prior : {"balanced", "training"}, array-like or dict, default="balanced"
        Class prior that ``predict`` and ``predict_proba`` assume for new data.
        ``"balanced"``: uniform (minimises balanced error); ``"training"``: the prior
        ``fit`` saw; an array (in the order of ``classes_``) or a ``{label: p}`` dict:
        that prior. The posterior used is ``softmax(f + (tau - 1) log pi + log
        test_prior)``, which is right for every ``tau``.
    hidden_layer_sizes : "auto" or sequence of int, default="auto"
        Hidden widths of the default MLP. ``"auto"``: two layers of width
        ``clip(4 * (n_features + n_classes), 64, 256)``. Ignored with a custom module.
    dropout : float, default=0.0
        Dropout probability of the default MLP. Ignored with a custom module. Off by
        default: the ensemble's members already average out one another's noise, and
        on the CPU drawing the random masks cost more than three extra members
        (``benchmarks/input_stage.py``, docs/imbalanced.md "The default network").
    num_embeddings : None or "periodic", default=None
        Numerical feature embeddings before the default MLP (shared by the members of an
        ensemble): ``"periodic"`` maps each scaled feature with more than 16 distinct
        values to a learnt periodic embedding of size 16 (Gorishniy et al., NeurIPS 2022,
        "lite" form, from the authors' ``rtdl-num-embeddings`` package); columns with
        fewer (0/1 and small ordinal codes) pass through as they are. None: the scaled
        features go straight in. Ignored with a custom module. Off by default since
        0.3: the embeddings multiply the first layer's input width by 16, which cost
        more than the rest of the network; they help most on tables of a few skewed
        numeric columns (docs/imbalanced.md, "The default network").
    input_scaling : {"standard", "quantile"}, default="quantile"
        How the default MLP scales its inputs, inside the module (so raw features go in
        at predict time, and the scaling is saved with the network). ``"standard"``:
        ``(x - mean) / std`` of the training data. ``"quantile"``: each feature through
        its training quantiles (up to 1,000, from at most 100,000 rows; weighted by
        ``sample_weight``) to
        normal scores, as scikit-learn's ``QuantileTransformer(output_distribution=
        "normal")`` does, for heavy tails, skewed counts and odd scales; one difference:
        a value repeated over several quantiles (a discrete feature) maps to the normal
        score of its mean level, so a 0/1 feature with 10 % ones reads -0.13 and 1.64
        (scikit-learn sends the smallest and largest training values to -5.2 and 5.2).
        Ignored with a custom module.
    n_members : int, default=4
        Networks of the default MLP's shape trained at once as an ensemble (stacked
        weights, each member with its own initialisation, dropout masks and PC-softmax loss;
        early stopping watches the ensemble's validation loss). Predictions, logits, the
        pointwise MI and MIScorer read the ensemble's posterior under the training prior,
        the average of the members' posteriors, so its held-out MI bound is at least the
        members' average. 1: one network. Ignored with a custom module.

        The defaults (4 members, quantile scaling, no dropout, no embeddings) were
        chosen by ``benchmarks/ensemble.py`` on six imbalanced tables, against the
        0.2 default (the same with periodic embeddings and dropout 0.1), the single
        network and balanced forests; the figures, losses included, are in
        docs/imbalanced.md ("The default network"). ``n_members=1,
        num_embeddings=None, input_scaling="standard"`` is the single network of skmi
        before 0.2 (``SINGLE_NETWORK`` in ``skmi._classifier``), what ``estimate_mi``'s
        network candidate uses.
    criterion : class, default=PCSoftmaxLoss
        Loss class; must be [`PCSoftmaxLoss`][skmi.PCSoftmaxLoss] or a subclass.
    optimizer : torch optimizer class, default=torch.optim.AdamW
    lr : float, default=1e-3
    max_epochs : "auto" or int, default="auto"
        ``"auto"``: about 2,000 optimiser steps, between 10 and 200 epochs.
    max_steps : int or None, default=None
        A budget in optimiser steps instead of epochs: about ``max_steps`` steps as
        whole epochs (at least 1, at most ``max_epochs`` when that is an int), counted
        on the rows left after the early-stopping split. The same budget then holds for
        data of any size, e.g. to compare resamplers that change how many rows a
        network sees. None: ``max_epochs`` decides.
    batch_size : int, default=256
    early_stopping : "auto" or bool, default="auto"
        Hold out a stratified ``validation_fraction`` of the data, stop when its loss
        has not improved for ``n_iter_no_change`` epochs, and keep the best weights.
        ``"auto"``: on whenever such a split can hold every class (each class has at
        least 2 samples and the split at least one per class) and ``train_split`` is
        None; the choice made is ``early_stopping_``. On by default because a network
        that memorises its rare classes loses the benefit of the PC-softmax (measured
        on Caravan, 5-fold: balanced accuracy 0.557 without, 0.672 with; see the
        imbalanced benchmark). False trains on all the data for ``max_epochs``.
    validation_fraction : float, default=0.1
    n_iter_no_change : int, default=10
    tol : float, default=1e-4
        Early stopping counts an epoch as an improvement only when the validation loss
        falls by more than ``tol`` (nats, absolute, as in scikit-learn's
        MLPClassifier). On separable data the loss keeps shrinking by ever smaller
        amounts; a larger ``tol`` stops such runs sooner.
    train_split : callable or None, default=None
        skorch's own validation split, for users who manage callbacks themselves.
        Unlike skorch's default, no data are held out unless asked for.
    callbacks : list or None, default=None
        Extra skorch callbacks.
    device : "auto", "cpu", "cuda" or torch.device, default="auto"
        ``"auto"`` uses CUDA when it is available, else the CPU; resolved at each call,
        so a pickled model loads on a machine without a GPU.
    num_threads : "auto", int or None, default="auto"
        torch intra-op threads while fitting and predicting. ``"auto"``: one, and the
        OpenMP and BLAS pools one each too, for the call (see "Threads and parallelism"
        in the docs: pools of several threads spin when another process holds a core);
        an int: torch on that many; None leaves every pool as the caller set it. The
        caller's settings are restored afterwards.
    random_state : int, RandomState or None, default=None
        Seeds weight initialisation, shuffling, dropout and the validation split; the
        global torch random state is left as it was.
    verbose : int, default=0
        1 prints skorch's per-epoch table.
    classes : array-like or None, default=None
        Labels of the classes, in the order of the output columns. None takes the
        sorted labels of ``y``.
    class_weight : None, "balanced", dict or array-like, default=None
        Weights of the classes in the loss: ``"balanced"`` is inverse class frequency,
        ``n / (K * count_k)``. This is the reweighting baseline for imbalanced data, to
        compare with ``tau``; a weighted model's probabilities are biased, so do not
        read MI from it.
    precision : {"float32", "bf16"}, default="float32"
        ``"bf16"`` runs the network's forward pass under ``torch.autocast`` with
        bfloat16 (the loss and the returned logits stay float32/float64). It can pay off
        for wide custom modules on GPUs with bfloat16 tensor cores (NVIDIA Ampere and
        later). For the default MLP it is slower than float32: on an H200 (issue 14's
        measurement) 113,000 samples/s against 128,000; on most CPUs too.
    cuda_graphs : "auto" or bool, default="auto"
        On CUDA, capture each training step (forward, PC-softmax loss, backward and the
        optimizer step) in a CUDA graph once per batch shape and replay it: a step of a
        small MLP is dozens of short kernels whose launches otherwise leave the GPU
        waiting. The same samples and updates as the eager loop (Adam and AdamW are
        made ``capturable``; after 3 eager warm-up steps per batch shape; the first 3
        replays of each shape are checked against them and a failed check falls back
        to eager steps with a ``GraphFallbackWarning``). **No GPU has run this path
        yet: until ``scripts/gpu_check.sh`` has passed on one (docs/gpu.md),
        ``"auto"`` means eager and True warns that it is unverified.** Once verified,
        ``"auto"`` is on where it is safe: a CUDA device, the default MLP, Adam, AdamW or SGD,
        ``precision="float32"`` and no extra ``callbacks`` (a callback may act between
        backward and step, such as gradient clipping, or change the learning rate, such
        as ``LRScheduler``, and a replayed graph would not see it). True insists (and
        raises where it cannot be done); False never captures. Validation and
        prediction batches replay the forward pass from graphs too (a batch shape once
        seen 3 times). A capture that fails warns and runs eagerly.
    iterator_train, iterator_valid : class, default=ArrayBatches
        Batch iterators. The default gathers each batch of in-memory arrays with one
        indexing operation (skorch's ``DataLoader`` collates sample by sample, several
        times slower for small networks) and falls back to ``DataLoader`` for other
        datasets or when ``iterator_*__`` options such as ``num_workers`` are given.
        Training batches are shuffled (unless ``iterator_train__shuffle=False``). On CUDA,
        training arrays that take at most half of the free GPU memory are moved there
        once per fit and batches are sliced on the GPU; larger ones, and data to
        predict, travel batch by batch through pinned memory. Prediction uses batches
        of ``max(batch_size, 4096)`` rows unless ``iterator_valid__batch_size`` is set.
    **kwargs
        Any other [`skorch.NeuralNet`](https://skorch.readthedocs.io/en/stable/net.html#skorch.net.NeuralNet) parameter (``optimizer__weight_decay``,
        ``iterator_train__num_workers``, ...).

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        Class labels, in the order of the output columns.
    class_prior_ : ndarray of shape (n_classes,)
        Class frequencies of the labels ``fit`` received (after any resampling that
        a pipeline did before this step).
    n_features_in_ : int
        Number of features (columns) seen in ``fit``.
    feature_names_in_ : ndarray of str
        The columns of a DataFrame seen in ``fit``.
    table_encoder_ : TableEncoder
        Only after ``fit`` on a DataFrame with text, categorical or date columns or
        missing cells: the encoding fitted on the training rows (``column_kinds_`` says
        what each column was taken for), applied to every table predicted on, whose
        columns it checks by name and kind. Saved with the model by pickle and by
        ``save_params(f_criterion=...)``. See docs/tables.md.
    epochs_planned_ : int
        Epochs the last ``fit`` was set to run (early stopping may end it sooner;
        ``len(history_)`` is what ran).
    module_, criterion_, optimizer_, history_
        skorch's fitted components.

    See Also
    --------
    MIScorer : held-out mutual-information scorer for cross-validation.

    Examples
    --------
    >>> from sklearn.datasets import make_classification
    >>> from skmi import MIClassifier
    >>> X, y = make_classification(n_samples=300, weights=[0.9], random_state=0)
    >>> clf = MIClassifier(max_epochs=20, random_state=0).fit(X, y)
    >>> clf.predict_proba(X[:2]).shape
    (2, 2)
    >>> clf.class_prior_.round(2).tolist()
    [0.9, 0.1]
    """

    def __init__(
        self,
        module=None,
        *,
        tau: float = 1.0,
        test_prior="balanced",
        hidden_layer_sizes="auto",
        dropout: float = 0.0,
        n_members: int = 4,
        num_embeddings=None,
        input_scaling: str = "quantile",
        criterion=PCSoftmaxLoss,
        optimizer=torch.optim.AdamW,
        lr: float = 1e-3,
        max_epochs="auto",
        max_steps: int | None = None,
        batch_size: int = 256,
        early_stopping: bool | str = "auto",
        validation_fraction: float = 0.1,
        n_iter_no_change: int = 10,
        tol: float = 1e-4,
        train_split=None,
        callbacks=None,
        device="auto",
        num_threads="auto",
        random_state=None,
        verbose: int = 0,
        classes=None,
        class_weight=None,
        precision: str = "float32",
        cuda_graphs: bool | str = "auto",
        iterator_train=ArrayBatches,
        iterator_valid=ArrayBatches,
        **kwargs,
    ):
        super().__init__(
            module,
            criterion=criterion,
            optimizer=optimizer,
            lr=lr,
            max_epochs=max_epochs,
            batch_size=batch_size,
            train_split=train_split,
            callbacks=callbacks,
            device=device,
            verbose=verbose,
            classes=classes,
            iterator_train=iterator_train,
            iterator_valid=iterator_valid,
            num_threads=num_threads,
            precision=precision,
            **kwargs,
        )
        self.tau = tau
        self.max_steps = max_steps
        self.test_prior = test_prior
        self.hidden_layer_sizes = hidden_layer_sizes
        self.dropout = dropout
        self.n_members = n_members
        self.num_embeddings = num_embeddings
        self.input_scaling = input_scaling
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.n_iter_no_change = n_iter_no_change
        self.tol = tol
        self.random_state = random_state
        self.class_weight = class_weight
        self.cuda_graphs = cuda_graphs

    def _resolved_test_prior(self) -> np.ndarray:
        n_classes = self.class_prior_.shape[0]
        if isinstance(self.test_prior, str):
            if self.test_prior == "balanced":
                return np.full(n_classes, 1.0 / n_classes)
            if self.test_prior == "training":
                return self.class_prior_
            check_params(self)  # raises the message for an unknown string
        if isinstance(self.test_prior, Mapping):
            unknown = set(self.test_prior) - set(self.classes_.tolist())
            if unknown:
                raise ValueError(
                    f"test_prior names labels not in classes_: {sorted(unknown, key=str)}."
                )
            prior = [self.test_prior.get(label, 0.0) for label in self.classes_.tolist()]
            return check_prior(prior, n_classes, name="test_prior")
        return check_prior(self.test_prior, n_classes, name="test_prior")

    # ------------------------------------------------------------------ fitting
    def fit(self, X, y, sample_weight=None, **fit_params):
        """Validate the data, set the class prior and train from scratch.

        With ``warm_start=True`` a fitted network goes on training from its weights
        (the classes must be the same); the class prior becomes that of the new ``y``,
        in the loss as in predictions.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Training data; pandas, float64 and float32 are accepted (a custom module
            also takes n-d arrays, dicts and torch Datasets).
        y : array-like of shape (n_samples,)
            Labels of any type.
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative weights. The loss is the weighted mean of the PC-softmax
            cross-entropy, and the class prior is the weighted class frequency
            ``sum_{i: y_i = k} w_i / sum_i w_i``: the prior of the population that the
            weights describe, which is the one the MI estimate and ``test_prior=
            "training"`` then refer to. A weight of 0 leaves a sample out.
        **fit_params
            Passed to skorch (e.g. extra ``forward`` arguments).

        Returns
        -------
        self : MIClassifier
        """
        return self._fit(
            X, y, sample_weight=sample_weight, classes=None, incremental=False, **fit_params
        )

    def partial_fit(self, X, y=None, classes=None, sample_weight=None, **fit_params):
        """Train further without re-initialising (skorch semantics: ``max_epochs`` epochs).

        The first call sets ``classes_`` (from ``classes`` if given, else from ``y``) and
        the input scaling; later calls keep them. The class prior is the (weighted)
        class frequency of all labels passed so far, updated at each call; a class
        listed in ``classes`` that has not occurred yet counts as one sample of mean
        weight, so that its prior is positive.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        y : array-like of shape (n_samples,)
        classes : array-like of shape (n_classes,), default=None
            All the labels, needed on the first call when its ``y`` lacks some.
        sample_weight : array-like of shape (n_samples,), default=None
            As in `fit`.
        **fit_params
            Passed to skorch.

        Returns
        -------
        self : MIClassifier
        """
        return self._fit(
            X, y, sample_weight=sample_weight, classes=classes, incremental=True, **fit_params
        )

    # ------------------------------------------------------------------ prediction
    def prior_free_logits(self, X) -> np.ndarray:
        """Logits ``g = f + (tau - 1) log pi`` that no longer depend on the training prior.

        ``softmax(g + log p)`` is the posterior under a class prior ``p``, and
        ``g_y - logsumexp(g + log p)`` is the pointwise MI. For ``tau=1``, ``g = f``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        logits : ndarray of shape (n_samples, n_classes), float64
        """
        return prior_free_logits(self._raw_logits(X), self.tau, self.class_prior_)

    def decision_function(self, X) -> np.ndarray:
        """Raw logits ``f(x)`` of the network, before any prior is applied.

        Following scikit-learn's convention, a binary problem returns the 1-D logit
        difference ``f_1 - f_0``. With the defaults (``tau=1``, ``test_prior=
        "balanced"``) ``predict`` is its argmax (its sign for binary problems).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        logits : ndarray of shape (n_samples, n_classes), or (n_samples,) for 2 classes
        """
        logits = self._raw_logits(X)
        if logits.shape[1] == 2:
            return logits[:, 1] - logits[:, 0]
        return logits

    def predict_proba(self, X) -> np.ndarray:
        """Class probabilities under ``test_prior``.

        ``softmax(f + (tau - 1) log pi_train + log test_prior)``; rows sum to 1.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
        """
        return softmax_under_prior(self.prior_free_logits(X), self._resolved_test_prior())

    def predict(self, X) -> np.ndarray:
        """Most probable class under ``test_prior`` (the argmax of ``predict_proba``).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        y_pred : ndarray of shape (n_samples,)
        """
        proba = self.predict_proba(X)  # first: it raises NotFittedError before classes_
        return self.classes_[np.argmax(proba, axis=1)]

    def pointwise_mutual_info(self, X, y, *, prior="training") -> np.ndarray:
        """Pointwise mutual information ``log p(y|x) / p(y)`` of each pair, in nats.

        Its mean over samples the model did not train on estimates ``I(X; Y)`` from
        below; on the training samples it overestimates.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        y : array-like of shape (n_samples,)
            Labels, all of them in ``classes_``.
        prior : {"training", "empirical"} or array-like, default="training"
            Class prior of the population the pairs come from: the prior ``fit`` saw,
            the class frequencies of ``y`` (what [`MIScorer`][skmi.MIScorer] uses), or a given
            vector. After resampling in a pipeline the training prior is the resampled
            one, so use ``"empirical"`` or the real prior there.

        Returns
        -------
        pmi : ndarray of shape (n_samples,)
        """
        logits = self.prior_free_logits(X)
        if isinstance(prior, str):
            if prior not in ("training", "empirical"):
                raise ValueError(
                    f"prior must be 'training', 'empirical' or an array; got {prior!r}."
                )
            prior = self.class_prior_ if prior == "training" else None
        return pointwise_mutual_info(y, logits, prior=prior, labels=self.classes_)
