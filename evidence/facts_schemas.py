"""The facts schemas of the tool formats: what the parsers of each evidence family that reads
another tool's output (SBOMs, vulnerability and secret scans, SARIF, JUnit, coverage,
provenance, signatures) write into the policy input, whatever format they read.

The parsers of a family normalize every format to one shape: every key present, null where
the file does not say (the positive-evidence contract), and nothing else, so each object is
closed (``additionalProperties: false``). Where a parser writes a key only for some formats
(a coverage file's ``line`` for LCOV, ``pointer`` for the others), the schema says which.
Around the parser's facts gatecheck adds ``source``, ``tool``, ``labels``, ``attested_at``
(engine/inputdoc.py, engine/authenticity.py) and the package indexes of SBOMs and scans
(evidence/sbom/purl.py); these are declared, with their shape, but not required, as for the
record types (evidence/records/facts_schema.py). Keys the engine trims from the input because
no rule reads them (``UNREAD`` in engine/inputdoc.py) are declared and not required.

The pipeline audit log, a gatecheck record whose parser writes facts of its own shape, has its
schema here too. ``gatecheck schema --facts FAMILY`` prints them; tests validate every real tool
output under tests/data against them, and every record a Rego test feeds a control.
"""

from __future__ import annotations

import copy
from typing import Any

from gatecheck.evidence.scans.sarif import LEVELS
from gatecheck.evidence.scans.severity import BANDS
from gatecheck.evidence.signing.provenance import SLSA_PREDICATES
from gatecheck.evidence.testing.junit import COUNT_KEYS

Schema = dict[str, Any]

STR: Schema = {"type": "string"}
INT: Schema = {"type": "integer"}
NUM: Schema = {"type": "number"}
BOOL: Schema = {"type": "boolean"}
ANY: Schema = {"description": "as the file gives it (not checked by the parser)"}


def nullable(schema: Schema) -> Schema:
    return {"anyOf": [schema, {"type": "null"}]}


def array(items: Schema) -> Schema:
    return {"type": "array", "items": items}


def ref(name: str) -> Schema:
    return {"$ref": f"#/$defs/{name}"}


def closed(properties: dict[str, Schema], *, optional: tuple[str, ...] = ()) -> Schema:
    """An object with exactly ``properties``, all required but ``optional``."""
    return {
        "type": "object",
        "properties": properties,
        "required": sorted(k for k in properties if k not in optional),
        "additionalProperties": False,
    }


NSTR = nullable(STR)
NINT = nullable(INT)
NNUM = nullable(NUM)
NBOOL = nullable(BOOL)
BAND = nullable({"enum": list(BANDS)})
DIGESTS: Schema = {"type": "object", "additionalProperties": STR}
"""``{algorithm: value}``, algorithm lowercased (``sha256``)."""
POSITIONS = array({"type": "integer", "minimum": 0})

# -- what gatecheck adds around every family's facts ----------------------------------------

ENGINE_ADDED: dict[str, Schema] = {
    "source": closed(
        {"path": STR, "sha256": STR, "format": STR, "name": STR, "added_at": STR},
    ),
    "tool": nullable(closed({"name": STR, "version": NSTR})),
    "labels": {"type": "object", "additionalProperties": STR},
    "attested_at": STR,
}
PACKAGE_INDEX = closed(
    {
        "purl": {"type": "object", "additionalProperties": POSITIONS},
        "name": {"type": "object", "additionalProperties": POSITIONS},
    }
)
LICENSE_INDEX = closed(
    {
        "spdx": {"type": "object", "additionalProperties": POSITIONS},
        "unresolved": POSITIONS,
        "none": POSITIONS,
    }
)


def family_schema(
    description: str,
    properties: dict[str, Schema],
    defs: dict[str, Schema],
    *,
    optional: tuple[str, ...] = (),
    added: dict[str, Schema] | None = None,
) -> Schema:
    """The facts of one family: the parsers' keys (required but ``optional``), then what
    gatecheck adds (declared, never required)."""
    extra = ENGINE_ADDED | (added or {})
    schema = closed(properties | extra, optional=(*optional, *extra))
    schema["description"] = description
    if defs:
        schema["$defs"] = defs
    return schema


# -- sbom (evidence/sbom/cyclonedx.py sbom_facts, spdx.py) ----------------------------------

