from payments_api.api import health


def test_service_reports_healthy():
    assert health() == {"status": "ok"}
