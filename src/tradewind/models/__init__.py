"""Model families (one module each) behind one ``build(spec, n_features, n_classes)``.

Every model maps windows x [B, L, F] (and an optional side vector [B, S]) to logits
[B, C]; see :mod:`tradewind.models.base` for the contract and each family module for its
layout. Specs are pydantic models joined into :data:`ModelSpec` by their ``name``.

Examples
--------
>>> import torch
>>> spec = parse_model_spec({"name": "gru", "hidden_size": 8, "num_layers": 1})
>>> model = build(spec, n_features=5, n_classes=3, verbose=False)
>>> model(torch.zeros(2, 16, 5)).shape
torch.Size([2, 3])
"""

from tradewind.models import bilstm_attention, fnn, gru, lstm, tcn, transformer_lite, xlstm
from tradewind.models.base import SequenceClassifier
from tradewind.models.bilstm_attention import BiLSTMAttentionClassifier
from tradewind.models.fnn import FNNClassifier
from tradewind.models.gru import GRUClassifier
from tradewind.models.lstm import LSTMClassifier
from tradewind.models.registry import MODEL_REGISTRY, build, count_parameters, register_model
from tradewind.models.specs import (
    BiLSTMAttentionSpec,
    FNNSpec,
    GRUSpec,
    LSTMSpec,
    ModelSpec,
    TCNSpec,
    TransformerLiteSpec,
    XLSTMSpec,
    parse_model_spec,
)
from tradewind.models.tcn import TCNClassifier
from tradewind.models.transformer_lite import TransformerLiteClassifier
from tradewind.models.xlstm import XLSTMClassifier
from tradewind.models.xlstm_cells import MLSTMCell, SLSTMCell

del bilstm_attention, fnn, gru, lstm, tcn, transformer_lite, xlstm  # imported to register

__all__ = [
    "MODEL_REGISTRY",
    "BiLSTMAttentionClassifier",
    "BiLSTMAttentionSpec",
    "FNNClassifier",
    "FNNSpec",
    "GRUClassifier",
    "GRUSpec",
    "LSTMClassifier",
    "LSTMSpec",
    "MLSTMCell",
    "ModelSpec",
    "SLSTMCell",
    "SequenceClassifier",
    "TCNClassifier",
    "TCNSpec",
    "TransformerLiteClassifier",
    "TransformerLiteSpec",
    "XLSTMClassifier",
    "XLSTMSpec",
    "build",
    "count_parameters",
    "parse_model_spec",
    "register_model",
]
