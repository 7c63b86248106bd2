#!/usr/bin/env python3
"""Peers for qbank's IRT benchmark: fit the same wide 0/1 matrix with the Python packages `mirt`
(Rust backend; once without and once with standard errors, "mirt" and "mirt+se") and `girth`,
and print one JSON line per peer: seconds and the a, b estimates.

Usage: peers.py MATRIX.csv 2PL|3PL    (install the peers with: pip install mirt girth)
A peer that is not installed is reported as skipped, not as an error.
"""
import json
import sys
import time

import numpy as np

path, model = sys.argv[1], sys.argv[2].upper()
X = np.loadtxt(path, delimiter=",", skiprows=1, dtype=np.int64)

try:
    import mirt

    for name, with_se in [("mirt", False), ("mirt+se", True)]:
        t = time.perf_counter()
        r = mirt.fit_mirt(X, model=model, n_quadpts=61, compute_standard_errors=with_se)
        s = time.perf_counter() - t
        a = np.asarray(r.model.discrimination, dtype=float).ravel()
        b = np.asarray(r.model.difficulty, dtype=float).ravel()
        print(json.dumps({"peer": name, "seconds": s, "a": a.tolist(), "b": b.tolist()}),
              flush=True)
except ImportError:
    print(json.dumps({"peer": "mirt", "skipped": "pip install mirt"}))
except Exception as e:  # a peer that fails on this model is reported, not fatal
    print(json.dumps({"peer": "mirt", "skipped": f"failed: {e}"}))

try:
    import girth

    fit = girth.twopl_mml if model == "2PL" else girth.threepl_mml
    t = time.perf_counter()
    g = fit(X.T.astype(int), options={"quadrature_n": 61})
    s = time.perf_counter() - t
    print(json.dumps({"peer": "girth", "seconds": s, "a": np.ravel(g["Discrimination"]).tolist(),
                      "b": np.ravel(g["Difficulty"]).tolist()}))
except ImportError:
    print(json.dumps({"peer": "girth", "skipped": "pip install girth"}))
except Exception as e:
    print(json.dumps({"peer": "girth", "skipped": f"failed: {e}"}))
