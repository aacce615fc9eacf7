"""Plain servers the benchmarks compare wxhub with, written the way the stack's docs suggest."""
