"""The module map: each private module imports only from layers below it (docs/architecture.md
draws the same map). A new module must be placed here."""

import ast
from pathlib import Path

PACKAGE = Path(__file__).parents[1] / "skmi"

# Lowest first. A module may import from lower layers only (not from its own layer).
LAYERS = [
    {
        "_validation",
        "_runtime",
        "_threads",
        "_budget",
        "_warnings",
        "_loss",
        "_mlp",
        "_data",
        "_tasks",
        "_conditional_tasks",
    },
    {"_pmi", "_params", "_graphs", "_finite", "_encoding", "_leaks"},
    {"_metrics", "_fastnet", "_persistence", "_batched", "_table"},
    {"_training"},
    {"_classifier"},
    {"_scorer", "_candidates", "_together"},
    {"_crossfit", "_result"},
    {"_estimate", "_masked"},
    {"_features", "_independence"},
    {"metrics", "datasets", "plotting", "exceptions"},
    {"__init__"},
    {"_demo"},
    {"_cli"},
]


def _imports(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):  # function-level imports too
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("skmi"):
            found.add(node.module)
            if node.module == "skmi":
                found.update(f"skmi.{alias.name}" for alias in node.names)
        elif isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name.startswith("skmi"))
    names = {name.split(".")[1] if "." in name else "__init__" for name in found}
    return names - {path.stem}


def test_every_module_has_a_layer():
    placed = set().union(*LAYERS)
    assert {p.stem for p in PACKAGE.glob("*.py")} == placed


def test_modules_import_only_from_lower_layers():
    layer_of = {name: i for i, layer in enumerate(LAYERS) for name in layer}
    upward = {}
    for path in PACKAGE.glob("*.py"):
        for imported in _imports(path):
            public = imported in {"MIClassifier", "MIScorer", "estimate_mi", "default_estimators"}
            target = "__init__" if public else imported
            if target in layer_of and layer_of[target] >= layer_of[path.stem]:
                upward.setdefault(path.stem, []).append(imported)
    assert not upward, f"imports from the same or a higher layer: {upward}"
