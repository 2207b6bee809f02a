"""infantfer: balance scarce, imbalanced infant facial-expression datasets and evaluate honestly."""

__version__ = "0.1.0"
