# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

import pytest
from ansible.errors import AnsibleFilterError
from ansible_collections.botcore.platform.plugins.filter.network import (
    FilterModule,
    hostname_errors,
    mongodb_members,
    mongodb_uri,
)

VAR = "ingress_hosts"
RULE = (
    "is not an RFC 1123 DNS name (lowercase letters, digits, '-' and '.'; labels of 1 to 63 characters "
    "that start and end with a letter or digit; at most 253 characters; an optional leading '*.')"
)
MEMBERS = ["mongo-0.mongo:27017", "mongo-1.mongo:27017", "mongo-2.mongo:27017"]
LONGEST = ".".join(["a" * 63] * 3 + ["b" * 61])  # 253 characters


def test_filter_module_exposes_filters():
    assert FilterModule().filters() == {
        "hostname_errors": hostname_errors,
        "mongodb_uri": mongodb_uri,
        "mongodb_members": mongodb_members,
    }


@pytest.mark.parametrize(
    "hosts",
    [
        [],
        "botcore.example.com",
        ["botcore.example.com", "api.botcore.example.com"],
        ["localhost", "a", "0", "123.example", "x-1.y--2.z"],
        ["*.botcore.example.com", "*.a"],
        [LONGEST, f"*.{LONGEST}", "a" * 63],
        ("grafana.example.com",),
    ],
)
def test_hostname_errors_valid(hosts):
    assert hostname_errors(hosts, VAR) == []


@pytest.mark.parametrize(
    "host",
    [
        "",
        "Botcore.example.com",
        "bot_core.example.com",
        "-botcore.example.com",
        "botcore-.example.com",
        "botcore..example.com",
        ".botcore.example.com",
        "botcore.example.com.",
        "a" * 64,
        LONGEST + "b",
        "*",
        "*.",
        "**.example.com",
        "api.*.example.com",
        "*example.com",
        "botcore.example.com:443",
        "https://botcore.example.com",
        " botcore.example.com",
        "bücher.example",
    ],
)
def test_hostname_errors_invalid_in_list(host):
    assert hostname_errors(["ok.example.com", host], VAR) == [f"{VAR}[1]: {host!r} {RULE}"]


def test_hostname_errors_single_string_has_no_index():
    assert hostname_errors("Bad.example.com", "grafana_host") == [f"grafana_host: 'Bad.example.com' {RULE}"]


def test_hostname_errors_reports_each_bad_entry():
    assert hostname_errors(["a_b", "ok", 42, None], VAR) == [
        f"{VAR}[0]: 'a_b' {RULE}",
        f"{VAR}[2]: 42 {RULE}",
        f"{VAR}[3]: None {RULE}",
    ]


@pytest.mark.parametrize("hosts", [None, 42, {"host": "a.example.com"}])
def test_hostname_errors_not_a_list(hosts):
    assert hostname_errors(hosts, VAR) == [f"{VAR}: must be a host name or a list of host names, got {hosts!r}"]


def test_mongodb_uri():
    assert mongodb_uri(MEMBERS, "botcore", "s3cret", "botcore", "rs0") == (
        "mongodb://botcore:s3cret@mongo-0.mongo:27017,mongo-1.mongo:27017,mongo-2.mongo:27017"
        "/botcore?replicaSet=rs0&authSource=admin"
    )


def test_mongodb_uri_percent_encodes_credentials():
    uri = mongodb_uri(["db:27017"], "bot@core:1", "p@ss/w:rd?#%+ é", "botcore", "rs0", auth_source="botcore")
    assert (
        uri
        == "mongodb://bot%40core%3A1:p%40ss%2Fw%3Ard%3F%23%25%2B%20%C3%A9@db:27017/botcore?replicaSet=rs0&authSource=botcore"
    )


def test_mongodb_uri_options():
    options = {"tls": True, "retryWrites": False, "w": "majority", "maxPoolSize": 50, "readPreference": "secondary"}
    assert mongodb_uri(["db:27017"], "u", "p", "d", "rs 0", options=options) == (
        "mongodb://u:p@db:27017/d?replicaSet=rs%200&authSource=admin"
        "&tls=true&retryWrites=false&w=majority&maxPoolSize=50&readPreference=secondary"
    )


@pytest.mark.parametrize("options", [None, {}])
def test_mongodb_uri_no_options(options):
    assert mongodb_uri(["db:27017"], "u", "p", "d", "rs0", options=options).endswith("?replicaSet=rs0&authSource=admin")


