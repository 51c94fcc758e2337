"""The FastAPI application: ``/v1/signal``, ``/v1/predict``, ``/v1/models``, health, metrics.

``/v1/signal`` and ``/v1/predict`` read the body bytes, validate them with pydantic-core
(:mod:`tradewind.serve.payloads`) and run on the event loop, big bodies in a worker
thread (:func:`tradewind.serve.dispatch.answer`). Each request takes the served bundle
once (:meth:`ModelHolder.current`) so a reload never changes it mid-request. Bad input
is answered with 422 and the JSON location of the offending value. Serving the bundles
of several symbols (a universe folder), each request's ``symbol`` picks the bundle; a
symbol not served is a 422 at ``body.symbol`` naming it and the served ones.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import numpy as np
from fastapi import FastAPI, Query, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.utils import validation_error_definition, validation_error_response_definition
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST
from pydantic import BaseModel
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from tradewind.exceptions import ConfigError, TradewindError
from tradewind.serve.dispatch import answer
from tradewind.serve.holder import LoadedModel, ModelHolder
from tradewind.serve.inference import (
    InputError,
    feature_windows,
    latest_signal,
    predict_windows,
    request_timeframe,
    side_rows,
)
from tradewind.serve.metrics import ServeMetrics
from tradewind.serve.monitoring import MonitorGauges, MonitorPoller
from tradewind.serve.payloads import candle_arrays, candles_frame, read_body, reference_frames
from tradewind.serve.schemas import HealthOut, ModelOut, PredictOut, PredictRequest, SignalRequest
from tradewind.serve.settings import ServeSettings
from tradewind.signals import Signal
from tradewind.signals.window import apply_bundle_gap_policy

__all__ = ["create_app"]

log = logging.getLogger("tradewind.serve")


def _error(loc: tuple[Any, ...] | list[Any], msg: str, kind: str = "value_error") -> JSONResponse:
    return JSONResponse(status_code=422,
                        content={"detail": [{"loc": list(loc), "msg": msg, "type": kind}]})


def _json_body(model: type[BaseModel]) -> dict[str, Any]:
    """OpenAPI of a body the handler validates itself (see :func:`_document_bodies`)."""
    ref = {"$ref": f"#/components/schemas/{model.__name__}"}
    return {
        "requestBody": {"required": True, "content": {"application/json": {"schema": ref}}},
        "responses": {"422": {"description": "Validation Error", "content": {
            "application/json": {"schema": {"$ref": "#/components/schemas/HTTPValidationError"}}}}},
    }


def _document_bodies(app: FastAPI, models: tuple[type[BaseModel], ...]) -> None:
    """Put the request models the handlers validate from raw bytes into ``/openapi.json``.

    FastAPI documents only bodies it parses itself; these handlers read the bytes and
    validate them with pydantic-core directly (faster), so their schemas are added here.
    """
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = generate()
            found = schema.setdefault("components", {}).setdefault("schemas", {})
            found.setdefault("ValidationError", validation_error_definition)
            found.setdefault("HTTPValidationError", validation_error_response_definition)
            for model in models:
                own = model.model_json_schema(ref_template="#/components/schemas/{model}")
                found.update(own.pop("$defs", {}))
                found[model.__name__] = own
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


async def _json_bytes(request: Request) -> bytes:
    """The body, refused (422) unless sent as JSON, like FastAPI refuses it for a body it
    parses itself: a browser's cross-site form post cannot reach these routes."""
    kind = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    if not (kind == "application/json" or (kind.startswith("application/") and kind.endswith("+json"))):
        raise InputError(("body",), f"the body must be JSON sent with Content-Type: "
                                    f"application/json, got {kind or 'no Content-Type'!r}")
    return await request.body()


def _route(holder: ModelHolder, symbol: str | None, loc: tuple[str, ...]) -> LoadedModel:
    """The bundle that answers for ``symbol`` (at JSON location ``loc``); InputError when a
    universe is served and the symbol is missing (several served) or not served."""
    served = holder.symbols
    if not served:
        return holder.current()
    if symbol is None:
        if len(served) == 1:
            return holder.current()
        raise InputError(loc, f"this server serves the bundles of {len(served)} symbols "
                              f"({', '.join(served)}), each with its own normaliser: say whose "
                              "data this is with 'symbol'")
    found = holder.for_symbol(symbol)
    if found is not None:
        return found
    if symbol in holder.refused_symbols:
        raise InputError(loc, f"symbol {symbol!r}: its bundle was refused by its gate and is not "
                              f"served (a server started with --allow-refused serves it); this "
                              f"server serves {', '.join(served)}")
    raise InputError(loc, f"symbol {symbol!r} is not served: this server serves {', '.join(served)} "
                          "(spelled as listed)")


