from node.web.negotiation import ACTIVITY_JSON, HTML, LD_JSON, LINKED_DATA_OFFERS, TURTLE, choose


def test_no_accept_header_gets_activity_json() -> None:
    assert choose(None, LINKED_DATA_OFFERS) == ACTIVITY_JSON
    assert choose("*/*", LINKED_DATA_OFFERS) == ACTIVITY_JSON


def test_browser_gets_html() -> None:
    accept = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
    assert choose(accept, LINKED_DATA_OFFERS) == HTML


def test_specific_types_and_weights() -> None:
    assert choose("text/turtle", LINKED_DATA_OFFERS) == TURTLE
    assert (
        choose('application/ld+json; profile="https://www.w3.org/ns/activitystreams"', LINKED_DATA_OFFERS)
        == LD_JSON
    )
    assert choose("text/turtle;q=0.5, application/ld+json", LINKED_DATA_OFFERS) == LD_JSON
    assert choose("text/*", LINKED_DATA_OFFERS) == TURTLE


def test_nothing_acceptable() -> None:
    assert choose("image/png", LINKED_DATA_OFFERS) is None
    assert choose("text/turtle;q=0", LINKED_DATA_OFFERS[3:4]) is None
