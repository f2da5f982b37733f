"""The services' error answers as the portal and the command line show them."""

from __future__ import annotations

import httpx

from marketplace_platform.api_answers import error_detail


def test_a_domain_error_shows_its_detail() -> None:
    answer = httpx.Response(409, json={"detail": "the need was changed meanwhile"})
    assert error_detail(answer) == "the need was changed meanwhile"


def test_a_validation_list_shows_each_field_and_its_rule() -> None:
    body = {
        "detail": [
            {"loc": ["body", "cpv_codes", 0], "msg": "unknown CPV code", "type": "value_error"},
            {"loc": ["body", "title"], "msg": "Field required", "type": "missing"},
        ]
    }
    assert error_detail(httpx.Response(422, json=body)) == (
        "cpv_codes.0: unknown CPV code; title: Field required"
    )


def test_an_answer_that_is_not_json_shows_its_text_or_reason() -> None:
    assert error_detail(httpx.Response(502, text="Bad gateway from proxy")) == (
        "Bad gateway from proxy"
    )
    assert error_detail(httpx.Response(503, text="")) == "Service Unavailable"