def _model_out(loaded: LoadedModel, holder: ModelHolder) -> ModelOut:
    manifest = loaded.bundle.manifest
    passed = manifest.gate.get("passed")
    return ModelOut(
        symbol=manifest.data.get("symbol") if holder.symbols else None,
        symbols=holder.symbols, refused_symbols=list(holder.refused_symbols),
        name=manifest.name, version=loaded.version, source=loaded.source,
        fingerprint=loaded.fingerprint, data_fingerprint=loaded.bundle.fingerprint,
        loaded_at=loaded.loaded_at,
        gate_passed=None if passed is None else bool(passed), gate=manifest.gate,
        override_reason=loaded.verdict.override_reason,
        allowed_refused=loaded.verdict.allowed_refused,
        classes=list(manifest.classes), feature_names=list(manifest.feature_names),
        side_names=list(manifest.side_names),
        references={c.name: c.source for c in loaded.feature_spec.cross}, lookback=manifest.lookback,
        warmup_bars=manifest.warmup_bars, min_candles=loaded.bundle.min_candles,
        model=manifest.model, last_reload_error=holder.last_error,
    )


class _CountRequests:
    """Pure ASGI middleware: request counts and latency by route (cheaper than
    ``BaseHTTPMiddleware``, which copies every response body through a stream)."""

    def __init__(self, app: ASGIApp, metrics: ServeMetrics) -> None:
        self.app, self.metrics = app, metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start, status = time.perf_counter(), 500

        async def send_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_status)
        finally:
            path = getattr(scope.get("route"), "path", "unmatched")
            self.metrics.observe(path, scope["method"], status, time.perf_counter() - start)


def _monitor_poller(settings: ServeSettings, holder: ModelHolder, metrics: ServeMetrics
                    ) -> MonitorPoller | None:
    """With ``monitor_log``: the poller whose gauges ``/metrics`` adds."""
    if settings.monitor_log is None:
        return None
    gauges = MonitorGauges()
    metrics.collectors.append(gauges)
    return MonitorPoller(settings, holder, gauges)


def _check_monitor_symbol(settings: ServeSettings, holder: ModelHolder) -> None:
    """Serving several symbols, ``--monitor-log`` watches one of them: refuse a start that
    does not say which, or names one not served."""
    served, symbol = holder.symbols, settings.monitor_symbol
    if settings.monitor_log is None or not served or (symbol is None and len(served) == 1):
        return
    if symbol not in served:
        raise ConfigError(
            f"serve --monitor-log: the server serves {', '.join(served)}; name the one to "
            f"monitor with --set monitor_symbol=SYMBOL (got {settings.monitor_symbol!r})")


def _served(holder: ModelHolder) -> list[tuple[str, str | None, str, str]]:
    """(name, version, fingerprint, symbol) of each bundle served: one per symbol of a
    universe, else the one bundle with an empty symbol."""
    if not holder.symbols:
        now = holder.current()
        return [(now.bundle.manifest.name, now.version, now.fingerprint, "")]
    rows = []
    for symbol in holder.symbols:
        loaded = holder.for_symbol(symbol)
        if loaded is not None:
            rows.append((loaded.bundle.manifest.name, loaded.version, loaded.fingerprint, symbol))
    return rows


