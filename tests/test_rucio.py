"""The ``rucio`` data service against a real Rucio server on loopback (harness/rucio.py)."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest

from esap import basket as basket_api
from esap.basket.download import download
from esap.basket.models import DataItem
from esap.data.base import Query, ServiceEntry
from esap.data.federation import Federation
from esap.data.rucio import RucioError, RucioService, TokenRefused
from harness.rucio import RucioLake

TOKEN_ENV = "ESAP_ACCESS_TOKEN_RUCIO"


def lake_service(lake: RucioLake, **options: object) -> RucioService:
    entry = ServiceEntry(
        name="lake",
        type="rucio",
        url=lake.url,
        options={"audience": "rucio", "scope": lake.scope, **options},
    )
    return RucioService(entry)


@pytest.fixture
def as_alice(rucio_lake: RucioLake, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> RucioLake:
    """Alice's server: her Rucio token in the environment, her home and state in tmp."""
    monkeypatch.setenv(TOKEN_ENV, rucio_lake.alice_token)
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("ESAP_STATE_DIR", str(tmp_path / ".esap"))
    return rucio_lake


def test_search_lists_files_of_matching_datasets_with_replicas(as_alice: RucioLake) -> None:
    table = lake_service(as_alice).search(Query(text="obs*"))
    files = {row["did"]: row for row in table if row["did_type"] == "file"}
    assert set(files) == set(as_alice.files)
    for did, lake_file in as_alice.files.items():
        row = files[did]
        assert row["dataset"] == lake_file.dataset
        assert row["bytes"] == len(lake_file.content)
        assert row["md5"] == lake_file.md5
        assert row["adler32"] == lake_file.adler32
        assert row["rses"] == as_alice.lake_rse
        assert row["access_url"] == lake_file.pfn
    assert lake_service(as_alice).roles(table)["access_url"] == "access_url"


def test_search_by_metadata_and_name_pattern(as_alice: RucioLake) -> None:
    service = lake_service(as_alice)
    spectra = service.search(Query(params={"metadata": {"datatype": "spectrum"}}))
    assert sorted(spectra["did"]) == ["lofar:L200_spec.fits"]
    datasets = service.search(Query(params={"name": "obs1", "expand": False}))
    assert list(datasets["did"]) == ["lofar:obs1"]
    assert list(datasets["did_type"]) == ["dataset"]
    single = service.search(Query(params={"name": "L100_*", "did_type": "file"}))
    assert sorted(single["name"]) == ["L100_SB000.fits", "L100_SB001.fits"]
    nothing = service.search(Query(params={"name": "nomatch*"}))
    assert len(nothing) == 0
    assert "access_url" in nothing.colnames


def test_files_of_a_dataset_with_rse_and_pfn(as_alice: RucioLake) -> None:
    files = lake_service(as_alice).files("lofar:obs1")
    expected = {d: f for d, f in as_alice.files.items() if f.dataset == "lofar:obs1"}
    assert {f["did"] for f in files} == set(expected)
    for entry in files:
        assert entry["replicas"] == [{"rse": as_alice.lake_rse, "pfn": expected[entry["did"]].pfn}]
        assert entry["md5"] == expected[entry["did"]].md5


def test_basket_download_of_a_file_is_checked(as_alice: RucioLake, tmp_path: Path) -> None:
    table = lake_service(as_alice).search(Query(params={"name": "obs*"}))
    good = table[table["did"] == "lofar:L100_SB001.fits"]
    bad = table[table["did"] == "lofar:bad.fits"]
    ids = basket_api.add(good, service="lake") + basket_api.add(bad, service="lake")
    items = [basket_api.get(item_id) for item_id in ids]
    assert isinstance(items[0], DataItem)
    assert items[0].checksum == f"md5:{as_alice.files['lofar:L100_SB001.fits'].md5}"
    results = download(items, "lake-files")
    by_item = {r.item: r for r in results}
    done = by_item[ids[0]]
    assert done.state == "done", done.error
    assert Path(done.path or "").read_bytes() == as_alice.files["lofar:L100_SB001.fits"].content
    refused = by_item[ids[1]]
    assert refused.state == "error"
    assert "md5 checksum" in (refused.error or "")
    assert not (tmp_path / "lake-files" / "bad.fits").exists()


