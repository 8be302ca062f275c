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


def test_admin_pages_send_the_permissions_policy_but_keep_their_own_scripts(admin_client):
    response = admin_client.get("/admin/")

    assert response.status_code == 200
    assert response["Permissions-Policy"] == PERMISSIONS_POLICY
    assert "Content-Security-Policy" not in response
