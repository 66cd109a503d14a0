"""Training library code behind `accelerate launch train/sft.py`."""