def create_app(settings: ServeSettings) -> FastAPI:
    """Build the app and load its bundle now (a bad model reference fails here, not later).

    The alias poller starts with the app (lifespan) and stops with it. ``app.state.holder``
    is the :class:`ModelHolder`, ``app.state.metrics`` the :class:`ServeMetrics`.
    """
    metrics = ServeMetrics()

    def _on_reload(result: str) -> None:
        metrics.reloads.labels(result).inc()
        metrics.set_models(_served(holder))

    holder = ModelHolder(settings, on_reload=_on_reload)
    _check_monitor_symbol(settings, holder)

    metrics.set_models(_served(holder))
    poller = _monitor_poller(settings, holder, metrics)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        holder.start()
        if poller is not None:
            poller.start()
        try:
            yield
        finally:
            if poller is not None:
                poller.stop()
            holder.stop()

    app = FastAPI(title="tradewind", version="1", lifespan=lifespan,
                  description="Calibrated price-direction probabilities and trading signals.")
    app.state.holder = holder
    app.state.monitor = poller
    app.state.metrics = metrics
    app.state.settings = settings

    app.add_middleware(_CountRequests, metrics=metrics)

    @app.exception_handler(RequestValidationError)
    async def _invalid(_: Request, err: RequestValidationError) -> JSONResponse:
        # Only loc/msg/type: the offending input may be NaN, which JSON cannot carry.
        detail = [{"loc": list(e.get("loc", ())), "msg": str(e.get("msg", "")),
                   "type": str(e.get("type", "value_error"))} for e in err.errors()]
        return JSONResponse(status_code=422, content={"detail": detail})

    @app.exception_handler(InputError)
    async def _bad_input(_: Request, err: InputError) -> JSONResponse:
        return _error(err.loc, err.msg)

    @app.exception_handler(Exception)
    async def _crash(_: Request, err: Exception) -> JSONResponse:
        log.exception("unhandled error")
        return JSONResponse(status_code=500,
                            content={"detail": f"internal error: {type(err).__name__}: {err}"})

    def signal_reply(raw: bytes) -> Response:
        body = read_body(SignalRequest, raw)
        loaded = _route(holder, body.symbol, ("body", "symbol"))
        bundle = loaded.bundle
        request_timeframe(bundle, body.timeframe)
        stamps, values, columnar = candle_arrays(body.candles)
        n = len(stamps)
        if n > settings.max_candles:
            raise InputError(("body", "candles"),
                             f"{n} candles exceed the limit of {settings.max_candles} per call")
        if n < bundle.min_candles:
            raise InputError(
                ("body", "candles"),
                f"{n} candles given, this model needs at least {bundle.min_candles} "
                f"(warm-up {bundle.manifest.warmup_bars} + lookback {bundle.lookback})")
        candles = candles_frame(stamps, values, columnar=columnar)
        references = reference_frames(body.references, loaded.feature_spec.cross,
                                      max_candles=settings.max_candles)
        policy = loaded.policy(settings.policy)  # validated when the bundle was loaded
        try:
            candles, warnings = apply_bundle_gap_policy(bundle, candles, body.timeframe,
                                                        where="/v1/signal")
            signal = latest_signal(bundle, candles, policy, symbol=body.symbol,
                                   timeframe=body.timeframe, model_version=loaded.version,
                                   fingerprint=loaded.fingerprint,
                                   feature_spec=loaded.feature_spec, references=references)
        except ConfigError as err:  # only the timeframe can be wrong here: the policy is known
            raise InputError(("body", "timeframe"), str(err)) from None
        except TradewindError as err:  # malformed bars, too little history after gaps, …
            where = "references" if references and "features.cross" in str(err) else "candles"
            raise InputError(("body", where), str(err)) from None
        signal = signal.model_copy(update={**loaded.verdict.signal_fields, "warnings": warnings})
        probs = signal.probabilities
        metrics.predictions("/v1/signal", [max(probs, key=probs.__getitem__)])
        # already a validated Signal: skip FastAPI's second validation of the response
        return Response(signal.model_dump_json(), media_type="application/json")

    def predict_reply(raw: bytes) -> Response:
        body = read_body(PredictRequest, raw)
        loaded = _route(holder, body.symbol, ("body", "symbol"))
        bundle = loaded.bundle
        request_timeframe(bundle, body.timeframe)
        windows, batched = feature_windows(body.features, bundle, max_batch=settings.max_batch)
        side = side_rows(body.side, bundle, windows.shape[0], batched)
        try:
            probs = predict_windows(bundle, windows, side)
        except TradewindError as err:
            raise InputError(("body", "features"), str(err)) from None
        classes = bundle.classes
        predicted = [classes[i] for i in np.argmax(probs, axis=1)]
        metrics.predictions("/v1/predict", predicted)
        out = PredictOut(
            model_name=bundle.manifest.name, model_version=loaded.version,
            bundle_fingerprint=loaded.fingerprint, classes=classes, batched=batched,
            probabilities=[dict(zip(classes, row.tolist(), strict=True)) for row in probs],
            predicted=predicted, **loaded.verdict.signal_fields)
        return Response(out.model_dump_json(), media_type="application/json")

    @app.post("/v1/signal", response_model=Signal, tags=["signals"],
              openapi_extra=_json_body(SignalRequest),
              summary="Signal of the newest candle, features computed server-side.")
    async def post_signal(request: Request) -> Response:
        return await answer(signal_reply, await _json_bytes(request), settings)

    @app.post("/v1/predict", response_model=PredictOut, tags=["predictions"],
              openapi_extra=_json_body(PredictRequest),
              summary="Calibrated probabilities for raw feature windows.")
    async def post_predict(request: Request) -> Response:
        return await answer(predict_reply, await _json_bytes(request), settings)

    @app.get("/v1/models", response_model=ModelOut, tags=["models"],
             summary="The bundle being served: version, fingerprint, gate, features.")
    def get_models(symbol: str | None = Query(
            None, description="Serving several symbols: whose bundle to describe (default: "
            "the first).")) -> ModelOut:
        if symbol is None or not holder.symbols:
            return _model_out(holder.current(), holder)
        return _model_out(_route(holder, symbol, ("query", "symbol")), holder)

    @app.get("/healthz", response_model=HealthOut, tags=["health"])
    def healthz() -> HealthOut:
        loaded = holder.current()
        return HealthOut(status="ok", model_name=loaded.bundle.manifest.name,
                         model_version=loaded.version, worker_pid=os.getpid(),
                         symbols=holder.symbols)

    @app.get("/metrics", tags=["health"], summary="Prometheus metrics (text format).")
    def get_metrics() -> Response:
        return Response(metrics.render(), media_type=CONTENT_TYPE_LATEST)

    _document_bodies(app, (SignalRequest, PredictRequest))
    return app
