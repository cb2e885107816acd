"""The Khronos glTF validator (npm ``gltf-validator``, installed by make under var/node) over
GLB bytes; the tests and bench/buildings_3d.py use it."""

import json
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

SCRIPT = Path(__file__).resolve().parent / "gltf_validate.cjs"


def node_modules(var_dir: Path) -> Path:
    return var_dir / "node" / "node_modules"


def validator_available(var_dir: Path) -> bool:
    return shutil.which("node") is not None and (node_modules(var_dir) / "gltf-validator").is_dir()


def validate_glbs(contents: dict[str, bytes], *, var_dir: Path) -> dict[str, dict]:
    """Each GLB's report: errors, warnings and the first messages of either."""
    with tempfile.TemporaryDirectory() as tmp:
        files = {}
        for number, (name, data) in enumerate(contents.items()):
            path = Path(tmp) / f"{number}.glb"
            path.write_bytes(data)
            files[str(path)] = name
        env = {**os.environ, "NODE_PATH": str(node_modules(var_dir))}
        done = subprocess.run(["node", str(SCRIPT), *files], capture_output=True, text=True,
                              env=env, check=True, timeout=600)
    return {files[path]: report for path, report in json.loads(done.stdout).items()}
