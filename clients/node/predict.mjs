#!/usr/bin/env node
// Run a tradewind export (model.onnx) on raw feature windows and print calibrated
// probabilities as JSON.
//
//   node predict.mjs MODEL.onnx WINDOW.json
//
// WINDOW.json holds raw (un-normalised) feature rows in the order of manifest.json's
// "feature_names", oldest bar first:
//   {"features": [[f0, f1, ...], ...]}            one window  [lookback][n_features]
//   {"features": [[[f0, ...], ...], ...]}         a batch     [batch][lookback][n_features]
//   "side": [s0, ...] or [[s0, ...], ...]         only for bundles with side features
// The graph normalises, runs the model and calibrates; nothing else is needed here.
// Output: {"classes": [...], "probabilities": [[...]], "logits": [[...]]} on stdout;
// "classes" comes from manifest.json next to the model when it is there.

import { readFileSync, existsSync } from "node:fs";
import { dirname, join } from "node:path";
import ort from "onnxruntime-node";

function fail(message) {
  process.stderr.write(`predict.mjs: ${message}\n`);
  process.exit(2);
}

function depth(value) {
  let d = 0;
  while (Array.isArray(value)) {
    d += 1;
    value = value[0];
  }
  return d;
}

function toTensor(name, nested, rank) {
  const batch = depth(nested) === rank ? nested : [nested];
  const dims = [];
  let probe = batch;
  while (Array.isArray(probe)) {
    dims.push(probe.length);
    probe = probe[0];
  }
  if (dims.length !== rank) fail(`"${name}" must have ${rank - 1} or ${rank} nested levels`);
  const values = batch.flat(rank);
  const expected = dims.reduce((a, b) => a * b, 1);
  if (values.length !== expected) fail(`"${name}" is ragged: rows of different lengths`);
  // Float32Array.from would turn null into 0 and a string into NaN without a word.
  const bad = values.findIndex((v) => typeof v !== "number" || !Number.isFinite(v));
  if (bad >= 0) {
    const at = [];
    for (let i = dims.length - 1, rest = bad; i >= 0; i -= 1) {
      at.unshift(rest % dims[i]);
      rest = Math.floor(rest / dims[i]);
    }
    fail(`"${name}"${at.map((i) => `[${i}]`).join("")} is ${JSON.stringify(values[bad])}: ` +
      "every value must be a finite number (the graph cannot refuse a missing feature)");
  }
  return new ort.Tensor("float32", Float32Array.from(values), dims);
}

function rows(tensor) {
  const [n, c] = tensor.dims;
  const out = [];
  for (let i = 0; i < n; i += 1) out.push(Array.from(tensor.data.slice(i * c, (i + 1) * c)));
  return out;
}

async function main() {
  const [modelPath, windowPath] = process.argv.slice(2);
  if (!modelPath || !windowPath) fail("usage: node predict.mjs MODEL.onnx WINDOW.json");
  const window = JSON.parse(readFileSync(windowPath, "utf8"));
  if (!window.features) fail(`${windowPath} has no "features" key`);
  const session = await ort.InferenceSession.create(modelPath);
  const feeds = { features: toTensor("features", window.features, 3) };
  if (session.inputNames.includes("side")) {
    if (!window.side) fail(`the model needs a "side" input; add it to ${windowPath}`);
    feeds.side = toTensor("side", window.side, 2);
  }
  const results = await session.run(feeds);
  let classes = null;
  const manifestPath = join(dirname(modelPath), "manifest.json");
  if (existsSync(manifestPath)) classes = JSON.parse(readFileSync(manifestPath, "utf8")).classes;
  const out = {
    classes,
    probabilities: rows(results.probabilities),
    logits: rows(results.logits),
  };
  process.stdout.write(`${JSON.stringify(out)}\n`);
}

main().catch((err) => fail(err.stack || String(err)));
