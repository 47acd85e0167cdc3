"""docs/api_coverage.md is what docs/api_coverage.py generates from docs/mindspore_all.json and today's minispore."""

import importlib.util
import os

DOCS = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "docs")


def _script():
    spec = importlib.util.spec_from_file_location("api_coverage", os.path.join(DOCS, "api_coverage.py"))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_coverage_table_is_up_to_date():
    with open(os.path.join(DOCS, "api_coverage.md")) as f:
        committed = f.read()
    assert _script().render() == committed, "rerun `python docs/api_coverage.py` and commit docs/api_coverage.md"


def test_names_a_training_script_uses_are_present():
    text = _script().render()
    for name in ("Model", "save_checkpoint", "value_and_grad", "LossMonitor", "Accuracy"):
        assert f"| `{name}` | same |" in text
