"""Typed config of ``generate(generation_type="verify_code")``: sandbox verification as a chunked,
resumable stage (stdlib only, so the login node validates ``++`` overrides before submitting)."""

from __future__ import annotations

from dataclasses import dataclass, field

from nemo_skills_lite.utils.errors import NslError


@dataclass
class SeedOnly:
    random_seed: int | None = None  # set by the planner per seed; verification does not sample


@dataclass
class VerifyCodeConfig:
    input_file: str = ""
    output_file: str = ""
    num_chunks: int | None = None
    chunk_id: int | None = None
    max_samples: int = -1  # only the first N rows (-1: all)
    inference: SeedOnly = field(default_factory=SeedOnly)
    # where the code runs: a sandbox service (with_sandbox=True sets $NSL_SANDBOX_URL; needed inside containers
    # without bubblewrap) or local isolated workers
    sandbox_url: str = ""  # empty: $NSL_SANDBOX_URL if set, else local workers
    workers: int = 0  # local workers; 0 = one per core
    time_limit: float | None = None  # seconds per test; None: the row's time_limit or the sandbox default
    memory_limit_mb: int | None = None
    stop_at_first_failure: bool = True
    flaky_reruns: int = 1
    label_key: str = "is_correct"  # bool added to every verified row
    untested: str = "keep"  # rows without tests: keep (unlabeled) or fail (label false, verdict "no_tests")
    keep_test_results: bool = False  # also keep per-test details (big); default: verdict, tests_passed/total
    batch_size: int = 256  # rows per batch; a time-limit signal stops between batches

    def validate(self) -> None:
        where = "verify_code"
        if not self.input_file or not self.output_file:
            raise NslError(f"{where}: ++input_file and ++output_file are required")
        if (self.num_chunks is None) != (self.chunk_id is None):
            raise NslError(f"{where}: give both ++num_chunks and ++chunk_id, or neither")
        if self.batch_size < 1 or self.workers < 0 or self.flaky_reruns < 0:
            raise NslError(f"{where}: batch_size must be >= 1, workers >= 0 and flaky_reruns >= 0")
        if self.untested not in ("keep", "fail"):
            raise NslError(f"{where}: untested={self.untested!r}; valid: keep, fail")
        if self.sandbox_url and (self.time_limit or self.memory_limit_mb):
            raise NslError(f"{where}: time_limit/memory_limit_mb are not sent to a sandbox service; put "
                           "'time_limit'/'memory_limit_mb' in the rows instead")
