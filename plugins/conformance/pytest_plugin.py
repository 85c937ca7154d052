"""The conformance kit as a pytest plugin: one test item per op and per check.

Installed with plugnet (the ``pytest11`` entry point) and inert until asked::

    pytest --plugnet-conformance=yours
    pytest --plugnet-conformance=yours --plugnet-conformance-ops=add,nn -k "not training"

adds the items ``plugnet-conformance[yours]::ops/<category>/<op>``,
``...::semantics/<check>`` and ``...::training/<check>`` to whatever else is
collected, so a failing op shows in pytest's own report with its message.
Without the option it adds nothing and imports nothing beyond plugnet itself.

With plugin autoloading off (``PYTEST_DISABLE_PLUGIN_AUTOLOAD``), load it with
``-p plugnet.plugins.conformance.pytest_plugin``; a backend's own test suite
can also set ``addopts = "--plugnet-conformance=yours"`` in its pytest
configuration.
"""

from __future__ import annotations

import pytest

OPTION = "plugnet_conformance"
OPS_OPTION = "plugnet_conformance_ops"
SKIP_OPTION = "plugnet_conformance_skip"


def pytest_addoption(parser):
    group = parser.getgroup("plugnet", "plugnet backend conformance")
    group.addoption(
        "--plugnet-conformance", action="append", dest=OPTION, default=[], metavar="BACKEND",
        help="run plugnet's backend conformance kit against BACKEND, one test item per op and check "
        "(may be given more than once)",
    )
    group.addoption(
        "--plugnet-conformance-ops", dest=OPS_OPTION, default=None, metavar="A,B",
        help="with --plugnet-conformance: check only these ops or op categories",
    )
    group.addoption(
        "--plugnet-conformance-skip", dest=SKIP_OPTION, default="", metavar="PARTS",
        help="with --plugnet-conformance: leave out parts (ops, semantics, training)",
    )


@pytest.hookimpl(tryfirst=True)  # before -k/-m deselection, so they apply to these items too
def pytest_collection_modifyitems(session, config, items):
    for backend in config.getoption(OPTION) or ():
        collector = ConformanceCollector.from_parent(
            session, name=f"plugnet-conformance[{backend}]", nodeid=f"plugnet-conformance[{backend}]",
            backend=backend, ops=config.getoption(OPS_OPTION), skip=config.getoption(SKIP_OPTION),
        )
        # Collected through the hooks, so the items are counted and a bad backend name is a collection error.
        session.ihook.pytest_collectstart(collector=collector)
        report = session.ihook.pytest_make_collect_report(collector=collector)
        session.ihook.pytest_collectreport(report=report)
        if report.passed:
            items.extend(report.result)


class ConformanceCollector(pytest.Collector):
    """The kit's checks for one backend."""

    def __init__(self, *, backend: str, ops=None, skip="", **kwargs):
        super().__init__(**kwargs)
        self.backend = backend
        self.ops = ops
        self.skip = skip

    def collect(self):
        import plugnet

        from .runner import plan

        checks = plan(self.ops, self.skip)  # an unknown op or part name raises here: a collection error
        plugnet.backend.load(self.backend)  # so does a backend that cannot be loaded
        for check in checks:
            yield ConformanceItem.from_parent(self, name=check.id, check=check)

    def repr_failure(self, excinfo):
        return f"plugnet conformance: {excinfo.value}"


class ConformanceFailure(Exception):
    """A check that did not pass; carries its :class:`~plugnet.plugins.conformance.report.CheckResult`."""

    def __init__(self, result):
        super().__init__(result.message)
        self.result = result


class ConformanceItem(pytest.Item):
    """One check (an op, a semantics check or the training smoke test) on the collector's backend."""

    def __init__(self, *, check, **kwargs):
        super().__init__(**kwargs)
        self.check = check

    def runtest(self):
        import plugnet

        with plugnet.backend.use(self.parent.backend) as backend:
            result = self.check.run(backend)
        if not result.passed:
            raise ConformanceFailure(result)

    def repr_failure(self, excinfo):
        if isinstance(excinfo.value, ConformanceFailure):
            result = excinfo.value.result
            return f"{self.check.title}: {result.status} on backend {self.parent.backend!r}\n{result.message}"
        return super().repr_failure(excinfo)

    def reportinfo(self):
        return self.path, None, f"plugnet conformance [{self.parent.backend}] {self.check.id}"
