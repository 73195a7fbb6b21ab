"""Pickup tokens: genuine ones verify offline; forged, expired or other-station ones don't."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from hypothesis import given
from hypothesis import strategies as st

from edge.collect import PREFIX, Pickup, TokenRefused, sign, verify

NOW = datetime(2026, 11, 28, 10, 0, tzinfo=UTC)
KEY = Ed25519PrivateKey.generate()
PUBLIC = KEY.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
PICKUP = Pickup("SZ-NS-0042", ("SF1234567890123", "YT9876543210"), NOW + timedelta(days=7))


def refused(code: str, station: str = "SZ-NS-0042", now: datetime = NOW) -> str:
    with pytest.raises(TokenRefused) as caught:
        verify(code, PUBLIC, station, now)
    return caught.value.key


def test_a_genuine_token_names_station_waybills_and_expiry() -> None:
    code = sign(PICKUP, KEY)
    assert code.startswith(PREFIX) and len(code) < 200  # small enough for a gun's QR read
    assert verify(code, PUBLIC, "SZ-NS-0042", NOW) == PICKUP


def test_expired_and_other_station_tokens_are_refused() -> None:
    code = sign(PICKUP, KEY)
    assert refused(code, now=PICKUP.expires) == "collect_expired"
    assert refused(code, station="BJ-CY-0001") == "collect_other_station"


def test_a_token_signed_by_another_key_is_forged() -> None:
    assert refused(sign(PICKUP, Ed25519PrivateKey.generate())) == "collect_forged"


def test_a_waybill_swapped_in_breaks_the_signature() -> None:
    genuine = sign(PICKUP, KEY)
    other = sign(Pickup(PICKUP.station, ("SF9999999999999", "YT9876543210"), PICKUP.expires), KEY)
    # Take the other token's payload with the genuine signature.
    assert refused(other[:-86] + genuine[-86:]) == "collect_forged"


@given(st.text(max_size=300))
def test_any_text_after_the_prefix_is_refused_plainly(junk: str) -> None:
    assert refused(PREFIX + junk) == "collect_forged"
