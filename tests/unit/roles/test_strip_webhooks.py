"""The local cluster's Helm post-renderer: webhook configurations and APIServices out, everything else unchanged."""

import importlib.machinery
import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

SCRIPT = Path(__file__).resolve().parents[3] / "roles" / "helm_release" / "files" / "strip-webhooks"

RELEASE = """\
---
# Source: chart/templates/deployment.yaml
apiVersion: apps/v1
kind: Deployment
metadata:
  name: controller
spec:
  replicas: 1
---
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingWebhookConfiguration
metadata:
  name: validator
---
apiVersion: admissionregistration.k8s.io/v1
kind: MutatingWebhookConfiguration
metadata:
  name: injector
---
apiVersion: apiregistration.k8s.io/v1
kind: APIService
metadata:
  name: v1beta1.metrics.k8s.io
---
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: widgets.example.com
spec:
  conversion:
    strategy: None
"""

CONVERTED_BY_WEBHOOK = """\
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: gadgets.example.com
spec:
  conversion:
    strategy: Webhook
"""


def _module():
    loader = importlib.machinery.SourceFileLoader("strip_webhooks", str(SCRIPT))
    module = importlib.util.module_from_spec(importlib.util.spec_from_loader(loader.name, loader))
    loader.exec_module(module)
    return module


def test_strip_keeps_everything_but_webhooks_and_api_services():
    kept = _module().strip(yaml.safe_load_all(RELEASE))
    assert [(d["kind"], d["metadata"]["name"]) for d in kept] == [
        ("Deployment", "controller"),
        ("CustomResourceDefinition", "widgets.example.com"),
    ]
    assert kept[0]["spec"] == {"replicas": 1}


def test_strip_refuses_a_crd_converted_by_a_webhook():
    with pytest.raises(ValueError, match=r"gadgets\.example\.com converts through a webhook"):
        _module().strip(yaml.safe_load_all(RELEASE + "---\n" + CONVERTED_BY_WEBHOOK))


def test_the_script_filters_stdin_as_helm_runs_it():
    done = subprocess.run([sys.executable, str(SCRIPT)], input=RELEASE, capture_output=True, text=True, check=True)
    assert [d["kind"] for d in yaml.safe_load_all(done.stdout)] == ["Deployment", "CustomResourceDefinition"]


def test_the_script_fails_on_a_conversion_webhook():
    done = subprocess.run(
        [sys.executable, str(SCRIPT)], input=CONVERTED_BY_WEBHOOK, capture_output=True, text=True, check=False
    )
    assert done.returncode != 0
    assert "gadgets.example.com converts through a webhook" in done.stderr
