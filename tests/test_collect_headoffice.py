"""Head office serves its public key and the pickup page; a station pulls the key once."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import requests

from edge.collect import verify
from edge.store import Store
from sync.client import HeadOfficeClient
from sync.headoffice.config import parse
from sync.headoffice.notify.pickup import Links, public_key, signing_key
from sync.station.collect_key import pull_once
from tests.sync_fixtures import STATION, Receiver, start_receiver

WAYBILL = "SF1234567890123"


@pytest.fixture
def receiver(tmp_path: Path) -> Iterator[Receiver]:
    (tmp_path / "head-office").mkdir()
    (tmp_path / "head-office" / "head-office.toml").write_text(
        '[notify]\ncollect_url = "https://ho.example.com/"\n'
        f'[[notify.stations]]\ncode = "{STATION}"\nname = "南山驿站"\naddress = "科技园12栋"\n',
        encoding="utf-8",
    )
    r = start_receiver(tmp_path)
    yield r
    r.running.close()


def _links(receiver: Receiver) -> Links:
    text = (receiver.data_dir / "head-office.toml").read_text(encoding="utf-8")
    return Links(parse(text).notify, receiver.data_dir)


def test_the_link_opens_a_page_with_the_qr(receiver: Receiver) -> None:
    now = datetime.now(UTC)
    link = _links(receiver)(STATION, [WAYBILL], now)
    assert link.startswith("https://ho.example.com/collect/YZQ1:")
    path = link.removeprefix("https://ho.example.com")
    resp = requests.get(receiver.url + path, timeout=5)
    assert resp.status_code == 200 and "no-store" in resp.headers["Cache-Control"]
    assert "南山驿站" in resp.text and "科技园12栋" in resp.text and "0123" in resp.text
    assert 'src="data:image/png;base64,' in resp.text
    assert WAYBILL not in resp.text  # only its last 4 are shown
    token = path.removeprefix("/collect/")
    tampered = token[:-3] + ("AAA" if token[-3:] != "AAA" else "BBB")
    assert requests.get(f"{receiver.url}/collect/{tampered}", timeout=5).status_code == 404
    expired = _links(receiver)(STATION, [WAYBILL], now - timedelta(days=30))
    old = requests.get(receiver.url + expired.removeprefix("https://ho.example.com"), timeout=5)
    assert old.status_code == 410 and "过期" in old.text
    assert requests.get(f"{receiver.url}/collect/whatever", timeout=5).status_code == 404


def test_a_station_pulls_the_key_once_and_verifies_offline(
    receiver: Receiver, store: Store
) -> None:
    client = HeadOfficeClient(receiver.url, receiver.token)
    pull_once(client, store)
    raw = public_key(signing_key(receiver.data_dir))
    assert store.collect_key() == raw
    receiver.running.close()  # offline from here on
    pull_once(client, store)  # already kept: no request, no error
    token = _links(receiver)(STATION, [WAYBILL], datetime.now(UTC)).rsplit("/", 1)[1]
    key = store.collect_key()
    assert key is not None
    assert verify(token, key, STATION, datetime.now(UTC)).waybills == (WAYBILL,)
    client.close()