def test_bring_downloads_a_dataset_checked(as_alice: RucioLake, tmp_path: Path) -> None:
    answer = lake_service(as_alice).bring("lofar:obs1", folder="from-lake")
    assert answer["action"] == "download"
    written = {f["did"]: Path(f["path"]) for f in answer["files"]}
    expected = {d: f for d, f in as_alice.files.items() if f.dataset == "lofar:obs1"}
    assert set(written) == set(expected)
    for did, path in written.items():
        assert tmp_path in path.parents
        assert path.read_bytes() == expected[did].content
    with pytest.raises(RucioError, match=r"md5 checksum|adler32"):
        lake_service(as_alice).bring("lofar:obs3", folder="from-lake")
    assert not list((tmp_path / "from-lake").rglob("bad.fits"))
    with pytest.raises(RucioError, match=r"adler32 .* does not match Rucio's 00000001"):
        lake_service(as_alice).bring("lofar:obs4", folder="from-lake")
    assert not list((tmp_path / "from-lake").rglob("adler.fits*"))


def test_bring_with_an_rse_makes_a_rule_for_the_user(as_alice: RucioLake) -> None:
    service = lake_service(as_alice, rse=as_alice.lab_rse, mount="/lake")
    answer = service.bring("lofar:obs2")
    assert answer["action"] == "rule"
    assert answer["mount"] == "/lake"
    rule = as_alice.root_client().get_replication_rule(answer["rule_id"])
    assert rule["rse_expression"] == as_alice.lab_rse
    assert rule["account"] == "alice"
    assert (rule["scope"], rule["name"]) == ("lofar", "obs2")


def test_wrong_scope_and_token_are_named_and_the_token_stays_secret(
    as_alice: RucioLake, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    service = lake_service(as_alice)
    federation = Federation([service], Query(params={"scope": "nosuchscope"}))
    events = list(federation.events())
    errors = [e for e in events if e["event"] == "error"]
    assert len(errors) == 1
    assert "scope 'nosuchscope' does not exist" in errors[0]["message"]
    assert "lofar" in errors[0]["fix"]  # the scopes there, to pick from
    good = list(Federation([service], Query(text="obs1")).events())
    assert [e["event"] for e in good if e["event"] in ("rows", "error")] == ["rows"]
    text = json.dumps(events + good) + caplog.text
    assert as_alice.alice_token not in text

    monkeypatch.setenv(TOKEN_ENV, as_alice.alice_token + "x")
    with pytest.raises(TokenRefused, match="log in again") as refused:
        service.search(Query(text="obs1"))
    assert as_alice.alice_token not in str(refused.value)
    monkeypatch.delenv(TOKEN_ENV)
    with pytest.raises(RucioError, match=TOKEN_ENV):
        service.search(Query(text="obs1"))
    assert as_alice.alice_token not in caplog.text


def test_a_notebook_gets_the_lake_with_the_admins_options(
    as_alice: RucioLake, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import yaml

    from esap.data.rucio import lake
    from harness.hub import hub_config

    entry = {
        "name": "lake",
        "type": "rucio",
        "url": as_alice.url,
        "options": {"audience": "rucio", "scope": "lofar", "rse": as_alice.lab_rse},
    }
    oidc = {
        "issuer": "https://iam.example.org/",
        "client_id": "esap",
        "client_secret": "env:ESAP_TEST_OIDC_SECRET",
        "audiences": {"rucio": as_alice.url},
    }
    auth = {"type": "oidc", "oidc": oidc}
    config = hub_config(tmp_path, {"data_services": [entry], "auth": auth})
    path = tmp_path / "esap.yaml"
    path.write_text(yaml.safe_dump(config))
    for variable in ("ESAP_TEST_SERVICE_TOKEN", "ESAP_TEST_OIDC_SECRET"):
        monkeypatch.setenv(variable, "test-value")
    service = lake("lake", config=path)
    assert service.token_variable() == TOKEN_ENV
    assert service.bring("obs1")["rse"] == as_alice.lab_rse  # scope and RSE from esap.yaml
    with pytest.raises(RucioError, match="no data service named 'nope'"):
        lake("nope", config=path)
