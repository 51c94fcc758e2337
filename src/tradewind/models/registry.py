"""Registry of model families and the one ``build`` entry point.

Each family module registers its class with :func:`register_model`; ``build`` looks the
spec's ``name`` up, constructs the module from the data's shapes and prints its size.
Construction draws only from torch's global RNG, so ``torch.manual_seed(s)`` before
``build`` gives identical weights every time.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Protocol, TypeVar

from pydantic import BaseModel
from rich.console import Console
from torch import nn

from tradewind.exceptions import ConfigError
from tradewind.models.symbol_embedding import SymbolEmbedding

if TYPE_CHECKING:
    from tradewind.models.base import SequenceClassifier
    from tradewind.models.specs import ModelSpec, SymbolEmbeddingSpec

__all__ = ["MODEL_REGISTRY", "ModelFactory", "build", "count_parameters", "register_model"]

_console = Console(stderr=True, highlight=False, soft_wrap=True)


class ModelFactory(Protocol):
    """A family class: ``cls(spec, n_features, n_classes, side_dim)`` -> module."""

    def __call__(
        self, spec: ModelSpec, n_features: int, n_classes: int, side_dim: int
    ) -> SequenceClassifier: ...


MODEL_REGISTRY: dict[str, ModelFactory] = {}
"""Family name (the spec's ``name``) -> class building the module."""

_F = TypeVar("_F", bound=Callable[..., nn.Module])


def register_model(name: str) -> Callable[[_F], _F]:
    """Class decorator adding a family to :data:`MODEL_REGISTRY` under ``name``."""

    def decorator(factory: _F) -> _F:
        if name in MODEL_REGISTRY and MODEL_REGISTRY[name] is not factory:
            raise ConfigError(f"model family {name!r} is registered twice; rename one of them")
        MODEL_REGISTRY[name] = factory  # type: ignore[assignment]
        return factory

    return decorator


def count_parameters(module: nn.Module) -> int:
    """Number of scalar parameters (trainable or not); buffers such as BatchNorm stats excluded."""
    return sum(p.numel() for p in module.parameters())


def build(
    spec: ModelSpec,
    n_features: int,
    n_classes: int,
    *,
    side_dim: int = 0,
    symbol_embedding: SymbolEmbeddingSpec | None = None,
    verbose: bool = True,
) -> nn.Module:
    """Build the module a spec describes, for ``n_features`` inputs and ``n_classes`` logits.

    Parameters
    ----------
    spec:
        A model spec (see :func:`tradewind.models.parse_model_spec`).
    n_features:
        Width F of the windows [B, L, F] the model will read.
    n_classes:
        Number of logits C (2 for DOWN/UP, 3 for SELL/HOLD/BUY).
    side_dim:
        Width S of the optional side vector [B, S]; 0 means the model takes none.
    symbol_embedding:
        Wrap the family in a learned symbol embedding (:mod:`tradewind.models.symbol_embedding`):
        the family is built for ``n_features + dim`` inputs. With the spec's ``index``
        unset the module takes a side input of ``side_dim + 1`` columns, the last one each
        window's series id.
    verbose:
        Print one line with the family and parameter count (to stderr, via rich).

    Returns
    -------
    nn.Module
        Returns logits [B, C] from ``forward(x, side=None)``.
    """
    if not isinstance(spec, BaseModel) or not hasattr(spec, "name"):
        raise ConfigError(
            f"build() needs a model spec object, got {type(spec).__name__}; "
            "turn a mapping into one with tradewind.models.parse_model_spec(...)"
        )
    factory = MODEL_REGISTRY.get(spec.name)
    if factory is None:
        raise ConfigError(
            f"model family {spec.name!r} is not registered; "
            f"known: {', '.join(sorted(MODEL_REGISTRY))}"
        )
    for label, value, least in (("n_features", n_features, 1), ("n_classes", n_classes, 2)):
        if int(value) < least:
            raise ConfigError(f"build(): {label} must be >= {least}, got {value}")
    if int(side_dim) < 0:
        raise ConfigError(f"build(): side_dim must be >= 0, got {side_dim}")
    if symbol_embedding is None:
        module: nn.Module = factory(spec, int(n_features), int(n_classes), int(side_dim))
    else:
        inner = factory(spec, int(n_features) + symbol_embedding.dim, int(n_classes),
                        int(side_dim))
        module = SymbolEmbedding(inner, symbol_embedding, int(n_features))
    if verbose:
        joined = "" if symbol_embedding is None else (
            f", symbol embedding {len(symbol_embedding.symbols)} x {symbol_embedding.dim}")
        _console.print(
            f"model {spec.name}: {count_parameters(module):,} parameters "
            f"(n_features={n_features}, n_classes={n_classes}, side_dim={side_dim}{joined})"
        )
    return module
