# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

import pytest
from ansible.errors import AnsibleFilterError
from ansible_collections.botcore.platform.plugins.filter.images import FilterModule, image_errors, image_ref

VAR = "core_engine_image"
DIGEST = "sha256:" + "0123456789abcdef" * 4
TAG_RULE = "(letters, digits, '_', '.' and '-', not starting with '.' or '-', at most 128 characters)"
DIGEST_RULE = "is not a digest of the form sha256:<64 lowercase hex characters>"


def image(**fields):
    return {"registry": "ghcr.io", "repository": "botcore/core-engine", "tag": "1.4.2", "digest": "", **fields}


def test_filter_module_exposes_filters():
    assert FilterModule().filters() == {"image_ref": image_ref, "image_errors": image_errors}


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (image(), "ghcr.io/botcore/core-engine:1.4.2"),
        (image(registry=""), "botcore/core-engine:1.4.2"),
        (image(registry=None), "botcore/core-engine:1.4.2"),
        ({"repository": "nginx", "tag": "1.27"}, "nginx:1.27"),
        (image(registry="registry.local:5000"), "registry.local:5000/botcore/core-engine:1.4.2"),
        (image(tag="", digest=DIGEST), f"ghcr.io/botcore/core-engine@{DIGEST}"),
        (image(digest=DIGEST), f"ghcr.io/botcore/core-engine:1.4.2@{DIGEST}"),
        (image(tag="latest"), "ghcr.io/botcore/core-engine:latest"),
    ],
)
def test_image_ref(value, expected):
    assert image_ref(value) == expected


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (None, "image_ref: image: must be a dict with registry, repository, tag and digest, got None"),
        ("nginx:1.27", "image_ref: image: must be a dict with registry, repository, tag and digest, got 'nginx:1.27'"),
        (image(repository=""), "image_ref: image.repository: must not be empty"),
        ({"tag": "1"}, "image_ref: image.repository: must not be empty"),
        (image(tag="", digest=""), "image_ref: image: neither tag nor digest is set"),
        (image(tag=None, digest=None), "image_ref: image: neither tag nor digest is set"),
        (image(tag="", digest="sha256:abc"), f"image_ref: image.digest: 'sha256:abc' {DIGEST_RULE}"),
        (
            image(repository="", tag=""),
            "image_ref: image.repository: must not be empty; image: neither tag nor digest is set",
        ),
    ],
)
def test_image_ref_rejects(value, message):
    with pytest.raises(AnsibleFilterError) as info:
        image_ref(value)
    assert str(info.value) == message


@pytest.mark.parametrize(
    "value",
    [
        image(),
        image(tag="v1.4.2-rc.1_build"),
        image(tag="_x"),
        image(tag="a" * 128),
        image(tag="", digest=DIGEST),
        image(tag="latest", digest=DIGEST),
        image(registry=None, digest=None),
    ],
)
@pytest.mark.parametrize("require_pinned", [False, True])
def test_image_errors_valid(value, require_pinned):
    assert image_errors(value, VAR, require_pinned) == []


@pytest.mark.parametrize("tag", ["latest", "LATEST", "Latest", "stable", "main", "nightly"])
def test_image_errors_floating_tag_allowed_unless_pinned(tag):
    assert image_errors(image(tag=tag), VAR) == []
    assert image_errors(image(tag=tag), VAR, require_pinned=True) == [
        f"{VAR}.tag: {tag!r} is a floating tag, not allowed in production; pin a version tag or a digest"
    ]


def test_image_errors_latest_message_matches_spec():
    assert image_errors(image(tag="latest"), VAR, True) == [
        "core_engine_image.tag: 'latest' is a floating tag, not allowed in production; pin a version tag or a digest"
    ]


@pytest.mark.parametrize("tag", ["7.0", "1.4.2", "v2", "2026.01.3-rc1"])
def test_image_errors_version_tags_pass_in_production(tag):
    assert image_errors(image(tag=tag), VAR, require_pinned=True) == []


