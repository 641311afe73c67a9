"""Root pytest configuration: shared fixtures live in tests/fixtures/, one module per real part.

``NSL_REQUIRE_ALL=1`` (set by scripts/test.sh, so in CI) turns "real part not available" from a
skip into a failure: CI must never pass by skipping the real thing.
"""

pytest_plugins = [
    "tests.fixtures.common",
    "tests.fixtures.slurm",
    "tests.fixtures.vllm",
    "tests.fixtures.sandbox",
    "tests.fixtures.embedding",
    "tests.fixtures.ssh",
    "tests.fixtures.containers",
]


import pytest  # noqa: E402


@pytest.fixture(autouse=True)
def _fresh_pipeline_graph():
    """Each test builds its own pipeline graph; what a test leaves unsubmitted is dropped, never submitted later."""
    from nemo_skills_lite.pipeline.graph import new_graph

    new_graph()
    yield
    new_graph()
