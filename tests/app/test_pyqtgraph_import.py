"""The app imports pyqtgraph without NVIDIA's CUDA bindings (0.2 s of CPU before the first window)."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]


def test_importing_the_app_leaves_the_cuda_bindings_for_torch_to_import_later():
    code = ("import sys; import app; "
            "assert 'pyqtgraph' in sys.modules; "
            "assert not any(name.startswith('cuda.bindings') for name in sys.modules), 'cuda.bindings imported'; "
            "assert 'cuda.bindings' not in sys.modules  # nothing blocked is left behind\n"
            "import importlib.util\n"
            "if importlib.util.find_spec('cuda.bindings') is not None:\n"
            "    import cuda.bindings.runtime  # what torch may import later still imports")
    result = subprocess.run([sys.executable, "-c", code], cwd=REPO_ROOT, capture_output=True, text=True, timeout=120,
                            env={"QT_QPA_PLATFORM": "offscreen", "PATH": "/usr/bin:/bin"})
    assert result.returncode == 0, result.stderr[-2000:]