SBOM = family_schema(
    "An SBOM (CycloneDX JSON/XML, SPDX JSON) as components; CycloneDX `file` components "
    "are left out.",
    {
        "spec": {"enum": ["cyclonedx", "spdx"]},
        "spec_version": NSTR,
        "valid": BOOL,
        "errors": array(STR),
        "subject": nullable(ref("SbomSubject")),
        "subjects": array(ref("SbomSubject")),
        "components": array(ref("SbomComponent")),
        "component_count": INT,
        "timestamp": NSTR,
        "tools": array(closed({"name": STR, "version": NSTR})),
    },
    {
        "SbomLicense": closed({"name": STR, "spdx": NSTR, "text": BOOL}),
        "SbomComponent": closed(
            {
                "name": NSTR,
                "version": NSTR,
                "purl": NSTR,
                "type": NSTR,
                "licenses": array(ref("SbomLicense")),
                "hashes": DIGESTS,
                "pointer": STR,
            },
            # Trimmed from the policy input (no rule reads it): UNREAD in engine/inputdoc.py.
            optional=("hashes",),
        ),
        "SbomSubject": closed(
            {"name": NSTR, "version": NSTR, "purl": NSTR, "digests": DIGESTS, "pointer": STR}
        ),
    },
    added={"index": PACKAGE_INDEX, "license_index": LICENSE_INDEX, "unidentified_index": POSITIONS},
)

# -- vulnerability-scan (evidence/scans/{pipaudit,osvscanner,grype,trivy}.py) ---------------

_PACKAGE = {"name": NSTR, "version": NSTR, "ecosystem": NSTR, "purl": NSTR}
VULNERABILITY_SCAN = family_schema(
    "A vulnerability scan (pip-audit, OSV-Scanner, Grype, Trivy) as packages and findings.",
    {
        "scanner": closed({"name": STR, "version": NSTR}),
        "timestamp": NSTR,
        "target": NSTR,
        "target_digests": array(STR),
        "packages": array(ref("ScanPackage")),
        "packages_complete": BOOL,
        "scanned_packages": BOOL,
        "unaudited": array(ref("UnauditedPackage")),
        "warnings": array(ref("ScanWarning")),
        "vulnerabilities": array(ref("ScanVulnerability")),
    },
    {
        # `ecosystem` and `cvss_score` are trimmed from the policy input (UNREAD).
        "ScanPackage": closed(_PACKAGE, optional=("ecosystem",)),
        "UnauditedPackage": closed(_PACKAGE | {"reason": STR, "pointer": STR}),
        "ScanWarning": closed({"message": STR, "pointer": STR}),
        "ScanVulnerability": closed(
            {
                "id": STR,
                "aliases": array(STR),
                "package": ref("ScanPackage"),
                "severity": BAND,
                "cvss_score": NNUM,
                "fix_versions": array(STR),
                "pointer": STR,
                "suppressed_by_tool": BOOL,
                "suppression_reason": NSTR,
            },
            optional=("cvss_score",),
        ),
    },
    added={"index": PACKAGE_INDEX},
)

# -- sast (evidence/scans/sarif.py) -----------------------------------------------------------

_SARIF_TOOL = closed({"name": STR, "version": NSTR})
_RUN_ERROR = closed({"message": STR, "pointer": STR})
SAST = family_schema(
    "A SARIF 2.1.0 log as runs and results.",
    {
        "sarif_version": {"const": "2.1.0"},
        "tools": array(_SARIF_TOOL),
        "execution_successful": NBOOL,
        "errors": array(_RUN_ERROR),
        "runs": array(ref("SarifRun")),
        "runs_null": BOOL,
        "results": array(ref("SarifResult")),
    },
    {
        "SarifRun": closed(
            {
                "index": INT,
                "tool": _SARIF_TOOL,
                "execution_successful": NBOOL,
                "errors": array(_RUN_ERROR),
                "results_computed": BOOL,
                "result_count": INT,
                "format_issues": array(STR),
                "pointer": STR,
            }
        ),
        "SarifLocation": closed({"uri": NSTR, "uri_base_id": NSTR, "start_line": NINT}),
        "SarifSuppression": closed({"kind": NSTR, "status": NSTR, "justification": NSTR}),
        "SarifResult": closed(
            {
                "run": INT,
                "tool": STR,
                "rule_id": NSTR,
                "kind": STR,
                "level": {"enum": list(LEVELS)},
                "security_severity": NNUM,
                "message": NSTR,
                "locations": array(ref("SarifLocation")),
                "suppressions": array(ref("SarifSuppression")),
                "suppressed": BOOL,
                "suppression_justified": BOOL,
                "suppressed_by_tool": BOOL,
                "suppression_reason": NSTR,
                "baseline_state": NSTR,
                "pointer": STR,
            }
        ),
    },
)

# -- secret-scan (evidence/scans/secrets.py) -------------------------------------------------

SECRET_SCAN = family_schema(
    "A secret scan (gitleaks, Trivy, SARIF declared a secret scan) as findings.",
    {
        "scanner": closed({"name": STR, "version": NSTR}),
        "timestamp": NSTR,
        "target": NSTR,
        "complete": BOOL,
        "issues": array(STR),
        "findings": array(ref("SecretFinding")),
    },
    {
        "SecretFinding": closed(
            {
                "rule_id": NSTR,
                "file": NSTR,
                "line": NINT,
                "commit": NSTR,
                "fingerprint": STR,
                "severity": BAND,
                "description": NSTR,
                "suppressed_by_tool": BOOL,
                "pointer": STR,
            }
        )
    },
)

