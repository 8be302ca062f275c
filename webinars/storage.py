"""Where recordings, transcripts and materials are kept: the ``private`` storage.

One machine (the embedded default): a folder, ``settings.PRIVATE_MEDIA_ROOT``. More than
one: a bucket of an S3-compatible object store that every web and worker machine shares,
named by ``PRIVATE_STORAGE_URL`` (:func:`private_storage_from_url` turns it into the
``private`` entry of ``STORAGES``). Either way no URL maps onto these files; only the
access-checked views in ``webinars.views.recording_files`` serve them, or hand out a
short-lived signed link to one after their check.
"""

import re
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from botocore.config import Config
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.files.storage import FileSystemStorage
from django.utils.functional import cached_property
from storages.backends.s3 import S3Storage
from storages.utils import clean_name

_URL_FORM = (
    "s3://BUCKET[/PREFIX][?endpoint_url=…&public_endpoint_url=…&region=…"
    "&addressing_style=path|virtual|auto&access_key=…&secret_key=…]"
)
_URL_PARAMETERS = (
    "endpoint_url",
    "public_endpoint_url",
    "region",
    "addressing_style",
    "access_key",
    "secret_key",
)
# S3's rules for bucket names (also MinIO's): 3 to 63 lower-case letters, digits, dots
# and hyphens, starting and ending with a letter or digit.
_BUCKET = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", re.ASCII)


class PrivateFileStorage(FileSystemStorage):
    """A file system storage rooted at ``PRIVATE_MEDIA_ROOT``, outside every served folder.

    The root is read from the setting, not fixed when the storage is made: file fields
    resolve their storage once, when the models load, and must still follow the setting
    when it changes (each test gets its own folder). No URL maps onto these files; only
    the access-checked views in ``webinars.views.recording_files`` serve them.
    """

    @cached_property
    def base_location(self):
        return self._value_or_setting(self._location, settings.PRIVATE_MEDIA_ROOT)

    def _clear_cached_properties(self, setting, **kwargs):
        super()._clear_cached_properties(setting, **kwargs)
        if setting == "PRIVATE_MEDIA_ROOT":
            self.__dict__.pop("base_location", None)
            self.__dict__.pop("location", None)


class PrivateS3Storage(S3Storage):
    """The private files in a bucket of an S3-compatible object store, never public.

    Whatever the ``AWS_*`` settings or options say, no object gets an ACL (the bucket's
    own, private, applies), every URL is signed, no custom domain hands out unsigned
    ones, and an upload never replaces an object of the same name. Objects are stored as
    ``application/octet-stream`` attachments: a link used without the view's response
    headers still downloads rather than renders.

    ``public_endpoint_url`` is the S3 API as browsers reach it, when that differs from
    ``endpoint_url`` (MinIO inside a private network, published through the site's proxy):
    links are signed for that host.
    """

    querystring_auth = True
    default_acl = None
    file_overwrite = False
    custom_domain = None
    object_parameters = {
        "ContentType": "application/octet-stream",
        "ContentDisposition": "attachment",
    }
    # Files above this size are buffered on disk, not in memory, when read or written.
    max_memory_size = 5 * 1024 * 1024

    _SAFE = {
        "querystring_auth": (True,),
        "default_acl": (None, "private"),
        "file_overwrite": (False,),
        "custom_domain": (None, ""),
    }

    def __init__(self, **options: Any) -> None:
        for name, allowed in self._SAFE.items():
            if name in options and options[name] not in allowed:
                raise ImproperlyConfigured(
                    f"The private storage keeps {name}={allowed[0]!r}: private files are "
                    "never public and never overwritten."
                )
        if "ACL" in options.get("object_parameters", {}):
            raise ImproperlyConfigured("The private storage sets no ACL on its objects.")
        if options.get("client_config") is None:
            # Fail fast when the store is unreachable (a page waits on it), retry briefly.
            options["client_config"] = Config(
                s3={"addressing_style": options.get("addressing_style")},
                signature_version=options.get("signature_version") or "s3v4",
                connect_timeout=5,
                retries={"mode": "standard", "max_attempts": 3},
            )
        super().__init__(**options)

    def get_default_settings(self) -> dict[str, Any]:
        return {**super().get_default_settings(), "public_endpoint_url": None}

    def __getstate__(self) -> dict[str, Any]:
        state = super().__getstate__()
        state.pop("_public_client", None)
        return state

    @cached_property
    def _public_client(self):
        """A client that signs for ``public_endpoint_url`` (signing sends no request)."""
        return self._create_session().client(
            "s3",
            region_name=self.region_name,
            use_ssl=self.use_ssl,
            endpoint_url=self.public_endpoint_url,
            config=self.client_config,
            verify=self.verify,
        )

    def url(self, name, parameters=None, expire=None, http_method=None) -> str:
        if not self.public_endpoint_url:
            return super().url(name, parameters, expire, http_method)
        params = {
            **(parameters or {}),
            "Bucket": self.bucket_name,
            "Key": self._normalize_name(clean_name(name)),
        }
        return self._public_client.generate_presigned_url(
            "get_object",
            Params=params,
            ExpiresIn=self.querystring_expire if expire is None else expire,
            HttpMethod=http_method,
        )

    def signed_download_url(
        self,
        name: str,
        *,
        seconds: int,
        content_type: str,
        content_disposition: str,
        cache_control: str,
    ) -> str:
        """A GET link to ``name``, valid for ``seconds``, answered with these headers.

        Only for a viewer whose access was just checked: anyone holding the link can use
        it until it expires.
        """
        return self.url(
            name,
            parameters={
                "ResponseContentType": content_type,
                "ResponseContentDisposition": content_disposition,
                "ResponseCacheControl": cache_control,
            },
            expire=seconds,
            http_method="GET",
        )


