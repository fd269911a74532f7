"""Helpers of tests/gen/gen_backdoor_eval.py: base models (bases), backdoor
grafts (patterns), honest hard negatives (benign), graph surgery (common)."""
