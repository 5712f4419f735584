package gatecheck.lib_test

import rego.v1

import data.gatecheck.governance as gov
import data.gatecheck.lib
import data.gatecheck.lifecycle as lc

plain := {"pointer": "/approvals/1", "source": {"path": "evidence/approvals.json"}}

# What the record parsers produce for a record signed inside a DSSE envelope, and for one in
# a Sigstore bundle's envelope.
in_dsse := {"pointer": "/payload", "payload_pointer": "/predicate", "source": {"path": "evidence/cr.dsse.json"}}

in_sigstore := {"pointer": "/dsseEnvelope/payload", "source": {"path": "evidence/cr.sigstore.json"}}

whole_file := {"pointer": "", "source": {"path": "evidence/cr.json"}}

test_field_ref_points_into_a_plain_record if {
	lib.field_ref(plain, "/status") == {"path": "evidence/approvals.json", "pointer": "/approvals/1/status"}
	lib.field_ref(whole_file, "/status") == {"path": "evidence/cr.json", "pointer": "/status"}
	lib.field_ref({"source": {"path": "e.json"}}, "/status") == {"path": "e.json", "pointer": "/status"}
}

test_field_ref_cites_the_payload_of_a_signed_record if {
	lib.field_ref(in_dsse, "/status") == {"path": "evidence/cr.dsse.json", "pointer": "/payload"}
	lib.field_ref(in_sigstore, "/status") == {"path": "evidence/cr.sigstore.json", "pointer": "/dsseEnvelope/payload"}
}

test_governance_and_lifecycle_helpers_mean_the_same_as_lib if {
	every item in [plain, in_dsse, in_sigstore, whole_file] {
		gov.field_ref(item, "/x") == lib.field_ref(item, "/x")
		lc.field_ref(item, "/x") == lib.field_ref(item, "/x")
	}
	values := [null, "", "  \t", "x", 0, false, [], {}]
	blank := [v | some v in values; lib.blank(v)]
	blank == [v | some v in values; gov.blank(v)]
	blank == [v | some v in values; lc.blank(v)]
}

test_blank_is_null_or_whitespace_only if {
	lib.blank(null)
	lib.blank("")
	lib.blank(" \n\t")
	not lib.blank("n/a")
	not lib.blank(0)
	not lib.blank(false)
	not lib.blank([])
}

# -- the signature chain -----------------------------------------------------------------------

digest := "sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"

artifact := {"name": "payments-api", "digest": digest}

keyless := {"identity": "https://github.com/acme/payments/.github/workflows/release.yml@refs/tags/v1.4.0", "issuer": "https://token.actions.githubusercontent.com", "root": "public-good"}

signers := [
	{"identity_regexp": "https://github.com/acme/payments/\\.github/workflows/release\\.yml@refs/tags/v.*", "issuer": "https://token.actions.githubusercontent.com"},
	{"key_id": "release-key-2026"},
]

item(signer, verified) := {
	"subjects": [{"name": "payments-api", "digest": {"sha256": upper(substring(digest, 7, -1))}}],
	"verified": verified,
	"signer": signer,
}

test_a_verified_item_from_a_trusted_signer_counts if {
	lib.names_artifact(item(keyless, true), artifact)
	lib.verified_and_trusted(item(keyless, true)) with data.gatecheck.config.params.trusted_signers as signers
	lib.verified_and_trusted(item({"key_id": "ab12", "key_alias": "release-key-2026"}, true)) with data.gatecheck.config.params.trusted_signers as signers
}

test_an_unverified_or_untrusted_item_does_not_count if {
	not lib.verified_and_trusted(item(keyless, false)) with data.gatecheck.config.params.trusted_signers as signers
	not lib.verified_and_trusted(item(keyless, "true")) with data.gatecheck.config.params.trusted_signers as signers
	evil := object.union(keyless, {"identity": "https://evil.example/?https://github.com/acme/payments/.github/workflows/release.yml@refs/tags/v1"})
	not lib.verified_and_trusted(item(evil, true)) with data.gatecheck.config.params.trusted_signers as signers
	other_issuer := object.union(keyless, {"issuer": "https://accounts.google.com"})
	not lib.verified_and_trusted(item(other_issuer, true)) with data.gatecheck.config.params.trusted_signers as signers
}

test_an_item_over_other_bytes_names_no_artifact if {
	other := {"subjects": [{"digest": {"sha256": "00"}}], "verified": true, "signer": keyless}
	not lib.names_artifact(other, artifact)
	not lib.names_artifact(item(keyless, true), {"name": "payments-api", "digest": null})
	lib.naming([other, item(keyless, true)], artifact) == [item(keyless, true)]
}

test_signer_labels_name_what_is_known if {
	lib.signer_label(keyless) == "https://github.com/acme/payments/.github/workflows/release.yml@refs/tags/v1.4.0 (issuer https://token.actions.githubusercontent.com, root public-good)"
	lib.signer_label(object.remove(keyless, ["root"])) == "https://github.com/acme/payments/.github/workflows/release.yml@refs/tags/v1.4.0 (issuer https://token.actions.githubusercontent.com)"
	lib.signer_label({"key_id": "ab12"}) == "key ab12"
	lib.signer_label({}) == "an unidentified signer"
}