def _endpoint(parameter: str, value: str) -> str:
    parts = urlsplit(value)
    try:
        parts.port  # noqa: B018 (raises ValueError for a port that is not a number)
    except ValueError:
        parts = parts._replace(netloc="")
    if (
        parts.scheme not in ("http", "https")
        or not parts.hostname
        or parts.path.strip("/")
        or parts.query
        or parts.fragment
        or parts.username
    ):
        raise ImproperlyConfigured(
            f"PRIVATE_STORAGE_URL: {parameter} must be an http:// or https:// address with "
            f"a host and nothing after it, such as http://minio:9000 (got {value!r})."
        )
    return f"{parts.scheme}://{parts.netloc}"


def private_storage_from_url(url: str) -> dict[str, Any]:
    """The ``STORAGES["private"]`` entry that ``PRIVATE_STORAGE_URL`` describes.

    Empty: the folder ``PRIVATE_MEDIA_ROOT``. Else ``s3://BUCKET[/PREFIX]`` with optional
    query parameters: ``endpoint_url`` (the S3 API as the app reaches it; unset: AWS),
    ``public_endpoint_url`` (as browsers reach it, when different), ``region``,
    ``addressing_style`` (``path`` by default with an endpoint, as MinIO wants) and
    ``access_key`` with ``secret_key`` (URL-encoded; unset: ``AWS_ACCESS_KEY_ID`` and
    ``AWS_SECRET_ACCESS_KEY``, or the machine's role). Raises ``ImproperlyConfigured``
    naming what is wrong, never echoing a secret.
    """
    url = url.strip()
    if not url:
        return {
            "BACKEND": "webinars.storage.PrivateFileStorage",
            "OPTIONS": {"base_url": "/private-files-are-not-served/"},
        }
    parts = urlsplit(url)
    if parts.scheme != "s3":
        scheme = f"{parts.scheme}://" if parts.scheme else "missing"
        raise ImproperlyConfigured(
            f"PRIVATE_STORAGE_URL must be {_URL_FORM}, or empty for files under "
            f"PRIVATE_MEDIA_ROOT; its scheme is {scheme}."
        )
    if "@" in parts.netloc:
        raise ImproperlyConfigured(
            "PRIVATE_STORAGE_URL: give credentials as the access_key and secret_key "
            "parameters (or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY), not before the bucket."
        )
    if not _BUCKET.match(parts.netloc):
        raise ImproperlyConfigured(
            f"PRIVATE_STORAGE_URL: {parts.netloc!r} is not a bucket name (3 to 63 lower-case "
            f"letters, digits, dots and hyphens): {_URL_FORM}."
        )
    if parts.fragment:
        raise ImproperlyConfigured("PRIVATE_STORAGE_URL: remove the #fragment.")
    prefix = parts.path.strip("/")
    if any(segment in ("", ".", "..") for segment in prefix.split("/")) and prefix:
        raise ImproperlyConfigured(
            f"PRIVATE_STORAGE_URL: the prefix {prefix!r} may not have empty, . or .. parts."
        )
    pairs = parse_qsl(parts.query, keep_blank_values=True)
    names = [name for name, _value in pairs]
    unknown = sorted({name for name in names if name not in _URL_PARAMETERS})
    if unknown:
        raise ImproperlyConfigured(
            f"PRIVATE_STORAGE_URL: unknown parameter {', '.join(unknown)}; "
            f"the parameters are {', '.join(_URL_PARAMETERS)}."
        )
    repeated = sorted({name for name in names if names.count(name) > 1})
    if repeated:
        raise ImproperlyConfigured(
            f"PRIVATE_STORAGE_URL: {', '.join(repeated)} given more than once."
        )
    query = {name: value.strip() for name, value in pairs if value.strip()}
    options: dict[str, Any] = {
        "bucket_name": parts.netloc,
        "location": prefix,
        "signature_version": "s3v4",
    }
    for parameter in ("endpoint_url", "public_endpoint_url"):
        if parameter in query:
            options[parameter] = _endpoint(parameter, query[parameter])
    if "public_endpoint_url" in options and "endpoint_url" not in options:
        raise ImproperlyConfigured(
            "PRIVATE_STORAGE_URL: public_endpoint_url needs endpoint_url (the address the "
            "app itself uses)."
        )
    style = query.get("addressing_style", "path" if "endpoint_url" in options else "auto")
    if style not in ("path", "virtual", "auto"):
        raise ImproperlyConfigured(
            f"PRIVATE_STORAGE_URL: addressing_style is path, virtual or auto, not {style!r}."
        )
    options["addressing_style"] = None if style == "auto" else style
    if "region" in query:
        options["region_name"] = query["region"]
    if ("access_key" in query) != ("secret_key" in query):
        raise ImproperlyConfigured(
            "PRIVATE_STORAGE_URL: give access_key and secret_key together, or neither (then "
            "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or the machine's role, are used)."
        )
    if "access_key" in query:
        options["access_key"] = query["access_key"]
        options["secret_key"] = query["secret_key"]
    return {"BACKEND": "webinars.storage.PrivateS3Storage", "OPTIONS": options}
