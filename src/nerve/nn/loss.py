"""Loss layers: "the loss function bridges the gap between your network's predictions and
the true value". Each wraps the function of the same name in ``nn.functional``."""

from __future__ import annotations

from ..tensor import Tensor
from . import functional as F
from .functional_loss import resolve_reduction
from .module import Module


class _Loss(Module):
    """A loss layer: ``reduction`` ('mean', 'sum', 'none'), or the deprecated ``size_average`` /
    ``reduce`` pair of old notebooks, translated with torch's warning."""

    def __init__(
        self,
        size_average: bool | None = None,
        reduce: bool | None = None,
        reduction: str = "mean",
    ) -> None:
        super().__init__()
        self.reduction = resolve_reduction(size_average, reduce, reduction)


class _WeightedLoss(_Loss):
    """A loss with a ``weight`` buffer (per-class or per-element rescaling)."""

    def __init__(
        self,
        weight: Tensor | None = None,
        size_average: bool | None = None,
        reduce: bool | None = None,
        reduction: str = "mean",
    ) -> None:
        super().__init__(size_average, reduce, reduction)
        self.register_buffer("weight", weight)


class MSELoss(_Loss):
    """Mean squared error: regression; easy to compute, sensitive to outliers.

    Example:
        >>> import nerve
        >>> nerve.nn.MSELoss()(nerve.tensor([1.0, 2.0]), nerve.tensor([1.0, 4.0]))
        tensor(2.)
    """

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        return F.mse_loss(input, target, reduction=self.reduction)


class L1Loss(_Loss):
    """Mean absolute error.

    ``reduction``: ``"mean"`` (the default), ``"sum"`` or ``"none"``.

    Example:
        >>> import nerve
        >>> loss = nerve.nn.L1Loss()
        >>> loss(nerve.tensor([1.0, -2.0, 3.0]), nerve.tensor([0.5, 0.0, 3.0]))
        tensor(0.8333)
    """

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        return F.l1_loss(input, target, reduction=self.reduction)


class HuberLoss(_Loss):
    """Squared error for small errors, absolute error (times ``delta``) for large ones.

    Example:
        >>> import nerve
        >>> x, y = nerve.tensor([1.0, -2.0, 3.0]), nerve.tensor([0.5, 0.0, 3.0])
        >>> nerve.nn.HuberLoss()(x, y)
        tensor(0.5417)
        >>> nerve.nn.HuberLoss(delta=2.0)(x, y)
        tensor(0.7083)
    """

    def __init__(self, reduction: str = "mean", delta: float = 1.0) -> None:
        super().__init__(reduction=reduction)
        self.delta = delta

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        return F.huber_loss(input, target, reduction=self.reduction, delta=self.delta)


class SmoothL1Loss(_Loss):
    """Huber loss divided by ``beta``: squared below ``beta``, absolute above it.

    Example:
        >>> import nerve
        >>> x, y = nerve.tensor([1.0, -2.0, 3.0]), nerve.tensor([0.5, 0.0, 3.0])
        >>> nerve.nn.SmoothL1Loss()(x, y)
        tensor(0.5417)
        >>> nerve.nn.SmoothL1Loss(beta=2.0)(x, y)
        tensor(0.3542)
    """

    def __init__(
        self,
        size_average: bool | None = None,
        reduce: bool | None = None,
        reduction: str = "mean",
        beta: float = 1.0,
    ) -> None:
        super().__init__(size_average, reduce, reduction)
        self.beta = beta

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        return F.smooth_l1_loss(input, target, reduction=self.reduction, beta=self.beta)


class BCELoss(_WeightedLoss):
    """Binary cross entropy on probabilities (after a Sigmoid): the lecture's loss for its
    hands-on binary network.

    Example:
        >>> import nerve
        >>> probs = nerve.nn.Sigmoid()(nerve.tensor([2.0, -1.0, 0.5]))
        >>> nerve.nn.BCELoss()(probs, nerve.tensor([1.0, 0.0, 1.0]))
        tensor(0.3048)
    """

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        return F.binary_cross_entropy(input, target, weight=self.weight, reduction=self.reduction)


