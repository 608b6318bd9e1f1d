"""What the standards say, for the steps only an operator can take (quoted from the SCS standards texts).

A plan that cannot fix a testcase says which standard asks for it and in the standard's words, so
that the operator does not have to look it up; the wording is the standards' own (CC-BY-SA 4.0,
the SCS community), shortened to the requirement.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Guidance:
    standard: str
    what: str
    quote: str


#: By testcase id prefix, most specific first.
_GUIDANCE: tuple[tuple[str, Guidance], ...] = (
    (
        "scs-0100-syntax-check",
        Guidance(
            "scs-0100",
            "Nova cannot rename a flavor: create one with a valid name (`scs flavor check NAME` explains what is "
            "wrong), move users over and delete the old one, or give it a name that does not start with SCS-.",
            "Every flavor you offer MUST satisfy the following assertion: If its name starts with `SCS-`, the name "
            "has to conform to the syntax outlined above (scs-0100-v3).",
        ),
    ),
    (
        "scs-0100-semantics-check",
        Guidance(
            "scs-0100",
            "Nova cannot change a flavor's vCPUs, RAM or disk: create a flavor that offers what the name says, "
            "move servers over (`openstack server resize`) and delete the old one.",
            "If its name starts with `SCS-`, [...] the flavor must _at least_ provide the capabilities indicated "
            "by the name (scs-0100-v3).",
        ),
    ),
    (
        "scs-0103-flavor-",
        Guidance(
            "scs-0103",
            "Nova cannot change a flavor's vCPUs, RAM or disk: delete the flavor once no server uses it; "
            "`scs fix apply` then creates it with the standard's values.",
            "The figures given in the table (number of CPUs, amount of RAM, root disk size) must match precisely "
            "the corresponding figures in the flavor (scs-0103-v1).",
        ),
    ),
    (
        "scs-0101-entropy-avail",
        Guidance(
            "scs-0101",
            "Use images with a kernel >= 5.18 and compute hosts whose CPUs offer RDRAND/RDSEED (RNDR on arm64) "
            "to guests, unfiltered by the hypervisor.",
            "Compute nodes must use CPUs that offer instructions for accessing entropy (such as RDSEED or RDRAND "
            "on x86_64 or RNDR on arm64), and these instructions may not be filtered by the hypervisor "
            "(scs-0101-v1).",
        ),
    ),
    (
        "scs-0101-fips-test",
        Guidance(
            "scs-0101",
            "Give guests a good random source: CPU RNG instructions passed through (and virtio-rng where offered).",
            "Compute nodes must use CPUs that offer instructions for accessing entropy [...] and these "
            "instructions may not be filtered by the hypervisor (scs-0101-v1).",
        ),
    ),
    (
        "scs-0101-rngd",
        Guidance(
            "scs-0101",
            "Install and enable rng-tools in the images (a recommendation of scs-0101 v1.0, no longer of v1.1).",
            "As of version 1.1, the method of injecting entropy into a VM using a virtualized HRNG together with "
            "`rngd` is no longer recommended (scs-0101-v1).",
        ),
    ),
    (
        "scs-0102-prop-hash_algo",
        Guidance(
            "scs-0102",
            "Glance computes os_hash_algo at upload and never lets it be set: configure `hashing_algorithm = "
            "sha512` (the default) in glance-api.conf and upload the image again.",
            "Recommended: `os_hash_algo` and `os_hash_value`: The sha256 or sha512 hash for the image file (scs-0102).",
        ),
    ),
    (
        "scs-0102-image-recency",
        Guidance(
            "scs-0102",
            "Publish a fresh build under the same name, then hide (`os_hidden=True`) or rename the old one "
            "(' YYYYMMDD' of its build date); the toolkit does not build or upload images.",
            "It is recommended that the old image gets renamed (e.g. build date or patch level attached) and "
            "hidden (`os_hidden=True`), but remains accessible via its (unchanged) UUID for some time (scs-0102).",
        ),
    ),
    (
        "scs-0102-",
        Guidance(
            "scs-0102",
            "Set the property on the image (`openstack image set --property KEY=VALUE IMAGE`), or describe the "
            "image in the catalogue (--image-catalogue) so that `scs fix` can.",
            "For VM images (OpenStack), we recommend to use the properties as described in the OpenStack Image "
            "documentation; the mandatory ones are listed in scs-0102.",
        ),
    ),
    (
        "scs-0101-image-property",
        Guidance(
            "scs-0101",
            "Set `hw_rng_model=virtio` on the public images.",
            "The following further properties are recommended (if the features are supported): `hw_rng_model` "
            "(scs-0102).",
        ),
    ),
    (
        "scs-0104-image-",
        Guidance(
            "scs-0104",
            "Upload the upstream image as a public image with exactly the standard's name (e.g. with the OSISM "
            "openstack-image-manager); the toolkit does not upload images.",
            "If the status is `mandatory`, then an image with the name given via `name` MUST be present (scs-0104-v1).",
        ),
    ),
    (
        "scs-0104-source-",
        Guidance(
            "scs-0104",
            "Replace the image with the upstream one and set `image_source` to where it came from; the toolkit "
            "never claims an origin it cannot verify.",
            "Its `image_source` property MUST start with one of the prefixes given via `source` (scs-0104-v1).",
        ),
    ),
    (
        "scs-0114-",
        Guidance(
            "scs-0114",
            "Offer a volume type with the aspect and start its description with `[scs:encrypted, replicated]` "
            "(those it has); a backend that replicates invisibly (e.g. Ceph) may say so in the description.",
            "This standard recommends to have one or more volume types, that feature encryption and replication "
            "(scs-0114-v1).",
        ),
    ),
    (
        "scs-0115-",
        Guidance(
            "scs-0115",
            "Offer Neutron's default security group rules API (2023.2 or later) and set the rules with "
            "`openstack default security group rule create/delete`.",
            "The default Security Group rules for ALL Security Groups MUST NOT allow any other incoming traffic "
            "[...] SHOULD allow egress Traffic for both IPv4 and IPv6 (scs-0115-v1).",
        ),
    ),
    (
        "scs-0116-",
        Guidance(
            "scs-0116",
            "Deploy a key manager (Barbican) and let the Keystone `member` role act as Barbican's `creator`.",
            "If a Key Manager without secure RBAC enabled is used, the policies MUST be adjusted to let the "
            "`member` role of the Identity service be equivalent to the Key Manager internal `creator` role "
            "(scs-0116-v1).",
        ),
    ),
    (
        "scs-0117-",
        Guidance(
            "scs-0117",
            "Configure a backup driver and run cinder-backup, so that /v3/{project_id}/backups works.",
            "In an SCS cloud, the volume backup functionality MUST be configured properly and its API as defined "
            "per `/v3/{project_id}/backups` MUST be offered to customers (scs-0117-v1).",
        ),
    ),
    (
        "scs-0123-",
        Guidance(
            "scs-0123",
            "Deploy the service and register it with its public endpoint in the Keystone catalog.",
            "The following IaaS APIs MUST be present in SCS-compliant IaaS deployments [...] The endpoints of "
            "services MUST be findable through the `catalog list` of the identity API (scs-0123).",
        ),
    ),
    (
        "scs-0125-",
        Guidance(
            "scs-0125",
            "Serve every public endpoint over HTTPS with TLS 1.2 or 1.3 and Mozilla's intermediate ciphers.",
            "All server-side TLS configurations integrated into the infrastructure as covered by this standard "
            'MUST adhere to the "Intermediate" Mozilla TLS configuration (scs-0125-v1).',
        ),
    ),
)


def guidance(testcase: str) -> Guidance | None:
    return next((g for prefix, g in _GUIDANCE if testcase.startswith(prefix)), None)


def standard_of(testcase: str) -> str:
    """`scs-0103` for `scs-0103-flavor-2v-8` (the standard a testcase belongs to)."""
    parts = testcase.split("-")
    return "-".join(parts[:2]) if len(parts) >= 2 and parts[0] == "scs" else testcase
