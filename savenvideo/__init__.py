"""savenvideo: the SAVEnVideo audio-visual video LLM, its processor, training and data pipeline.

The design's top-level folders are installed under this namespace (see pyproject.toml):
``savenvideo.modeling`` is ``modeling_savenvideo/``, ``savenvideo.processing`` is ``processing/``,
``savenvideo.dataset_scripts``, ``savenvideo.train`` and ``savenvideo.evaluate_metrics`` likewise.
"""

__version__ = "0.1.0"