class BCEWithLogitsLoss(_WeightedLoss):
    """Sigmoid + binary cross entropy in one numerically stable op; ``pos_weight`` > 1 makes
    positives count more (a remedy for class imbalance).

    Example:
        >>> import nerve
        >>> logits, target = nerve.tensor([2.0, -1.0, 0.5]), nerve.tensor([1.0, 0.0, 1.0])
        >>> nerve.nn.BCEWithLogitsLoss()(logits, target)
        tensor(0.3048)
        >>> nerve.nn.BCEWithLogitsLoss(pos_weight=nerve.tensor([3.0]))(logits, target)
        tensor(0.7054)
    """

    def __init__(
        self,
        weight: Tensor | None = None,
        size_average: bool | None = None,
        reduce: bool | None = None,
        reduction: str = "mean",
        pos_weight: Tensor | None = None,
    ) -> None:
        super().__init__(weight, size_average, reduce, reduction)
        self.register_buffer("pos_weight", pos_weight)

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        return F.binary_cross_entropy_with_logits(
            input, target, self.weight, reduction=self.reduction, pos_weight=self.pos_weight
        )


class CrossEntropyLoss(_WeightedLoss):
    """Softmax + cross entropy on raw scores: the loss for multi-class classification.
    ``weight`` rescales classes (for imbalance), ``ignore_index`` skips targets,
    ``label_smoothing`` mixes the targets with the uniform distribution.

    Example:
        >>> import nerve
        >>> logits = nerve.tensor([[2.0, 0.5, -1.0], [0.0, 1.0, 0.0]])
        >>> target = nerve.tensor([0, 1])
        >>> nerve.nn.CrossEntropyLoss()(logits, target)
        tensor(0.3964)
        >>> nerve.nn.CrossEntropyLoss(weight=nerve.tensor([1.0, 3.0, 1.0]))(logits, target)
        tensor(0.4739)
    """

    def __init__(
        self,
        weight: Tensor | None = None,
        size_average: bool | None = None,
        ignore_index: int = -100,
        reduce: bool | None = None,
        reduction: str = "mean",
        label_smoothing: float = 0.0,
    ) -> None:
        super().__init__(weight, size_average, reduce, reduction)
        self.ignore_index, self.label_smoothing = ignore_index, label_smoothing

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        return F.cross_entropy(
            input,
            target,
            self.weight,
            ignore_index=self.ignore_index,
            reduction=self.reduction,
            label_smoothing=self.label_smoothing,
        )


class NLLLoss(_WeightedLoss):
    """Negative log likelihood of class indices, given log-probabilities (after LogSoftmax).

    Example:
        >>> import nerve
        >>> log_p = nerve.nn.LogSoftmax(dim=1)(nerve.tensor([[2.0, 0.5, -1.0], [0.0, 1.0, 0.0]]))
        >>> nerve.nn.NLLLoss()(log_p, nerve.tensor([0, 1]))
        tensor(0.3964)
        >>> nerve.nn.NLLLoss(ignore_index=1)(log_p, nerve.tensor([0, 1]))  # only the first counts
        tensor(0.2413)
    """

    def __init__(
        self,
        weight: Tensor | None = None,
        size_average: bool | None = None,
        ignore_index: int = -100,
        reduce: bool | None = None,
        reduction: str = "mean",
    ) -> None:
        super().__init__(weight, size_average, reduce, reduction)
        self.ignore_index = ignore_index

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        return F.nll_loss(
            input, target, self.weight, ignore_index=self.ignore_index, reduction=self.reduction
        )


class KLDivLoss(_Loss):
    """The Kullback-Leibler divergence of log-probabilities ``input`` from ``target``
    (``F.kl_div``); use ``reduction="batchmean"`` for the divergence's definition.

    Example:
        >>> import nerve
        >>> loss = nerve.nn.KLDivLoss(reduction="batchmean")
        >>> p = nerve.tensor([[0.5, 0.5]])
        >>> loss(nerve.tensor([[0.25, 0.75]]).log(), p)
        tensor(0.1438)
    """

    def __init__(
        self,
        size_average: bool | None = None,
        reduce: bool | None = None,
        reduction: str = "mean",
        log_target: bool = False,
    ) -> None:
        Module.__init__(self)  # (not _Loss's: it would reject "batchmean", this loss's own)
        self.reduction = F.legacy_reduction(size_average, reduce, reduction)
        self.log_target = log_target

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        return F.kl_div(input, target, reduction=self.reduction, log_target=self.log_target)


