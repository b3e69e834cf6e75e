"""Operations, one module per family; each owns its plan, its checks and its job runner.

``registry.JOB_KINDS`` pairs every job kind with its params, runner and whether a crash
mid-run is resumed. docs/architecture.md says how to add an operation.
"""
