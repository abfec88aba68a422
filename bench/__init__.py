"""Speed baselines; nothing here is part of the product."""