class _MarginLoss(_Loss):
    """A loss with a ``margin`` (0 unless the loss says otherwise)."""

    def __init__(
        self,
        margin: float = 0.0,
        size_average: bool | None = None,
        reduce: bool | None = None,
        reduction: str = "mean",
    ) -> None:
        super().__init__(size_average, reduce, reduction)
        self.margin = margin


class MarginRankingLoss(_MarginLoss):
    """``max(0, -target * (input1 - input2) + margin)`` (``F.margin_ranking_loss``).

    Example:
        >>> import nerve
        >>> loss = nerve.nn.MarginRankingLoss(margin=0.5)
        >>> loss(nerve.tensor([2.0, 0.0]), nerve.tensor([1.0, 1.0]), nerve.tensor([1.0, 1.0]))
        tensor(0.7500)
    """

    def forward(self, input1: Tensor, input2: Tensor, target: Tensor) -> Tensor:
        return F.margin_ranking_loss(input1, input2, target, self.margin, reduction=self.reduction)


class HingeEmbeddingLoss(_MarginLoss):
    """``input`` for similar pairs (target 1), ``max(0, margin - input)`` for dissimilar
    ones (target -1) (``F.hinge_embedding_loss``).

    Example:
        >>> import nerve
        >>> nerve.nn.HingeEmbeddingLoss()(nerve.tensor([0.3, 0.4]), nerve.tensor([1.0, -1.0]))
        tensor(0.4500)
    """

    def __init__(
        self,
        margin: float = 1.0,
        size_average: bool | None = None,
        reduce: bool | None = None,
        reduction: str = "mean",
    ) -> None:
        super().__init__(margin, size_average, reduce, reduction)

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        return F.hinge_embedding_loss(input, target, self.margin, reduction=self.reduction)


class SoftMarginLoss(_Loss):
    """``log(1 + exp(-target * input))`` (``F.soft_margin_loss``).

    Example:
        >>> import nerve
        >>> nerve.nn.SoftMarginLoss()(nerve.tensor([2.0, -1.0]), nerve.tensor([1.0, -1.0]))
        tensor(0.2201)
    """

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        return F.soft_margin_loss(input, target, reduction=self.reduction)


class CosineEmbeddingLoss(_MarginLoss):
    """``1 - cos(input1, input2)`` for similar pairs, ``max(0, cos - margin)`` for dissimilar
    ones (``F.cosine_embedding_loss``).

    Example:
        >>> import nerve
        >>> a, b = nerve.tensor([[1.0, 0.0]]), nerve.tensor([[1.0, 1.0]])
        >>> nerve.nn.CosineEmbeddingLoss()(a, b, nerve.tensor([1.0]))
        tensor(0.2929)
    """

    def forward(self, input1: Tensor, input2: Tensor, target: Tensor) -> Tensor:
        return F.cosine_embedding_loss(
            input1, input2, target, self.margin, reduction=self.reduction
        )


class TripletMarginLoss(_Loss):
    """``max(d(anchor, positive) - d(anchor, negative) + margin, 0)`` with the p-norm
    distance (``F.triplet_margin_loss``).

    Example:
        >>> import nerve
        >>> anchor, positive = nerve.tensor([[0.0, 0.0]]), nerve.tensor([[1.0, 0.0]])
        >>> nerve.nn.TripletMarginLoss(margin=2.5)(anchor, positive, nerve.tensor([[3.0, 0.0]]))
        tensor(0.5000)
    """

    def __init__(
        self,
        margin: float = 1.0,
        p: float = 2.0,
        eps: float = 1e-6,
        swap: bool = False,
        size_average: bool | None = None,
        reduce: bool | None = None,
        reduction: str = "mean",
    ) -> None:
        super().__init__(size_average, reduce, reduction)
        self.margin, self.p, self.eps, self.swap = margin, p, eps, swap

    def forward(self, anchor: Tensor, positive: Tensor, negative: Tensor) -> Tensor:
        return F.triplet_margin_loss(
            anchor, positive, negative, self.margin, self.p, self.eps, self.swap,
            reduction=self.reduction,
        )  # fmt: skip


