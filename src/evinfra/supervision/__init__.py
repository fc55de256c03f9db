"""Read models for supervisors: what the bureau and city task forces look at."""
