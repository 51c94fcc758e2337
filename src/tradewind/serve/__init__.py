"""The model server: FastAPI over one bundle, followed through the registry's alias, or
over the bundles of a run's several symbols, routed by each request's symbol.

``create_app(ServeSettings(model="champion"))`` builds the app; :func:`serve` runs it
with uvicorn; :class:`ServerThread` runs it in the background (tests, benchmarks).
"""

from tradewind.serve.app import create_app
from tradewind.serve.holder import LoadedModel, ModelHolder
from tradewind.serve.inference import InputError, latest_signal, predict_windows
from tradewind.serve.runner import ServerThread, serve
from tradewind.serve.settings import ServeSettings

__all__ = [
    "InputError",
    "LoadedModel",
    "ModelHolder",
    "ServeSettings",
    "ServerThread",
    "create_app",
    "latest_signal",
    "predict_windows",
    "serve",
]
