"""Per-user typing histories and query-suggestion impression logs: their formats, user splits
and the keyboard-data simulator.

Pure Python + numpy (no TensorFlow), so reading, validating and generating data is fast to test
and shared by the trainer, the reports and the keyboard app.
"""
