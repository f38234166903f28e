"""The keyboard-data simulator: users, interests, grammar and the messages they type.

Pure Python + numpy. Only `data.generate` (the CLI) and tests use it; nothing that trains or
serves does, so a user's own histories go through exactly the same path as simulated ones.
"""