@pytest.mark.parametrize("members", [["[::1]:27017"], ["10.0.0.5:1"], ["db:65535"]])
def test_mongodb_uri_member_forms(members):
    assert mongodb_uri(members, "u", "p", "d", "rs0").startswith(f"mongodb://u:p@{members[0]}/d?")


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"members": []}, "mongodb_uri: members must be a non-empty list of 'host:port' strings, got []"),
        ({"members": None}, "mongodb_uri: members must be a non-empty list of 'host:port' strings, got None"),
        (
            {"members": "db:27017"},
            "mongodb_uri: members must be a non-empty list of 'host:port' strings, got 'db:27017'",
        ),
        ({"members": ["db"]}, "mongodb_uri: members[0]: 'db' is not a 'host:port' string"),
        ({"members": ["db:27017", "db2:"]}, "mongodb_uri: members[1]: 'db2:' is not a 'host:port' string"),
        ({"members": [":27017"]}, "mongodb_uri: members[0]: ':27017' is not a 'host:port' string"),
        ({"members": ["db:27017/x"]}, "mongodb_uri: members[0]: 'db:27017/x' is not a 'host:port' string"),
        ({"members": ["a@db:27017"]}, "mongodb_uri: members[0]: 'a@db:27017' is not a 'host:port' string"),
        ({"members": [27017]}, "mongodb_uri: members[0]: 27017 is not a 'host:port' string"),
        ({"members": ["db:0"]}, "mongodb_uri: members[0] port must be between 1 and 65535, got 0"),
        ({"members": ["db:65536"]}, "mongodb_uri: members[0] port must be between 1 and 65535, got 65536"),
        ({"username": ""}, "mongodb_uri: username must not be empty"),
        ({"username": None}, "mongodb_uri: username must be a string, got NoneType"),
        ({"password": ""}, "mongodb_uri: password must not be empty"),
        ({"password": 12345}, "mongodb_uri: password must be a string, got int"),
        ({"database": ""}, "mongodb_uri: database must not be empty"),
        ({"replica_set": ""}, "mongodb_uri: replica_set must not be empty"),
        ({"auth_source": None}, "mongodb_uri: auth_source must be a string, got NoneType"),
        ({"options": "tls=true"}, "mongodb_uri: options must be a dict, got 'tls=true'"),
        ({"options": {1: "x"}}, "mongodb_uri: options key 1 must be a string"),
        (
            {"options": {"replicaset": "rs1"}},
            "mongodb_uri: options.replicaset is not allowed; use the replica_set and auth_source arguments",
        ),
        (
            {"options": {"authSource": "x"}},
            "mongodb_uri: options.authSource is not allowed; use the replica_set and auth_source arguments",
        ),
        ({"options": {"w": None}}, "mongodb_uri: options.w: None must be a string, number or boolean"),
        ({"options": {"hosts": ["a"]}}, "mongodb_uri: options.hosts: ['a'] must be a string, number or boolean"),
    ],
)
def test_mongodb_uri_rejects(kwargs, message):
    arguments = {"members": MEMBERS, "username": "u", "password": "p", "database": "d", "replica_set": "rs0", **kwargs}
    with pytest.raises(AnsibleFilterError) as info:
        mongodb_uri(**arguments)
    assert str(info.value) == message


def test_mongodb_uri_keeps_password_out_of_errors():
    with pytest.raises(AnsibleFilterError) as info:
        mongodb_uri(MEMBERS, "u", 987654321, "d", "rs0")
    assert "987654321" not in str(info.value)


def test_mongodb_members():
    assert mongodb_members("mongodb", "mongodb-headless", "botcore", 3) == [
        "mongodb-0.mongodb-headless.botcore.svc.cluster.local:27017",
        "mongodb-1.mongodb-headless.botcore.svc.cluster.local:27017",
        "mongodb-2.mongodb-headless.botcore.svc.cluster.local:27017",
    ]


def test_mongodb_members_custom_port_and_domain():
    assert mongodb_members("db", "db-hl", "data", "1", port="27018", cluster_domain="k8s.internal") == [
        "db-0.db-hl.data.svc.k8s.internal:27018"
    ]


def test_mongodb_members_feed_mongodb_uri():
    members = mongodb_members("db", "db-hl", "data", 2)
    assert mongodb_uri(members, "u", "p", "d", "rs0") == (
        "mongodb://u:p@db-0.db-hl.data.svc.cluster.local:27017,db-1.db-hl.data.svc.cluster.local:27017"
        "/d?replicaSet=rs0&authSource=admin"
    )


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"statefulset_name": ""}, "mongodb_members: statefulset_name must not be empty"),
        ({"service_name": None}, "mongodb_members: service_name must be a string, got NoneType"),
        ({"namespace": ""}, "mongodb_members: namespace must not be empty"),
        ({"cluster_domain": ""}, "mongodb_members: cluster_domain must not be empty"),
        ({"replicas": 0}, "mongodb_members: replicas must be at least 1, got 0"),
        ({"replicas": "three"}, "mongodb_members: replicas: 'three' is not an integer"),
        ({"replicas": True}, "mongodb_members: replicas: True is not an integer"),
        ({"port": 0}, "mongodb_members: port must be between 1 and 65535, got 0"),
        ({"port": 70000}, "mongodb_members: port must be between 1 and 65535, got 70000"),
        ({"port": 27017.0}, "mongodb_members: port: 27017.0 is not an integer"),
    ],
)
def test_mongodb_members_rejects(kwargs, message):
    arguments = {"statefulset_name": "db", "service_name": "db-hl", "namespace": "data", "replicas": 3, **kwargs}
    with pytest.raises(AnsibleFilterError) as info:
        mongodb_members(**arguments)
    assert str(info.value) == message


@pytest.mark.parametrize("host", ["10.0.0.1", "192.168.1.20", "::1", "[2001:db8::1]"])
def test_hostname_errors_refuses_an_ip_address_where_a_name_is_required(host):
    assert hostname_errors(host, "platform_hosts.api") == [
        f"platform_hosts.api: {host!r} is an IP address; a host name is required (Ingress and HTTPRoute hosts and "
        "certificate DNS names cannot be IP addresses)"
    ]


def test_hostname_errors_takes_digits_in_names_as_names():
    assert hostname_errors(["1password.example.com", "10-0-0-1.nip.example"], "platform_hosts.dashboard") == []