@pytest.mark.parametrize("registry", ["ghcr.io", "registry.local:5000", "10.0.0.1:5000", "localhost", "Quay.IO"])
def test_image_errors_registry_hosts_pass(registry):
    assert image_errors(image(registry=registry), VAR) == []


@pytest.mark.parametrize("registry", ["https://ghcr.io", "ghcr.io/botcore", "ghcr .io", "-ghcr.io", "ghcr.io:"])
def test_image_errors_registry_not_a_host_fails(registry):
    assert image_errors(image(registry=registry), VAR) == [
        f"{VAR}.registry: {registry!r} is not a registry host (a DNS name or address with an optional :port; "
        "no scheme, path or spaces)"
    ]


@pytest.mark.parametrize("repository", ["nginx", "library/mongo", "botcore/core-engine", "a/b_c/d__e/f.g", "x--y"])
def test_image_errors_repositories_pass(repository):
    assert image_errors(image(repository=repository), VAR) == []


@pytest.mark.parametrize(
    "repository",
    ["BotCore/engine", "botcore//engine", "/botcore", "botcore/", "bot core", "engine:1.0", "engine@sha256", "a/-b"],
)
def test_image_errors_repository_not_a_reference_fails(repository):
    assert image_errors(image(repository=repository), VAR) == [
        f"{VAR}.repository: {repository!r} is not an image repository (lowercase letters, digits and "
        "separators '.', '_', '-', in components joined by single '/'; the tag and digest have their own fields)"
    ]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, [f"{VAR}: must be a dict with registry, repository, tag and digest, got None"]),
        (["nginx"], [f"{VAR}: must be a dict with registry, repository, tag and digest, got ['nginx']"]),
        (image(repository=""), [f"{VAR}.repository: must not be empty"]),
        ({"tag": "1"}, [f"{VAR}.repository: must not be empty"]),
        (image(tag=""), [f"{VAR}: neither tag nor digest is set"]),
        ({"repository": "nginx"}, [f"{VAR}: neither tag nor digest is set"]),
        (image(digest="sha256:abc"), [f"{VAR}.digest: 'sha256:abc' {DIGEST_RULE}"]),
        (image(digest=DIGEST.upper()), [f"{VAR}.digest: {DIGEST.upper()!r} {DIGEST_RULE}"]),
        (image(digest="md5:" + "0" * 32), [f"{VAR}.digest: {'md5:' + '0' * 32!r} {DIGEST_RULE}"]),
        (image(digest=DIGEST + "0"), [f"{VAR}.digest: {DIGEST + '0'!r} {DIGEST_RULE}"]),
        (image(tag=".hidden"), [f"{VAR}.tag: '.hidden' is not a valid tag {TAG_RULE}"]),
        (image(tag="-rc"), [f"{VAR}.tag: '-rc' is not a valid tag {TAG_RULE}"]),
        (image(tag="1.4:2"), [f"{VAR}.tag: '1.4:2' is not a valid tag {TAG_RULE}"]),
        (image(tag="a" * 129), [f"{VAR}.tag: {'a' * 129!r} is not a valid tag {TAG_RULE}"]),
        (image(tag=1.1), [f"{VAR}.tag: 1.1 must be a string; quote it in YAML"]),
        (image(registry=5000), [f"{VAR}.registry: 5000 must be a string; quote it in YAML"]),
        (image(repository=["x"]), [f"{VAR}.repository: ['x'] must be a string; quote it in YAML"]),
        (image(tag="", digest=False), [f"{VAR}.digest: False must be a string; quote it in YAML"]),
        (
            {"repository": "", "tag": "", "digest": ""},
            [f"{VAR}.repository: must not be empty", f"{VAR}: neither tag nor digest is set"],
        ),
    ],
)
def test_image_errors(value, expected):
    assert image_errors(value, VAR) == expected


def test_image_errors_reports_everything_at_once():
    assert image_errors({"repository": "", "tag": "LATEST", "digest": "sha256:x"}, VAR, require_pinned=True) == [
        f"{VAR}.repository: must not be empty",
        f"{VAR}.digest: 'sha256:x' {DIGEST_RULE}",
    ]
