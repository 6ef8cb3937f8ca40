"""The house's layers: no import cycles, and only the command line (``ttc_modules/cli/``) reaches up into ``planners``.

Imports are read from the source (module level and inside functions alike: a cycle hidden in a
function is still a cycle). ``from package import name`` points at ``package.name`` when that is
a module, else at the package's ``__init__.py``.
"""

from __future__ import annotations

import ast
from pathlib import Path

import networkx as nx

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("ttc_modules", "planners")


def _module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _modules() -> dict[str, Path]:
    return {_module_name(path): path for package in PACKAGES for path in (ROOT / package).rglob("*.py")}


def _imported(node: ast.AST, modules: dict[str, Path]) -> list[str]:
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    if isinstance(node, ast.ImportFrom) and node.module and not node.level:
        named = [f"{node.module}.{alias.name}" for alias in node.names]
        return [name if name in modules else node.module for name in named]
    return []


def import_graph() -> nx.DiGraph:
    """Project module -> project modules it imports."""
    modules = _modules()
    graph = nx.DiGraph()
    graph.add_nodes_from(modules)
    for name, path in modules.items():
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            for target in _imported(node, modules):
                if target in modules and target != name:
                    graph.add_edge(name, target)
    return graph


def test_the_graph_sees_the_project():
    graph = import_graph()
    assert "ttc_modules.strategies.run" in graph and "planners.adaptive" in graph
    assert graph.has_edge("planners.adaptive", "ttc_modules.strategies.run")


def test_there_is_no_import_cycle():
    cycles = list(nx.simple_cycles(import_graph()))
    assert not cycles, f"import cycles: {[' -> '.join([*c, c[0]]) for c in cycles[:5]]}"


def _command_line(name: str) -> bool:
    """Whether module ``name`` is the ``ttc`` command (the ``ttc_modules.cli`` package)."""
    return name == "ttc_modules.cli" or name.startswith("ttc_modules.cli.")


def test_only_the_command_line_imports_planners():
    graph = import_graph()
    reaching_up = sorted(f"{a} -> {b}" for a, b in graph.edges
                         if a.startswith("ttc_modules") and b.startswith("planners") and not _command_line(a))
    assert not reaching_up, f"ttc_modules must not import planners (only cli/ may): {reaching_up}"


def _function_level_imports(path: Path, modules: dict[str, Path]) -> list[str]:
    found = []
    for function in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(function, (ast.FunctionDef, ast.AsyncFunctionDef)):
            for node in ast.walk(function):
                found += [f"{target} (line {node.lineno})" for target in _imported(node, modules) if target in modules]
    return found


def test_the_project_imports_its_own_modules_at_the_top():
    modules = _modules()
    late = {name: found for name, path in modules.items() if not _command_line(name)
            if (found := _function_level_imports(path, modules))}
    assert not late, f"import these at the top of the module instead: {late}"


# Work spread over threads outside call_context.fan_out loses the call's meter, seeds and usage; call state kept in
# a context variable of its own is a hidden channel beside the one call context. Where either is allowed, the reason is written here.
CALL_CONTEXT = "ttc_modules.call_context"
OWN_THREADS = {
    "ttc_modules.lm.embedded.engine": "the engine's own request threads, below every call (no call state there)",
    "ttc_modules.evaluation.workers": "the harness's questions, each one a call of its own with its own context",
    "ttc_modules.testing.loopback": "a loopback test server's serving thread",
}
OWN_CONTEXT_VARIABLES = {
    "ttc_modules.config": "the YAML file pydantic-settings' classmethod hook reads while load_settings runs",
}
THREAD_STARTERS = {"ThreadPoolExecutor", "ProcessPoolExecutor", "Thread", "to_thread", "run_in_executor"}


def _called_names(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Call):
            function = node.func
            names.add(function.attr if isinstance(function, ast.Attribute) else getattr(function, "id", ""))
    return names


def test_work_fans_out_only_through_the_call_context():
    bare = {name: sorted(_called_names(path) & THREAD_STARTERS) for name, path in _modules().items()
            if name not in (CALL_CONTEXT, *OWN_THREADS)}
    bare = {name: found for name, found in bare.items() if found}
    assert not bare, f"fan out with call_context.fan_out (or in_worker_thread), not bare threads: {bare}"


def test_call_state_lives_in_the_one_call_context():
    own = sorted(name for name, path in _modules().items()
                 if name not in (CALL_CONTEXT, *OWN_CONTEXT_VARIABLES) and "ContextVar" in _called_names(path))
    assert not own, f"keep call state in call_context.CallContext, not a context variable of its own: {own}"