# -- test-results (evidence/testing/junit.py) ------------------------------------------------

_COUNTS = {key: {"type": "integer", "minimum": 0} for key in COUNT_KEYS}
TEST_RESULTS = family_schema(
    "JUnit XML as suites, totals and failed cases.",
    {
        "kind": NSTR,
        "kinds": array(STR),
        "totals": closed(_COUNTS),
        "suites": array(ref("TestSuite")),
        "failed_cases": array(ref("FailedCase")),
        "failed_case_count": INT,
        "mismatches": array(ref("CountMismatch")),
        "timestamp": NSTR,
    },
    {
        "TestSuite": closed(
            {
                "name": NSTR,
                "kind": NSTR,
                **_COUNTS,
                "time": NNUM,
                "timestamp": NSTR,
                "counted_from": {"enum": ["testcases", "attributes"]},
                "pointer": STR,
            }
        ),
        "FailedCase": closed(
            {
                "suite": NSTR,
                "name": NSTR,
                "classname": NSTR,
                "kind": {"enum": ["failure", "error"]},
                "message": STR,
                "pointer": STR,
            }
        ),
        # `declared` is the attribute as written when it is not a number.
        "CountMismatch": closed(
            {
                "pointer": STR,
                "attribute": {"enum": list(COUNT_KEYS)},
                "declared": {"type": ["integer", "string"]},
                "counted": INT,
            }
        ),
    },
)

# -- coverage (evidence/testing/coverage.py) -------------------------------------------------

_RATES = {
    "lines_valid": INT,
    "lines_covered": INT,
    "line_rate": NNUM,
    "branches_valid": NINT,
    "branches_covered": NINT,
    "branch_rate": NNUM,
}
COVERAGE = family_schema(
    "A coverage report (Cobertura, JaCoCo, coverage.py JSON, LCOV) as files and totals.",
    {
        "tool": nullable(closed({"name": STR, "version": NSTR})),
        "timestamp": NSTR,
        "totals": closed(_RATES),
        # What the report states of itself, null where it does not (LCOV states nothing).
        "declared": closed({key: NNUM for key in _RATES}),
        "mismatches": array(ref("CoverageMismatch")),
        "file_count": INT,
        "files": array(ref("CoverageFile")),
    },
    {
        # Where the file is in the report: `pointer` (XML, JSON), `line` (LCOV); JaCoCo's
        # aggregate reports add the module `group`.
        "CoverageFile": {
            **closed(
                {"path": STR, **_RATES, "pointer": STR, "line": INT, "group": STR},
                optional=("pointer", "line", "group"),
            ),
            "oneOf": [{"required": ["pointer"]}, {"required": ["line"]}],
        },
        # Report-wide mismatches name the total; per-file ones the file and its place.
        "CoverageMismatch": closed(
            {
                "what": STR,
                "declared": NUM,
                "computed": NUM,
                "path": STR,
                "pointer": STR,
                "line": INT,
            },
            optional=("path", "pointer", "line"),
        ),
    },
)

# -- signature and provenance (evidence/signing/signatures.py, provenance.py) -----------------

_SIGNING_DEFS: dict[str, Schema] = {
    # A certificate's identity (keyless; with the trusted root it verified against), or a key.
    "Signer": {
        "anyOf": [
            {
                **closed(
                    {"identity": NSTR, "issuer": NSTR, "root": STR, "root_sha256": STR},
                    optional=("root", "root_sha256"),
                ),
                "dependentRequired": {"root": ["root_sha256"], "root_sha256": ["root"]},
            },
            closed({"key_id": NSTR, "key_alias": NSTR, "key_hint": NSTR}),
        ]
    },
    "SignedSubject": closed({"name": NSTR, "digest": DIGESTS, "pointer": STR}),
    "SignedTime": closed(
        {"source": {"enum": ["timestamp-authority", "transparency-log"]}, "time": STR}
    ),
    "LogEntry": closed({"kind": ANY, "version": ANY, "index": NINT, "integrated_time": NSTR}),
    "TrustedRoot": closed({"name": STR, "sha256": STR}),
}
_SIGNATURE_KINDS = {"enum": ["sigstore-bundle", "dsse", "detached"]}

