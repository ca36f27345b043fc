"""Import boundaries: the core never loads a framework; the adapter exports exactly its public names."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import langroute.llama_index

ROOT = Path(__file__).resolve().parents[2]


def test_import_langroute_loads_no_framework():
    code = (
        "import sys, langroute\n"
        "loaded = sorted({m.split('.')[0] for m in sys.modules} & {'llama_index', 'langchain_core', 'langgraph'})\n"
        "print(loaded)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_adapter_does_not_import_langchain():
    code = "import sys, langroute.llama_index\nprint(any(m.startswith('langchain') for m in sys.modules))\n"
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_public_names():
    assert langroute.llama_index.__all__ == [
        "FeedbackHandler",
        "RoutedStructuredLLM",
        "RouterLLM",
        "RoutingDecisionEvent",
        "RoutingFeedbackEvent",
        "RoutingResultEvent",
        "RoutingStats",
    ]
    assert sorted(langroute.llama_index.__all__) == langroute.llama_index.__all__


def test_missing_llama_index_says_how_to_install_it():
    code = (
        "import sys\n"
        "sys.modules['llama_index'] = None\n"
        "sys.modules['llama_index.core'] = None\n"
        "try:\n"
        "    import langroute.llama_index\n"
        "except ImportError as exc:\n"
        "    print(exc)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == 'langroute.llama_index needs llama-index-core: pip install "langroute[llama-index]"'
