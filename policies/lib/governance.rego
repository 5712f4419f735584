# METADATA
# title: gatecheck change-governance helpers
# description: >-
#   What the release-planning, change and approval controls share: the change record linked to
#   the release, identities (with aliases), approvers' roles (declared and from the
#   `approver_roles` directory), which approvals are bound to this release and current, and
#   the approvals a release of this class and risk needs. Controls that call these helpers
#   list the params the helpers read in their own METADATA.
package gatecheck.governance

import rego.v1

import data.gatecheck.lib

# An object-valued field of obj, {} when it is absent or null (facts leave unset fields out,
# hand-written inputs may give null).
section(obj, key) := value if {
	value := obj[key]
	is_object(value)
} else := {}

# -- the change record -----------------------------------------------------------------------

release_change_id := object.get(input.release, "change_id", null)

release_class := object.get(input.release, "class", null)

release_risk := object.get(input.release, "risk", null)

# Change records whose id is the one the release manifest names.
linked_change_records := [cr |
	some cr in lib.evidence("change_record")
	release_change_id != null
	cr.id == release_change_id
]

# The change record of this release, when exactly one is linked.
change_record := linked_change_records[0] if count(linked_change_records) == 1

emergency if release_class == "emergency"

emergency if change_record.status == "emergency-approved"

# -- identities and roles ----------------------------------------------------------------------

# One person may appear under several names (a GitHub login, an e-mail, a directory id);
# `identity_aliases` maps each alias to one canonical identity so separation of duties and
# distinct-approver counts see the same person once.
identity(name) := canonical if {
	key := lower(trim_space(name))
	matches := [lower(trim_space(c)) | some alias, c in lib.param("identity_aliases"); lower(trim_space(alias)) == key]
	count(matches) > 0
	canonical := matches[0]
} else := lower(trim_space(name))

# Roles of an identity in the `approver_roles` directory (keys are identities or aliases).
directory_roles(name) := {role |
	some who, roles in lib.param("approver_roles")
	identity(who) == identity(name)
	some role in roles
}

# An approver's roles: the trust directory's roles of the person gatecheck established
# (`person_roles`), plus this policy data's `approver_roles`. Roles an approval writes about
# itself (`claimed_roles`) establish nothing.
roles_of(approval) := {r | some r in object.get(approval, "person_roles", [])} | directory_roles(approval.approver)

# -- approvals ---------------------------------------------------------------------------------

approvals := lib.evidence("approval")

# Re-exported from lib (one definition, in lib/controls.rego), so controls keep calling it here.
blank(value) if lib.blank(value)

# The approval names this release's change and version, and (if it names one) this bundle.
bound(approval) if {
	release_change_id != null
	object.get(approval, "change_id", null) == release_change_id
	object.get(approval, "release_version", null) == input.release.version
	digest_matches(approval)
}

digest_matches(approval) if object.get(approval, "bundle_digest", null) == null

digest_matches(approval) if {
	digest := object.get(approval, "bundle_digest", null)
	digest != null
	digest == object.get(input.bundle, "digest", null)
}

approval_time_ns(approval) := time.parse_rfc3339_ns(approval.time)

# Decided no later than the effective time, and not older than approval_max_age_days.
timely(approval) if {
	t := approval_time_ns(approval)
	t <= input.effective_time_ns
	input.effective_time_ns - t <= lib.param("approval_max_age_days") * lib.day_ns
}

signature_acceptable(_) if not lib.param("require_signed_approvals")

signature_acceptable(approval) if {
	lib.param("require_signed_approvals")
	object.get(approval, "verified", false) == true
}

# An approval that counts: approved by an established person, bound to this release, current
# and (when required) signed by a configured key.
valid_approval(approval) if {
	approval.decision == "approved"
	established(approval)
	bound(approval)
	timely(approval)
	signature_acceptable(approval)
}

# The approver is a person gatecheck established (a signer or a directory alias), not a name.
established(approval) if {
	is_string(object.get(approval, "person", null))
	not blank(approval.person)
}

# Valid approvals of the kinds that approve a change (not UAT or compliance sign-offs).
change_approvals := [a |
	some a in approvals
	object.get(a, "kind", "change") in lib.param("change_approval_kinds")
	valid_approval(a)
]

distinct_approvers(list) := {identity(a.person) | some a in list}

held_roles(list) := {r | some a in list; some r in roles_of(a)}

# -- what this release needs -------------------------------------------------------------------

known_class if release_class in object.keys(lib.param("approval_requirements"))

known_risk if release_risk in lib.param("risk_levels")

no_requirement := {"min_approvers": 0, "required_roles": []}

# The stricter of the class's and the risk's requirement: the larger quorum, all the roles.
requirement := {
	"min_approvers": max([class_req.min_approvers, risk_req.min_approvers]),
	"required_roles": sort({r | some r in array.concat(class_req.required_roles, risk_req.required_roles)}),
} if {
	class_req := lib.param("approval_requirements")[release_class]
	risk_req := object.get(lib.param("approval_requirements_by_risk"), release_risk, no_requirement)
}

# Standard, low-risk change following a pre-approved template: no approvals needed.
auto_approval_eligible if {
	release_class in lib.param("auto_approval_classes")
	release_risk in lib.param("auto_approval_risks")
	change_record.pre_approved == true
	template_allowed(change_record)
}

# Only a template the policy data names qualifies: a bare claim in the change record never
# does, and an empty list (the default) allows none.
template_allowed(cr) if cr.pre_approved_template in lib.param("pre_approved_templates")

# -- references --------------------------------------------------------------------------------

# Re-exported from lib (one definition, in lib/controls.rego).
field_ref(item, suffix) := lib.field_ref(item, suffix)

# -- time ----------------------------------------------------------------------------------------

# RFC 3339 time no later than `days` days after the effective time.
within_days(timestamp, days) if {
	time.parse_rfc3339_ns(timestamp) <= input.effective_time_ns + (days * lib.day_ns)
}
