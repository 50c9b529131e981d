"""plankit benchmarks: province/national scale (issue 8). Run `python -m benchmarks --help`.

Never imported by the toolkit and never timed by the test suite; see
docs/ENGINEERING.md (benchmarks) for what is measured and the latest figures.
"""
