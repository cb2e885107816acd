"""schemathesis over the whole OpenAPI of an app: bounded examples per operation, positive and
negative, once per caller (anonymous, admin). Counts requests, 5xx answers and the schema
violations schemathesis finds (answers that break the schema, valid requests rejected, invalid
ones accepted). Used by tests/api/test_fuzz.py (small budget) and bench/resilience.py."""

import contextlib
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import hypothesis
import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, Phase, given
from schemathesis import GenerationMode
from schemathesis.core.failures import Failure, FailureGroup
from schemathesis.specs.openapi import checks as openapi_checks

CHECKS = [
    openapi_checks.status_code_conformance,
    openapi_checks.content_type_conformance,
    openapi_checks.response_schema_conformance,
    openapi_checks.positive_data_acceptance,
    openapi_checks.negative_data_rejection,
]
BAD_TEXT = ("a NUL character", "not valid UTF-8", "a lone surrogate")
# paths the fuzzer leaves alone: pages and static files are not an API
SKIPPED = ("/static", "/map", "/3d")


@dataclass
class FuzzReport:
    requests: int = 0
    server_errors: list[str] = field(default_factory=list)  # "METHOD path -> status: detail"
    violations: Counter[str] = field(default_factory=Counter)  # "check: METHOD path" → count
    examples: dict[str, str] = field(default_factory=dict)  # one request and answer per kind

    def as_dict(self) -> dict[str, Any]:
        return {"requests": self.requests, "5xx": len(self.server_errors),
                "server_errors": sorted(set(self.server_errors))[:50],
                "schema_violations": sum(n for k, n in self.violations.items()
                                         if not k.startswith("refused on purpose")),
                "refused_bad_text": sum(n for k, n in self.violations.items()
                                        if k.startswith("refused on purpose")),
                "violations": dict(self.violations.most_common(50)),
                "examples": dict(list(self.examples.items())[:30])}


def _record(report: FuzzReport, case: Any, response: Any) -> None:
    label = f"{case.method} {case.path}"
    report.requests += 1
    if response.status_code >= 500:
        report.server_errors.append(f"{label} -> {response.status_code}: {response.text[:200]}")
        return
    try:
        case.validate_response(response, checks=CHECKS)
    except FailureGroup as group:
        for failure in group.exceptions:
            _violation(report, f"{_name(failure)}: {label}", case, response)
    except Failure as failure:
        _violation(report, f"{_name(failure)}: {label}", case, response)


def _violation(report: FuzzReport, key: str, case: Any, response: Any) -> None:
    if response.status_code == 400 and any(w in response.text for w in BAD_TEXT):
        key = f"refused on purpose (NUL or invalid Unicode): {key}"  # JSON Schema allows them
    report.violations[key] += 1
    sent = {"path": case.path_parameters, "query": case.query, "headers": case.headers,
            "body": case.body}
    report.examples.setdefault(key, f"{sent!r:.300} -> {response.status_code} "
                                    f"{response.text[:200]}")


def _name(failure: Failure) -> str:
    return getattr(failure, "title", type(failure).__name__)


def fuzz(app: FastAPI, *, callers: dict[str, dict[str, str]], max_examples: int,
         report: FuzzReport | None = None, only: tuple[str, ...] = ()) -> FuzzReport:
    """Fuzz every operation of ``app`` (its lifespan must be able to start) for each caller's
    headers, ``max_examples`` per operation, mode and caller (``only``: these paths)."""
    report = report or FuzzReport()
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    for result in schema.get_all_operations():
        operation = result.ok()
        if operation.path.startswith(SKIPPED) or (only and operation.path not in only):
            continue
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            for headers in callers.values():
                _fuzz_operation(report, operation, mode, headers, max_examples)
    return report


def _fuzz_operation(report: FuzzReport, operation: Any, mode: GenerationMode,
                    headers: dict[str, str], max_examples: int) -> None:
    @hypothesis.settings(max_examples=max_examples, deadline=None, database=None,
                         phases=[Phase.explicit, Phase.generate],
                         suppress_health_check=list(HealthCheck), derandomize=True)
    @given(case=operation.as_strategy(generation_mode=mode))
    def run(case: Any) -> None:
        _record(report, case, case.call(headers=headers))

    with contextlib.suppress(hypothesis.errors.Unsatisfiable):
        run()
