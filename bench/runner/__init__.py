"""The parts of bench/run (see its docstring)."""