SIGNATURE = family_schema(
    "A Sigstore bundle, DSSE envelope or detached signature, and what verifying it found.",
    {
        "kind": _SIGNATURE_KINDS,
        "media_type": ANY,
        "payload_type": NSTR,
        "predicate_type": ANY,
        "verified": BOOL,
        "reason": NSTR,
        "signer": nullable(ref("Signer")),
        "subjects": array(ref("SignedSubject")),
        "signed_at": NSTR,
        "timestamps": array(ref("SignedTime")),
        "log": nullable(ref("LogEntry")),
        "trusted_root": nullable(ref("TrustedRoot")),
        "pointer": STR,
        # Each signature of a DSSE envelope (only there).
        "signatures": array(
            closed({"pointer": STR, "keyid": NSTR, "verified": BOOL, "key_id": NSTR})
        ),
    },
    _SIGNING_DEFS,
    optional=("signatures",),
)

PROVENANCE = family_schema(
    "SLSA provenance (an in-toto statement, plain, DSSE-signed or in a Sigstore bundle).",
    {
        "statement_type": STR,
        "predicate_type": {"enum": sorted(SLSA_PREDICATES)},
        "slsa_version": {"enum": sorted(set(SLSA_PREDICATES.values()))},
        "build_type": NSTR,
        "builder_id": NSTR,
        "build_source": nullable(ref("BuildSource")),
        "materials": array(closed({"uri": ANY, "digest": DIGESTS})),
        "invocation_id": NSTR,
        "build_started_on": NSTR,
        "build_finished_on": NSTR,
        "subjects": array(ref("SignedSubject")),
        "signed": BOOL,
        "verified": BOOL,
        "signer": nullable(ref("Signer")),
        "reason": NSTR,
        "signature": nullable(
            closed(
                {
                    "kind": _SIGNATURE_KINDS,
                    "media_type": ANY,
                    "signed_at": NSTR,
                    "timestamps": array(ref("SignedTime")),
                    "log": nullable(ref("LogEntry")),
                    "trusted_root": nullable(ref("TrustedRoot")),
                    "pointer": STR,
                }
            )
        ),
        "pointer": STR,
        # The line of a JSON Lines file the statement is on (only there).
        "line": {"type": "integer", "minimum": 1},
    },
    _SIGNING_DEFS
    | {
        "BuildSource": closed(
            {"repository": STR, "uri": STR, "ref": NSTR, "commit": NSTR, "pointer": NSTR}
        )
    },
    optional=("line",),
)

# -- pipeline-audit-log (evidence/records/lifecycle.py): a record whose parser writes its own
# facts (the verified hash chain), so its schema is not derived from the record's; like the
# record types', its top level admits the signature facts the record parsers add.

PIPELINE_AUDIT_LOG: Schema = {
    **closed(
        {
            "pipeline": NSTR,
            "run_id": NSTR,
            "release": nullable(closed({"name": STR, "version": STR})),
            "event_count": INT,
            "events": array(ref("AuditEvent")),
            "hash_algorithm": {"const": "sha256"},
            "chain_valid": BOOL,
            "chain_broken_at": NINT,
            "chain_error": NSTR,
            "head_hash": NSTR,
            "pointer": STR,
        }
    ),
    "additionalProperties": True,
    "description": "A pipeline run's hash-chained audit log, with the chain as verified.",
    "$defs": {
        "AuditEvent": closed(
            {
                "index": INT,
                "actor": NSTR,
                "time": NSTR,
                "action": NSTR,
                "change_id": NSTR,
                "environment": NSTR,
                "pointer": STR,
            }
        )
    },
}

CUSTOM_RECORD_FACTS: dict[str, Schema] = {"pipeline-audit-log": PIPELINE_AUDIT_LOG}
"""Facts schema of each record type whose parser writes facts of its own shape."""

TOOL_FACTS: dict[str, Schema] = {
    "coverage": COVERAGE,
    "provenance": PROVENANCE,
    "sast": SAST,
    "sbom": SBOM,
    "secret-scan": SECRET_SCAN,
    "signature": SIGNATURE,
    "test-results": TEST_RESULTS,
    "vulnerability-scan": VULNERABILITY_SCAN,
}
"""Facts schema of each tool-format family, by evidence type."""


def facts_schemas() -> dict[str, Schema]:
    """Every published facts schema: the record types' and the tool formats'."""
    from gatecheck.evidence.records.facts_schema import facts_schemas as record_schemas

    return record_schemas() | copy.deepcopy(CUSTOM_RECORD_FACTS | TOOL_FACTS)


def schema_for(type_name: str) -> Schema | None:
    """The facts schema of a record type or evidence family (None: unknown)."""
    from gatecheck.evidence.records.facts_schema import CUSTOM_FACTS, facts_schema
    from gatecheck.evidence.records.models import RECORD_TYPES

    if type_name in TOOL_FACTS or type_name in CUSTOM_RECORD_FACTS:
        return (TOOL_FACTS | CUSTOM_RECORD_FACTS)[type_name]
    model = RECORD_TYPES.get(type_name)
    if model is None or model in CUSTOM_FACTS:
        return None
    return facts_schema(model)
