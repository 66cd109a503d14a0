"""The AVBench accuracy metric folder: ``evaluate.load`` reads it as a metric, Python imports it as a package.

Import the extraction rules and the scoring from here (``answer_extraction``, ``scoring``) to score exactly as
the metric does.
"""
