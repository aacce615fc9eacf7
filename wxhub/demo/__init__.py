"""Demo data of the embedded default (``wxhub dev``, ``wxhub seed``): public TEST values only."""
