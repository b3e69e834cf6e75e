"""Operations, one module per family; each owns its plan, its checks and its job runner.

A module that runs jobs declares them as ``JOB_KINDS`` (params, runner, whether a crash
mid-run is resumed); ``registry.job_kinds()`` collects them. docs/architecture.md says how
to add an operation.
"""
