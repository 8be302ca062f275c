import pytest

pytestmark = pytest.mark.django_db

PERMISSIONS_POLICY = (
    "camera=(), microphone=(), geolocation=(), payment=(), usb=(), serial=(), "
    "display-capture=(), browsing-topics=()"
)


@pytest.mark.parametrize("path", ["/", "/seminars/", "/healthz", "/no-such-page/"])
def test_public_pages_send_the_csp_and_the_permissions_policy(client, path):
    response = client.get(path)

    assert response["Permissions-Policy"] == PERMISSIONS_POLICY
    assert response["Content-Security-Policy"].startswith("default-src 'self';")


def test_admin_pages_get_their_own_csp_scripts_from_our_files_only(admin_client):
    response = admin_client.get("/admin/")

    assert response.status_code == 200
    assert response["Permissions-Policy"] == PERMISSIONS_POLICY
    policy = response["Content-Security-Policy"]
    assert "script-src 'self';" in policy
    assert "frame-ancestors 'none'" in policy
    assert "'unsafe-eval'" not in policy
    assert "script-src 'self' 'unsafe-inline'" not in policy
