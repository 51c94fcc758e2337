"""The main job, stage by stage: prepare → folds → final refit → reporting.

``run_experiment`` in :mod:`tradewind.pipeline.experiment` reads top to bottom.
"""
