from pathlib import Path

import pytest
from rasa_hybrid.llm.offers import OfferCatalog, OfferConfigError

from tests.conftest import PROJECT_ROOT, load_yaml


@pytest.fixture(scope="module")
def catalog() -> OfferCatalog:
    return OfferCatalog.load(PROJECT_ROOT / "data" / "llm_offers.yml")


@pytest.mark.parametrize(
    "text",
    [
        "my washer is leaking",
        "the dryer won't start",
        "my dishwasher shows error E21",
        "why is my washing machine so noisy",
        "the fridge stopped cooling",
    ],
)
def test_appliance_trouble_offers_a_repair_visit(catalog, text):
    assert catalog.choose([text]) == ["utter_offer_repair_visit"]


@pytest.mark.parametrize(
    "text", ["where is my new fridge", "when will my delivery arrive"]
)
def test_delivery_questions_offer_order_tracking(catalog, text):
    assert catalog.choose([text]) == ["utter_offer_order_tracking"]


def test_small_talk_offers_nothing(catalog):
    assert catalog.choose(["how are you", "I'm fine, thanks for asking!"]) == []


def test_the_reply_can_trigger_an_offer(catalog):
    reply = "That sounds like a worn drum bearing; a technician should look at it."
    assert catalog.choose(["it rumbles", reply]) == ["utter_offer_repair_visit"]


def test_no_offer_of_the_task_already_running(catalog):
    assert (
        catalog.choose(["my washer is leaking"], active_loop="appointment_form") == []
    )


def test_a_high_nlu_ranking_is_enough(catalog):
    ranking = [
        {"name": "nlu_fallback", "confidence": 0.6},
        {"name": "track_order", "confidence": 0.35},
    ]
    assert catalog.choose(["hmm"], ranking) == ["utter_offer_order_tracking"]
    low = [{"name": "track_order", "confidence": 0.1}]
    assert catalog.choose(["hmm"], low) == []


def test_every_offer_is_a_domain_response_with_a_button(catalog, domain):
    assert catalog.offers
    for offer in catalog.offers:
        variants = domain["responses"][offer.response]
        assert all(variant.get("buttons") for variant in variants)


def test_offer_buttons_start_known_intents(catalog, domain):
    for offer in catalog.offers:
        for variant in domain["responses"][offer.response]:
            for button in variant["buttons"]:
                intent = button["payload"].lstrip("/").split("{")[0]
                assert intent in domain["intents"]


def test_no_file_means_no_offers(tmp_path: Path):
    assert OfferCatalog.load(tmp_path / "none.yml").choose(["leaking"]) == []


def test_a_broken_pattern_is_reported(tmp_path: Path):
    path = tmp_path / "offers.yml"
    path.write_text("offers:\n  - response: utter_x\n    patterns: ['(']\n")
    with pytest.raises(OfferConfigError, match=r"offers\.yml"):
        OfferCatalog.load(path)


def test_the_offers_file_is_valid_yaml():
    assert load_yaml("data/llm_offers.yml")["offers"]
