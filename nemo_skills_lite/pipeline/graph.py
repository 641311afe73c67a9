"""A recipe is one graph: every ``generate``/``run_cmd``/``eval`` call of a process adds planned stages to it,
and the graph is validated as a whole, then submitted in topological order, all or nothing.

Semantics (docs/concepts.md, "One recipe, one graph"):
  * a call plans and validates its stage(s) at once (options, ``++`` overrides, mounts, inputs that can be
    checked already) and raises at the call's line; nothing is submitted by the call itself;
  * ``run_after`` names a stage of this graph (a symbolic edge, earlier or later in the script) or an expname
    of the registry (an earlier process). Names are resolved, cycles found and every input checked when the
    graph is submitted: at an explicit ``submit()``, when something needs jobs (``wait``, a handle's job ids),
    or when the script ends without an uncaught exception;
  * an input counts as present if it exists or an upstream stage of the graph writes it; below a ``run_cmd``
    (whose outputs are unknown) or a still-running stage of the registry the check is left to the job;
  * if a submission fails midway, every stage of the graph already submitted is cancelled and the error
    says so; registry records are written only once the whole graph is in.
"""

from __future__ import annotations

import atexit
import os
import sys
from dataclasses import dataclass, field

from nemo_skills_lite.cluster.backends import backend_for
from nemo_skills_lite.cluster.config import ClusterConfig
from nemo_skills_lite.pipeline.registry import Registry, registry_root
from nemo_skills_lite.pipeline.snapshot import CodeSnapshots
from nemo_skills_lite.pipeline.submission import (StageHandle, clear_outputs, prepare_stage, resolve_run_after,
                                                  submit_prepared)
from nemo_skills_lite.runtime.spec import StageSpec
from nemo_skills_lite.utils.errors import NslError


@dataclass
class Node:
    """One planned stage and how to submit it."""

    spec: StageSpec
    cfg: ClusterConfig
    run_after: tuple[str, ...]
    handle: StageHandle
    rerun_done: bool = False
    dry_run: bool = False
    throttle: int | None = None
    produces: frozenset[str] | None = frozenset()  # host paths it writes; None: unknown (a run_cmd)

    @property
    def expname(self) -> str:
        return self.spec.expname


@dataclass
class Graph:
    nodes: list[Node] = field(default_factory=list)
    dry_run: bool = field(default_factory=lambda: os.environ.get("NSL_DRY_RUN") == "1")
    submitted: bool = False
    code: CodeSnapshots = field(default_factory=CodeSnapshots)

    # ---- building -------------------------------------------------------------------------------
    def add(self, nodes: list[Node]) -> list[StageHandle]:
        """Add the stages of one API call (all or none): checked against the graph so far first."""
        if self.submitted:
            raise NslError("this pipeline was already submitted; start a new one with new_graph()")
        for n in nodes:
            n.dry_run = n.dry_run or self.dry_run
            n.handle.graph = self
            if n.expname in n.run_after:
                raise NslError(f"run_after='{n.expname}' names this stage itself; a stage cannot wait for itself")
        trial = Graph(self.nodes + nodes, self.dry_run, code=self.code)
        for n in nodes:
            trial.check_inputs(n, final=False)
        self.nodes.extend(nodes)
        return [n.handle for n in nodes]

    def by_name(self, name: str) -> list[Node]:
        return [n for n in self.nodes if n.expname == name]

    # ---- validation -----------------------------------------------------------------------------
    def order(self) -> list[Node]:
        """Topological order (script order among independent stages); a cycle is an error naming it."""
        index = {id(n): i for i, n in enumerate(self.nodes)}
        deps = {i: sorted({index[id(m)] for name in n.run_after for m in self.by_name(name)})
                for i, n in enumerate(self.nodes)}
        done: list[int] = []
        state: dict[int, int] = {}  # 1 visiting, 2 done

        def visit(i: int, path: list[int]) -> None:
            if state.get(i) == 2:
                return
            if state.get(i) == 1:
                cycle = path[path.index(i):] + [i]
                raise NslError("run_after forms a cycle: " + " -> ".join(self.nodes[j].expname for j in cycle)
                               + "; nothing was submitted")
            state[i] = 1
            for j in deps[i]:
                visit(j, path + [i])
            state[i] = 2
            done.append(i)

        for i in range(len(self.nodes)):
            visit(i, [])
        return [self.nodes[i] for i in done]

    def upstream(self, n: Node) -> list[Node]:
        seen: list[Node] = []
        todo = [m for name in n.run_after for m in self.by_name(name)]
        while todo:
            m = todo.pop()
            if all(m is not s for s in seen):
                seen.append(m)
                todo += [k for name in m.run_after for k in self.by_name(name)]
        return seen

    def check_inputs(self, n: Node, *, final: bool) -> None:
        """Inputs exist or an upstream stage writes them; skipped below stages whose outputs are unknown.
        Before the graph is final a name not in the graph may still be added later (or be in the registry)."""
        external = [name for name in n.run_after if not self.by_name(name)]
        if external and not final:
            return
        up = self.upstream(n)
        if any(m.produces is None for m in up):
            return
        if external:
            registry = Registry(registry_root(n.cfg), dry_run=n.dry_run)
            if resolve_run_after(external, n.expname, registry, n.cfg):
                return  # waits on a stage still running: its outputs are not there yet
        produced = frozenset().union(*(m.produces or frozenset() for m in up))
        cfg = n.cfg
        missing = sorted({p for u in n.spec.units for p in u.inputs
                          if cfg.host_path(p) not in produced and not os.path.exists(cfg.host_path(p))})
        if missing:
            more = f" (+{len(missing) - 5} more)" if len(missing) > 5 else ""
            raise NslError(f"{n.expname}: input file(s) not found and not written by any stage it runs after: "
                           f"{', '.join(missing[:5])}{more}; nothing was submitted")

    def validate(self) -> list[Node]:
        order = self.order()
        for n in order:
            for name in n.run_after:
                if not self.by_name(name):  # must then be in the registry
                    registry = Registry(registry_root(n.cfg), dry_run=n.dry_run)
                    if not registry.stages(name):
                        known = sorted({m.expname for m in self.nodes} | set(registry.known()))
                        raise NslError(f"{n.expname}: run_after='{name}' names no stage of this recipe and none in "
                                       f"the registry {registry.root} (known: {', '.join(known) or 'none'}); "
                                       f"nothing was submitted")
                elif any(m.dry_run and not n.dry_run for m in self.by_name(name)):
                    raise NslError(f"{n.expname}: runs after '{name}', which is a dry run; nothing was submitted")
            self.check_inputs(n, final=True)
            backend_for(n.cfg, dry_run=n.dry_run).check(n.spec)
        return order

    # ---- submission -----------------------------------------------------------------------------
    def submit(self) -> list[StageHandle]:
        """Validate the whole graph, then submit it in topological order; all or nothing."""
        if self.submitted:
            return [n.handle for n in self.nodes]
        self.submitted = True  # also when validation fails: a broken graph is never half-submitted later
        order = self.validate()
        prepared = [prepare_stage(n.spec, n.cfg, n.handle, rerun_done=n.rerun_done, dry=n.dry_run) for n in order]
        self.code.write(order)
        finals: dict[int, list[str]] = {}
        records: list[tuple[Node, dict]] = []
        try:
            for n, p in zip(order, prepared):
                after: list[str] = []
                for name in n.run_after:
                    inside = self.by_name(name)
                    if inside:
                        after += [j for m in inside for j in finals.get(id(m), [])]
                    else:
                        registry = Registry(registry_root(n.cfg), dry_run=n.dry_run)
                        after += resolve_run_after(name, n.expname, registry, n.cfg)
                if n.rerun_done and not n.dry_run:
                    clear_outputs(p)
                rec = submit_prepared(p, list(dict.fromkeys(after)), throttle=n.throttle, dry=n.dry_run)
                finals[id(n)] = rec["final_jobs"] if rec else p.running_finals
                if rec:
                    records.append((n, rec))
        except Exception as e:
            cancelled = self._rollback(records)
            msg = f"{e}" if isinstance(e, NslError) else f"{type(e).__name__}: {e}"
            raise NslError(f"submitting the pipeline failed at stage '{n.expname}': {msg}; "
                           + (f"cancelled the {len(cancelled)} stage(s) it had already submitted: {', '.join(cancelled)}"
                              if cancelled else "nothing had been submitted")) from None
        for n, rec in records:
            Registry(registry_root(n.cfg), dry_run=n.dry_run).record(rec)
        return [n.handle for n in self.nodes]

    @staticmethod
    def _rollback(records: list[tuple[Node, dict]]) -> list[str]:
        names = []
        for n, rec in records:
            backend_for(n.cfg, dry_run=rec["dry_run"]).cancel([j for level in rec["levels"] for j in level])
            names.append(n.expname)
        return names


