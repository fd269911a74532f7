#!/usr/bin/python3
"""Real benign scikit-learn and numpy pickles for the pickle allowlist tests.

Run from the repository root with Debian's python (python3-sklearn, numpy):
    /usr/bin/python3 tests/gen/gen_sklearn.py

Writes tests/fixtures/pickle/sklearn_*.pkl and numpy_*.pkl (a few KB each)
and their golden expectations tests/golden/pickle_sklearn_*.expect.json: a
correct scan reports nothing at LOW or above.  These files are produced by
pickle.dumps of freshly fitted models; nothing is ever loaded.
"""
import json
import os
import pickle

import numpy as np
from sklearn.datasets import load_iris
from sklearn.ensemble import RandomForestClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.tree import DecisionTreeClassifier

FIX = "tests/fixtures/pickle"
GOLD = "tests/golden"


def write(name, data):
    path = os.path.join(FIX, name + ".pkl")
    with open(path, "wb") as f:
        f.write(data)
    g = {"input": path, "status": "scanned", "format": "pickle", "findings": [], "exact": True,
         "max_severity": "INFO"}
    with open(os.path.join(GOLD, "pickle_" + name + ".expect.json"), "w") as f:
        json.dump(g, f, indent=2)
        f.write("\n")
    print(path, len(data))


def main():
    os.makedirs(FIX, exist_ok=True)
    X, y = load_iris(return_X_y=True)
    X, y = X[::5], y[::5]  # small arrays keep the files small
    write("sklearn_logreg_p4", pickle.dumps(LogisticRegression(max_iter=300).fit(X, y), protocol=4))
    write("sklearn_tree_p2", pickle.dumps(DecisionTreeClassifier(max_depth=2, random_state=0).fit(X, y),
                                          protocol=2))
    write("sklearn_forest_p5", pickle.dumps(
        RandomForestClassifier(n_estimators=2, max_depth=2, random_state=0).fit(X, y), protocol=5))
    objs = [np.arange(4, dtype=np.int32), np.array([1, "a", None], dtype=object), np.float64(1.5),
            np.dtype("float16"), np.random.RandomState(0)]
    write("numpy_objects_p2", pickle.dumps(objs, protocol=2))
    write("numpy_objects_p0", pickle.dumps(objs[:4], protocol=0))


if __name__ == "__main__":
    main()
