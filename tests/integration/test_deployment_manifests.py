"""The deployment for more than one machine, as a cluster would take it: the chart rendered by
Helm and validated by kubeconform against the Kubernetes API's schemas, the Strimzi resources
against Strimzi's; and both checks refuse what a cluster would refuse."""

from __future__ import annotations

import json
from typing import Any

import pytest

from deploy.local import manifests
from services.access.grants import FORCE_SERVICES as SERVICES
from services.access.strimzi import resources
from services.demo.system import deployment

WEB = ("casework", "portal")


@pytest.fixture(scope="module")
def tools() -> dict[str, Any]:
    return {
        "helm": manifests.go_tool(*manifests.HELM),
        "kubeconform": manifests.go_tool(*manifests.KUBECONFORM),
        "schemas": manifests.kubernetes_schemas(),
        "strimzi": manifests.strimzi_validator(),
    }


def test_the_chart_and_the_strimzi_resources_validate() -> None:
    checked = manifests.check()
    assert checked.problems == []
    assert checked.kubernetes_objects > 0
    assert checked.strimzi_resources > 0


def test_each_force_gets_a_deployment_per_service_and_front_door(tools: dict[str, Any]) -> None:
    rendered = manifests.render(tools["helm"], ["--set", "forces={warwickshire,dorset}"])
    seen, problems = manifests.kubeconform(tools["kubeconform"], tools["schemas"], rendered)
    assert problems == []
    names = {
        line.split(":", 1)[1].strip()
        for block in rendered.split("\n---")
        if "kind: Deployment" in block
        for line in block.splitlines()
        if line.startswith("  name: ")
    }
    forces = ("warwickshire", "dorset")
    assert names == {f"csods-{p}-{f}" for f in forces for p in (*SERVICES, *WEB)}
    # A Deployment, Service and disruption budget per service; a Deployment and Service per
    # front door; the one migration Job.
    assert seen == len(forces) * (3 * len(SERVICES) + 2 * len(WEB)) + 1


def test_kubeconform_refuses_a_field_the_api_does_not_know(tools: dict[str, Any]) -> None:
    rendered = manifests.render(tools["helm"])
    broken = rendered.replace(
        "automountServiceAccountToken: false",
        "automountServiceAccountToken: false\n      hostNetwrok: true",
        1,
    )
    _, problems = manifests.kubeconform(tools["kubeconform"], tools["schemas"], broken)
    assert len(problems) == 1
    assert "hostNetwrok" in problems[0]


def test_strimzi_refuses_an_operation_and_a_partition_count_it_does_not_know(
    tools: dict[str, Any],
) -> None:
    made = json.loads(json.dumps(resources(deployment(["warwickshire"]), cluster="csods")))
    topic = next(item for item in made if item["kind"] == "KafkaTopic")
    user = next(item for item in made if item["kind"] == "KafkaUser")
    topic["spec"]["partitions"] = "three"
    user["spec"]["authorization"]["acls"][0]["operations"] = ["Sing"]
    problems = manifests.strimzi(tools["strimzi"], made)
    assert len(problems) == 2
    assert any(topic["metadata"]["name"] in line and "partitions" in line for line in problems)
    assert any(user["metadata"]["name"] in line and "operations" in line for line in problems)
