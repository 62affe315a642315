"""How the bench reaches the broker: every client as a provisioned principal, never anonymous."""

# The broker is the one production has: SASL_SSL with SCRAM-SHA-512, verified against the
# stack's own authority, and ACLs with nothing allowed by default. The processes under test
# get the variables a service process of the stack gets; the harness's own clients (the load
# driver, the observer, the checker) each act as the principal whose grants fit what it does.

from __future__ import annotations

import os
from dataclasses import dataclass, replace

from deploy.local import stack
from services.access.credentials import CredentialStore
from services.access.operator import credential_store, operator_access, principal_access
from services.runtime.kafka_access import KafkaAccess

# What a deployment may set instead of the local stack's files (services.access.operator).
_DEPLOYMENT_VARIABLES = ("CSODS_KAFKA_CA_FILE", "CSODS_KAFKA_CREDENTIALS_DIR")
AUTHORIZATION = "ACLs (StandardAuthorizer, no ACL = denied)"


@dataclass(frozen=True)
class BenchAccess:
    """The run's broker, and who the bench is on it."""

    bootstrap: str

    def of(self, tenant: str, service: str) -> KafkaAccess:
        """The provisioned principal `<tenant>.<service>`, at the run's bootstrap."""
        return replace(principal_access(tenant, service), bootstrap=self.bootstrap)

    def of_group(self, group: str) -> KafkaAccess:
        """The principal a consumer group belongs to: groups are named as their principals."""
        tenant, _, service = group.partition(".")
        return self.of(tenant, service)

    def operator(self) -> KafkaAccess:
        """The provisioning super-user: the only one who makes topics, principals and ACLs."""
        return operator_access()

    def store(self) -> CredentialStore:
        """Where the provisioned principals' passwords are kept."""
        return credential_store()

    def client_env(self) -> dict[str, str]:
        """The variables a process under test connects with, as a service of the stack does."""
        given = {name: os.environ[name] for name in _DEPLOYMENT_VARIABLES if os.environ.get(name)}
        # The local stack's files unless a deployment names its own (no local secrets made).
        env = given if len(given) == len(_DEPLOYMENT_VARIABLES) else stack.addresses().client_env()
        env |= given
        env["CSODS_KAFKA_BOOTSTRAP"] = self.bootstrap
        return env


def security(access: KafkaAccess) -> str:
    """How a client of the run proves itself, in one line: `SASL_SSL + SCRAM-SHA-512 + ACLs`."""
    how = access.protocol + (f" + {access.mechanism}" if access.protocol == "SASL_SSL" else "")
    return f"{how} + {AUTHORIZATION}"
