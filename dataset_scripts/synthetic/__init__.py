"""Synthetic audio-visual clips with exact ground-truth event timelines: the project's test kit."""
