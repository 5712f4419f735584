package gatecheck.lifecycle_test

import rego.v1

import data.gatecheck.lifecycle as lc

test_newest_keeps_every_item_sharing_the_latest_time if {
	items := [
		{"id": 1, "t": "2026-02-01T00:00:00Z"},
		{"id": 2, "t": "2026-03-01T00:00:00+01:00"},
		{"id": 3, "t": "2026-02-28T23:00:00Z"},
		{"id": 4, "t": null},
	]
	[i.id | some i in lc.newest(items, "t")] == [2, 3]
	lc.newest([{"t": null}], "t") == []
}

test_record_naming_another_release_is_not_for_this_one if {
	inp := {"release": {"name": "payments", "version": "2.4.0"}}
	lc.for_this_release({"release": null}) with input as inp
	lc.for_this_release({"release": {"name": "payments", "version": "2.4.0"}}) with input as inp
	not lc.for_this_release({"release": {"name": "payments", "version": "2.3.0"}}) with input as inp
}

test_target_environment_prefers_the_deployment if {
	lc.target_environment == "prod-eu" with input as {"stage": "production", "release": {"deployment": {"environment": "prod-eu"}}}
	lc.target_environment == "production" with input as {"stage": "post-deploy", "release": {"deployment": null}}
	lc.target_environment == "qa" with input as {"stage": "qa", "release": {}}
}

test_field_ref_cites_the_payload_of_a_signed_record if {
	lc.field_ref({"pointer": "/predicate", "source": {"path": "e.json"}}, "/result") == {"path": "e.json", "pointer": "/predicate/result"}
	lc.field_ref({"pointer": "/payload", "source": {"path": "e.json"}}, "/result") == {"path": "e.json", "pointer": "/payload"}
}

test_a_time_not_given_has_no_instant if {
	lc.ns("2026-03-01T00:00:00Z") == 1772323200000000000
	not lc.ns(null)
}