class MultiLabelSoftMarginLoss(_WeightedLoss):
    """A binary logistic loss per class of (N, C) scores and 0/1 targets, averaged over the
    classes (``F.multilabel_soft_margin_loss``).

    Example:
        >>> import nerve
        >>> loss = nerve.nn.MultiLabelSoftMarginLoss()
        >>> loss(nerve.tensor([[2.0, -1.0]]), nerve.tensor([[1.0, 0.0]]))
        tensor(0.2201)
    """

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        return F.multilabel_soft_margin_loss(
            input, target, weight=self.weight, reduction=self.reduction
        )


class MultiMarginLoss(_WeightedLoss):
    """The multi-class hinge loss of a linear SVM (``F.multi_margin_loss``): ``p`` 1 or 2, a
    ``margin``, and an optional ``weight`` per class.

    Example:
        >>> import nerve
        >>> nerve.nn.MultiMarginLoss()(nerve.tensor([[0.1, 0.2, 0.4, 0.8]]), nerve.tensor([3]))
        tensor(0.3250)
    """

    def __init__(
        self,
        p: int = 1,
        margin: float = 1.0,
        weight: Tensor | None = None,
        size_average: bool | None = None,
        reduce: bool | None = None,
        reduction: str = "mean",
    ) -> None:
        super().__init__(weight, size_average, reduce, reduction)
        if p not in (1, 2):
            raise ValueError("only p == 1 and p == 2 supported")
        if weight is not None and weight.dim() != 1:
            raise ValueError(
                f"MultiMarginLoss: expected weight to be None or 1D tensor, got {weight.dim()}D "
                "instead"
            )
        self.p, self.margin = p, margin

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        return F.multi_margin_loss(
            input, target, self.p, self.margin, weight=self.weight, reduction=self.reduction
        )


class MultiLabelMarginLoss(_Loss):
    """The multi-label hinge loss (``F.multilabel_margin_loss``): each sample's listed
    classes (ended by -1) should outscore its others by 1.

    Example:
        >>> import nerve
        >>> loss = nerve.nn.MultiLabelMarginLoss()
        >>> loss(nerve.tensor([[0.1, 0.2, 0.4, 0.8]]), nerve.tensor([[3, 0, -1, 1]]))
        tensor(0.8500)
    """

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        return F.multilabel_margin_loss(input, target, reduction=self.reduction)


class PoissonNLLLoss(_Loss):
    """The negative log likelihood of counts under a Poisson rate (``F.poisson_nll_loss``).

    Example:
        >>> import nerve
        >>> nerve.nn.PoissonNLLLoss()(nerve.tensor([0.0, 1.0]), nerve.tensor([1.0, 3.0]))
        tensor(0.3591)
    """

    def __init__(
        self,
        log_input: bool = True,
        full: bool = False,
        size_average: bool | None = None,
        eps: float = 1e-8,
        reduce: bool | None = None,
        reduction: str = "mean",
    ) -> None:
        super().__init__(size_average, reduce, reduction)
        self.log_input, self.full, self.eps = log_input, full, eps

    def forward(self, log_input: Tensor, target: Tensor) -> Tensor:
        return F.poisson_nll_loss(
            log_input, target, self.log_input, self.full, eps=self.eps, reduction=self.reduction
        )


class GaussianNLLLoss(_Loss):
    """The negative log likelihood of targets under Gaussians of predicted means and
    variances (``F.gaussian_nll_loss``).

    Example:
        >>> import nerve
        >>> loss = nerve.nn.GaussianNLLLoss()
        >>> loss(nerve.tensor([0.0, 1.0]), nerve.tensor([1.0, 1.0]), nerve.tensor([1.0, 1.0]))
        tensor(0.2500)
    """

    def __init__(self, *, full: bool = False, eps: float = 1e-6, reduction: str = "mean") -> None:
        super().__init__(None, None, reduction)
        self.full, self.eps = full, eps

    def forward(self, input: Tensor, target: Tensor, var: Tensor | float) -> Tensor:
        return F.gaussian_nll_loss(
            input, target, var, full=self.full, eps=self.eps, reduction=self.reduction
        )
