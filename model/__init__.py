"""The model a device runs: tokenizer, vocabulary, next-word network, metrics, export, suggester."""
