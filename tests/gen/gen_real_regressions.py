#!/usr/bin/env python3
"""Real benign files that once came out wrong (each must stay clean).

Run with Debian's interpreter: /usr/bin/python3 tests/gen/gen_real_regressions.py
  - whole_legacy.pt: a whole-model torch.save in the legacy format, where the
    nn.Module class is a persistent id ('module', cls, file, source)
  - hgb.joblib: scikit-learn HistGradientBoosting, whose tree nodes are a
    numpy structured dtype with 13 fields inside a joblib array wrapper
  - tfidf.pkl: a TfidfVectorizer, which pickles a scipy.sparse matrix
"""
import os
import pickle
import warnings

import joblib
import numpy as np
import torch
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.feature_extraction.text import TfidfVectorizer

warnings.filterwarnings("ignore")
OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "fixtures", "real")


class SmallNet(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = torch.nn.Linear(3, 2)
        self.bn = torch.nn.BatchNorm1d(2)


def main():
    os.makedirs(OUT, exist_ok=True)
    torch.manual_seed(0)
    np.random.seed(0)
    torch.save(SmallNet(), os.path.join(OUT, "whole_legacy.pt"), _use_new_zipfile_serialization=False)
    x = np.random.rand(30, 3)
    y = (x[:, 0] > 0.5).astype(int)
    joblib.dump(HistGradientBoostingClassifier(max_iter=2, max_depth=2).fit(x, y), os.path.join(OUT, "hgb.joblib"))
    with open(os.path.join(OUT, "tfidf.pkl"), "wb") as f:
        pickle.dump(TfidfVectorizer().fit(["alpha beta gamma", "beta gamma delta"]), f)


if __name__ == "__main__":
    main()
