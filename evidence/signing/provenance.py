"""SLSA build provenance (v0.2 and v1) in in-toto Statements.

Accepted containers: a plain Statement (unsigned), a DSSE envelope (``.intoto.jsonl``, one
envelope per line), a Sigstore bundle carrying a DSSE envelope, and npm's registry
attestations document (``{"attestations": [{predicateType, bundle}]}``). Signed containers
are verified with :mod:`gatecheck.evidence.signing.signatures`, so a provenance fact says both what
the statement claims and whether anyone trustworthy said it.

Facts (``input.evidence.provenance``): ``predicate_type``, ``slsa_version``, ``build_type``,
``builder_id``, ``build_source`` (``repository`` normalized to ``https://host/path`` without
``git+``, userinfo, ref or ``.git``; ``ref``; ``commit``; the ``uri`` as written), the
``materials`` (v0.2 materials / v1 resolvedDependencies), ``subjects`` ``[{name, digest}]``,
``signed``, ``verified``, ``signer``, ``reason`` and the signature details. (``source`` is the framework's: the evidence file itself.)
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from gatecheck.errors import EvidenceError
from gatecheck.evidence import safe
from gatecheck.evidence.interface import Document, EvidenceParser, ParseContext
from gatecheck.evidence.signing import dsse
from gatecheck.evidence.signing.signatures import (
    INTOTO_STATEMENT_PREFIX,
    SignatureCheck,
    check_dsse_envelope,
    check_sigstore_bundle,
    is_dsse_envelope,
    is_sigstore_bundle,
    normalize_digest,
    statement_subjects,
)

SLSA_PREDICATES = {
    "https://slsa.dev/provenance/v0.1": "0.1",
    "https://slsa.dev/provenance/v0.2": "0.2",
    "https://slsa.dev/provenance/v1": "1",
    "https://slsa.dev/provenance/v1.0": "1",
}
_COMMIT_KEYS = ("gitCommit", "sha1", "sha256", "gitTree")


# -- detection without raising -----------------------------------------------------------


def _slsa_statement(value: Any) -> bool:
    return (
        isinstance(value, Mapping)
        and str(value.get("_type", "")).startswith(INTOTO_STATEMENT_PREFIX)
        and value.get("predicateType") in SLSA_PREDICATES
    )


def _envelope_statement(envelope: Any) -> Any:
    """The JSON payload of a DSSE envelope object, or None when it cannot be read."""
    if not isinstance(envelope, Mapping) or envelope.get("payloadType") != dsse.PAYLOAD_TYPE_INTOTO:
        return None
    payload = envelope.get("payload")
    if not isinstance(payload, str):
        return None
    try:
        return safe.load_json(dsse.b64decode(payload, what="payload"), name="payload")
    except EvidenceError:
        return None


def _container_kind(value: Any) -> str | None:
    """Which container ``value`` is when it carries SLSA provenance."""
    if _slsa_statement(value):
        return "intoto-statement"
    if is_sigstore_bundle(value) and _slsa_statement(
        _envelope_statement(value.get("dsseEnvelope"))
    ):
        return "sigstore-bundle"
    if is_dsse_envelope(value) and _slsa_statement(_envelope_statement(value)):
        return "dsse-envelope"
    if isinstance(value, Mapping) and isinstance(value.get("attestations"), list):
        for entry in value["attestations"]:
            if isinstance(entry, Mapping) and entry.get("predicateType") in SLSA_PREDICATES:
                return "npm-attestations"
    return None


DETECT_JSONL_LINES = 8
"""Detection looks at this many lines, so a large NDJSON file of another tool stays cheap."""


def _jsonl_values(doc: Document, limit: int | None = None) -> list[Any] | None:
    """Each non-empty line of a JSON Lines file parsed strictly (the first ``limit`` lines
    only, when given), or None if one is not JSON."""
    values: list[Any] = []
    for number, line in enumerate(doc.raw.splitlines(), start=1):
        if not line.strip():
            continue
        if limit is not None and len(values) >= limit:
            break
        try:
            values.append(safe.load_json(line, name=f"{doc.name} line {number}"))
        except EvidenceError:
            return None
    return values or None


# -- source repository -------------------------------------------------------------------


def split_git_uri(uri: str) -> tuple[str, str | None]:
    """``git+https://user@host/org/repo.git@refs/tags/v1`` -> (``https://host/org/repo``,
    ``refs/tags/v1``). The ref follows the first ``@`` in the path; userinfo is dropped."""
    text = uri.strip()
    if text.startswith("git+"):
        text = text[4:]
    parts = urlsplit(text)
    if not parts.scheme or not parts.netloc:
        repository, _, ref = text.partition("@")
        return repository.rstrip("/").removesuffix(".git"), ref or None
    path, _, ref = parts.path.partition("@")
    host = parts.hostname or ""
    if parts.port:
        host = f"{host}:{parts.port}"
    path = path.rstrip("/").removesuffix(".git")
    return urlunsplit((parts.scheme.lower(), host.lower(), path, "", "")), ref or None


def _commit(digest: Any) -> str | None:
    digests = normalize_digest(digest)
    for key in _COMMIT_KEYS:
        if key.lower() in digests:
            return digests[key.lower()]
    return None


def _source(
    uri: Any, ref: Any = None, commit: Any = None, pointer: str | None = None
) -> dict[str, Any] | None:
    if not isinstance(uri, str) or not uri.strip():
        return None
    repository, uri_ref = split_git_uri(uri)
    return {
        "repository": repository,
        "uri": uri,
        "ref": ref if isinstance(ref, str) and ref else uri_ref,
        "commit": commit if isinstance(commit, str) and commit else None,
        "pointer": pointer,
    }


def _first_git_material(materials: Any, base: str) -> dict[str, Any] | None:
    if not isinstance(materials, list):
        return None
    for i, material in enumerate(materials):
        if not isinstance(material, Mapping) or not isinstance(material.get("uri"), str):
            continue
        if material["uri"].startswith("git+") or _commit(material.get("digest")):
            return _source(
                material["uri"], commit=_commit(material.get("digest")), pointer=f"{base}/{i}"
            )
    return None


def _commit_for(repository: str, materials: Any) -> str | None:
    """The commit a materials list pins for ``repository``."""
    if not isinstance(materials, list):
        return None
    for material in materials:
        if (
            isinstance(material, Mapping)
            and isinstance(material.get("uri"), str)
            and split_git_uri(material["uri"])[0] == repository
            and (found := _commit(material.get("digest")))
        ):
            return found
    return None


def _v1_source(predicate: Mapping[str, Any], base: str) -> dict[str, Any] | None:
    definition = predicate.get("buildDefinition")
    if not isinstance(definition, Mapping):
        return None
    params = definition.get("externalParameters")
    params = params if isinstance(params, Mapping) else {}
    deps = definition.get("resolvedDependencies")
    deps_ptr = f"{base}/buildDefinition/resolvedDependencies"
    ext = f"{base}/buildDefinition/externalParameters"
    found: dict[str, Any] | None = None
    workflow = params.get("workflow")
    if isinstance(workflow, Mapping):  # GitHub Actions workflow build types
        found = _source(workflow.get("repository"), workflow.get("ref"), pointer=f"{ext}/workflow")
    if found is None:
        for key in ("source", "buildConfigSource", "configSource", "repository"):
            value = params.get(key)
            if isinstance(value, str):
                found = _source(value, pointer=f"{ext}/{key}")
            elif isinstance(value, Mapping):
                found = _source(
                    value.get("repository") or value.get("uri"),
                    value.get("ref"),
                    _commit(value.get("digest")),
                    pointer=f"{ext}/{key}",
                )
            if found:
                break
    if found is None:
        return _first_git_material(deps, deps_ptr)
    if not found["commit"]:
        found["commit"] = _commit_for(found["repository"], deps)
    return found


def _v02_source(predicate: Mapping[str, Any], base: str) -> dict[str, Any] | None:
    invocation = predicate.get("invocation")
    config = invocation.get("configSource") if isinstance(invocation, Mapping) else None
    if isinstance(config, Mapping):
        found = _source(
            config.get("uri"),
            commit=_commit(config.get("digest")),
            pointer=f"{base}/invocation/configSource",
        )
        if found:
            return found
    return _first_git_material(predicate.get("materials"), f"{base}/materials")


def _materials(entries: Any) -> list[dict[str, Any]]:
    if not isinstance(entries, list):
        return []
    return [
        {"uri": e.get("uri"), "digest": normalize_digest(e.get("digest"))}
        for e in entries
        if isinstance(e, Mapping)
    ]


def _str(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def statement_facts(statement: Mapping[str, Any], *, pointer: str) -> dict[str, Any]:
    """The provenance claims of one SLSA Statement (``pointer`` locates it, or the DSSE
    payload that carries it, in the original file)."""
    predicate_type = statement["predicateType"]
    version = SLSA_PREDICATES[predicate_type]
    predicate = statement.get("predicate")
    predicate = predicate if isinstance(predicate, Mapping) else {}
    base = "" if pointer.endswith("/payload") else f"{pointer}/predicate"
    if version == "1":
        run = predicate.get("runDetails")
        run = run if isinstance(run, Mapping) else {}
        builder = run.get("builder") if isinstance(run.get("builder"), Mapping) else {}
        definition = predicate.get("buildDefinition")
        definition = definition if isinstance(definition, Mapping) else {}
        metadata = run.get("metadata") if isinstance(run.get("metadata"), Mapping) else {}
        build_type = _str(definition.get("buildType"))
        source = _v1_source(predicate, base)
        materials = _materials(definition.get("resolvedDependencies"))
        invocation_id = _str(metadata.get("invocationId"))
        started = _str(metadata.get("startedOn"))
        finished = _str(metadata.get("finishedOn"))
    else:
        builder = predicate.get("builder") if isinstance(predicate.get("builder"), Mapping) else {}
        metadata = predicate.get("metadata")
        metadata = metadata if isinstance(metadata, Mapping) else {}
        build_type = _str(predicate.get("buildType"))
        source = _v02_source(predicate, base)
        materials = _materials(predicate.get("materials"))
        invocation_id = _str(metadata.get("buildInvocationId") or metadata.get("buildInvocationID"))
        started = _str(metadata.get("buildStartedOn"))
        finished = _str(metadata.get("buildFinishedOn"))
    if source is not None and base == "":
        source["pointer"] = pointer  # inside a base64 payload: point at the payload
    return {
        "statement_type": statement.get("_type"),
        "predicate_type": predicate_type,
        "slsa_version": version,
        "build_type": build_type,
        "builder_id": _str(builder.get("id")),
        "build_source": source,
        "materials": materials,
        "invocation_id": invocation_id,
        "build_started_on": started,
        "build_finished_on": finished,
        "subjects": statement_subjects(statement, pointer),
    }


def _signature_details(check: SignatureCheck) -> dict[str, Any]:
    facts = check.facts()
    return {
        key: facts[key]
        for key in (
            "kind",
            "media_type",
            "signed_at",
            "timestamps",
            "log",
            "trusted_root",
            "pointer",
        )
    }


def _signed_facts(check: SignatureCheck, *, name: str) -> dict[str, Any]:
    if check.statement is None or not _slsa_statement(check.statement):
        raise EvidenceError(f"{name}: the signed statement is not SLSA provenance")
    payload_ptr = check.pointer + (
        "/dsseEnvelope/payload" if check.kind == "sigstore-bundle" else "/payload"
    )
    facts = statement_facts(check.statement, pointer=payload_ptr)
    facts.update(
        signed=True,
        verified=check.verified,
        signer=check.signer,
        reason=None if check.verified else (check.reason or "not verified"),
        signature=_signature_details(check),
        pointer=payload_ptr,
    )
    return facts


def _unsigned_facts(statement: Mapping[str, Any], pointer: str) -> dict[str, Any]:
    facts = statement_facts(statement, pointer=pointer)
    facts.update(
        signed=False,
        verified=False,
        signer=None,
        reason="the provenance statement is not signed",
        signature=None,
        pointer=pointer,
    )
    return facts


def _facts_for(value: Any, kind: str, *, name: str, pointer: str, ctx: ParseContext) -> Any:
    if kind == "intoto-statement":
        return _unsigned_facts(value, pointer)
    if kind == "sigstore-bundle":
        return _signed_facts(
            check_sigstore_bundle(value, name=name, pointer=pointer, ctx=ctx), name=name
        )
    if kind == "dsse-envelope":
        return _signed_facts(
            check_dsse_envelope(value, name=name, pointer=pointer, ctx=ctx), name=name
        )
    raise EvidenceError(f"{name}: not SLSA provenance")


class ProvenanceParser(EvidenceParser):
    family = "provenance"
    formats = (
        "intoto-statement",
        "dsse-envelope",
        "sigstore-bundle",
        "npm-attestations",
        "intoto-jsonl",
    )

    def detect(self, doc: Document) -> str | None:
        obj = doc.json_object()
        if obj is not None:
            return _container_kind(obj)
        if doc.looks_like_json():
            values = _jsonl_values(doc, limit=DETECT_JSONL_LINES)
            if values and any(_container_kind(v) for v in values):
                return "intoto-jsonl"
        return None

    def parse(self, doc: Document, fmt: str, ctx: ParseContext) -> dict[str, Any]:
        if fmt == "intoto-jsonl":
            values = _jsonl_values(doc)
            if values is None:
                # Re-read line by line to raise the first line's error.
                for number, line in enumerate(doc.raw.splitlines(), start=1):
                    if line.strip():
                        safe.load_json(line, name=f"{doc.name} line {number}")
                raise EvidenceError(f"{doc.name}: empty JSON Lines file")
            found = [
                (i, v, kind)
                for i, v in enumerate(values)
                if (kind := _container_kind(v)) is not None
            ]
            return self._single(doc, found, "line", ctx)
        obj = doc.json
        if fmt == "npm-attestations":
            if not isinstance(obj, Mapping) or not isinstance(obj.get("attestations"), list):
                raise EvidenceError(f"{doc.name}: not an npm attestations document")
            found = []
            for i, entry in enumerate(obj["attestations"]):
                if (
                    not isinstance(entry, Mapping)
                    or entry.get("predicateType") not in SLSA_PREDICATES
                ):
                    continue
                bundle = entry.get("bundle")
                if not is_sigstore_bundle(bundle):
                    raise EvidenceError(
                        f"{doc.name}: /attestations/{i}/bundle is not a Sigstore bundle"
                    )
                found.append((i, bundle, "sigstore-bundle"))
            return self._single(doc, found, "/attestations/{}/bundle", ctx)
        kind = _container_kind(obj)
        if kind is None or kind != fmt:
            raise EvidenceError(f"{doc.name}: not SLSA provenance in the {fmt} format")
        if kind == "sigstore-bundle":
            check = check_sigstore_bundle(obj, name=doc.name, pointer="", ctx=ctx, raw=doc.raw)
            return _signed_facts(check, name=doc.name)
        return _facts_for(obj, kind, name=doc.name, pointer="", ctx=ctx)

    def _single(
        self,
        doc: Document,
        found: list[tuple[int, Any, str]],
        where: str,
        ctx: ParseContext,
    ) -> dict[str, Any]:
        if not found:
            raise EvidenceError(f"{doc.name}: holds no SLSA provenance")
        if len(found) > 1:
            raise EvidenceError(
                f"{doc.name}: holds {len(found)} SLSA provenance statements; "
                "add each as its own evidence file"
            )
        index, value, kind = found[0]
        if where == "line":
            # A JSON pointer cannot address a line; pointers are relative to that line.
            facts = _facts_for(value, kind, name=doc.name, pointer="", ctx=ctx)
            facts["line"] = index + 1
            return facts
        return _facts_for(value, kind, name=doc.name, pointer=where.format(index), ctx=ctx)