_CURRENT: Graph | None = None
_FAILED = False


def current() -> Graph:
    """The process's graph: every API call adds to it (a new one after each submission)."""
    global _CURRENT
    if _CURRENT is None or _CURRENT.submitted:
        _CURRENT = Graph()
        _install_hooks()
    return _CURRENT


def new_graph(*, dry_run: bool | None = None) -> Graph:
    """Drop the unsubmitted stages of this process and start an empty graph."""
    global _CURRENT
    _CURRENT = Graph()
    if dry_run is not None:
        _CURRENT.dry_run = dry_run
    _install_hooks()
    return _CURRENT


def set_dry_run(flag: bool = True) -> None:
    current().dry_run = flag


def submit() -> list[StageHandle]:
    """Submit every stage added so far in this process (``pipeline.submit()``); returns their handles."""
    if _CURRENT is None or _CURRENT.submitted:
        return []
    return _CURRENT.submit()


_HOOKED = False


def mark_failed() -> None:
    """An uncaught exception: the script did not finish building its graph, so none of it is submitted."""
    global _FAILED
    _FAILED = True


def _install_hooks() -> None:
    global _HOOKED
    if _HOOKED:
        return
    _HOOKED = True
    previous = sys.excepthook

    def hook(kind, err, tb):
        mark_failed()
        if isinstance(err, NslError) and previous is sys.__excepthook__:
            print(f"error: {err}", file=sys.stderr)  # a user error: one line, no traceback
        else:
            previous(kind, err, tb)

    sys.excepthook = hook
    real_exit = sys.exit

    def exit_recording(status: object = None) -> None:
        if status not in (None, 0):  # sys.exit(1) / sys.exit("message"): the script failed
            mark_failed()
        real_exit(status)

    sys.exit = exit_recording  # `raise SystemExit(1)` itself can't be seen: use sys.exit
    atexit.register(_submit_at_exit)


def _submit_at_exit() -> None:
    graph = _CURRENT
    if graph is None or graph.submitted or not graph.nodes:
        return
    if _FAILED or getattr(sys, "last_value", None) is not None:
        print(f"[nsl] the script stopped with an error (an uncaught exception or sys.exit with a failure "
              f"status) before its {len(graph.nodes)} planned stage(s) were submitted: nothing was submitted",
              file=sys.stderr, flush=True)
        return
    try:
        graph.submit()
    except NslError as e:
        print(f"error: {e}", file=sys.stderr, flush=True)
        sys.stdout.flush()
        os._exit(2)
