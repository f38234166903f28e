"""Everything TFF: client datasets, the learning process, the training driver, reports."""
