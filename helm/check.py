#!/usr/bin/env python3
"""Lint and render the Helm chart with Helm's own SDK, and validate every
rendered manifest against the Kubernetes schemas.

Uses the PyPI packages helm-python-sdk (Helm's Go SDK through its C ABI; no
helm binary) and kubernetes-validate. `.ci/run` installs both and runs this.
Exits non-zero, naming the problem, on a lint error, a render failure, a
schema violation of the values, or an invalid manifest.
"""

import pathlib
import sys
import tempfile

import helm_python as helm
import kubernetes_validate
import yaml

HERE = pathlib.Path(__file__).resolve().parent
CHART = HERE / "minsheng"
KUBERNETES = "1.33.0"
VALUE_SETS = {
    "default values": {},
    "production-like values": yaml.safe_load((HERE / "values-production.yaml").read_text()),
}


def check_service_monitor(name, path, doc):
    problems = []
    if doc.get("kind") != "ServiceMonitor" or doc.get("apiVersion") != "monitoring.coreos.com/v1":
        problems.append("not a monitoring.coreos.com/v1 ServiceMonitor")
    spec = doc.get("spec", {})
    if not spec.get("selector", {}).get("matchLabels"):
        problems.append("spec.selector.matchLabels is empty")
    endpoints = spec.get("endpoints") or []
    if not endpoints or any(not e.get("port") for e in endpoints):
        problems.append("every endpoint needs a named port")
    return [f"{name}: {path} (ServiceMonitor): {p}" for p in problems]


def main() -> int:
    failures = []
    chart = helm.Chart.load(CHART)
    for name, values in VALUE_SETS.items():
        report = helm.lint(CHART, values or None, strict=True)
        for message in report.get("messages", []):
            if message.get("severity", 0) >= 2:
                failures.append(f"lint ({name}): {message.get('path')}: {message.get('error')}")
        failures += [f"lint ({name}): {e}" for e in report.get("errors", [])]
        try:
            chart.validate_schema(values)
            manifests = chart.render(values, name="minsheng", namespace="minsheng", is_install=True)
        except helm.HelmError as e:
            failures.append(f"render ({name}): {e}")
            continue
        kinds = []
        for path, text in sorted(manifests.items()):
            for doc in yaml.safe_load_all(text):
                if not doc:
                    continue
                kinds.append(doc["kind"])
                if doc["apiVersion"].startswith("monitoring.coreos.com/"):
                    # A custom resource: the Kubernetes schemas do not know
                    # it; check what the Prometheus Operator needs.
                    failures += check_service_monitor(name, path, doc)
                    continue
                try:
                    kubernetes_validate.validate(doc, KUBERNETES, strict=True)
                except kubernetes_validate.ValidationError as e:
                    failures.append(f"{name}: {path} ({doc['kind']}): {e.message}")
        print(f"{name}: {len(kinds)} manifests valid for Kubernetes {KUBERNETES}: {', '.join(sorted(kinds))}")
    # A value the schema forbids must be refused.
    try:
        chart.validate_schema({"replicaCount": 0})
        failures.append("values.schema.json accepted replicaCount 0")
    except helm.HelmError:
        pass
    for f in failures:
        print(f"FAIL {f}", file=sys.stderr)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
