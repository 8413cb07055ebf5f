import pytest
from rasa_hybrid.guards.pii import PiiRedactor, PiiRules, apply_redaction, find_pii

from tests.conftest import load_yaml

RULES = PiiRules.load()


@pytest.fixture(scope="module")
def redactor():
    return PiiRedactor()


@pytest.mark.parametrize(
    "text, expected",
    [
        ("mail me at dana.w+acme@example.co.uk", "mail me at [EMAIL]"),
        ("call (555) 123-4567 or +1 555.987.6543", "call [PHONE] or [PHONE]"),
        (
            "card 4111 1111 1111 1111, exp 09/27",
            "card [CARD NUMBER], exp [CARD EXPIRY]",
        ),
        (
            "amex 3782-822463-10005 security code 4321",
            "amex [CARD NUMBER] security code [CARD CODE]",
        ),
        (
            "ups 1Z999AA10123456784, fedex 612999882016",
            "ups [TRACKING NUMBER], fedex [TRACKING NUMBER]",
        ),
        ("order a1234 or B-2345", "order [ORDER NUMBER] or [ORDER NUMBER]"),
        ("ssn 123-45-6789", "ssn [ID NUMBER]"),
        ("zip 94110-1234", "zip [ZIP CODE]"),
        ("I live at 12 Baker Street, Springfield, IL 62704.", "I live at [ADDRESS]."),
    ],
)
def test_patterns_replace_personal_data_with_placeholders(text, expected):
    assert apply_redaction(text, find_pii(text, RULES), RULES).text == expected


@pytest.mark.parametrize(
    "text",
    [
        "call 1-800-555-0142 or write to care@acme-appliances.example",
        "or call (800) 555-0142, the same number written another way",
        "my Acme FrontLoad shows E4 after 10 minutes at 40 degrees",
        "is the 2 year warranty valid for 3 washers?",
    ],
)
def test_company_contacts_products_and_ordinary_numbers_stay(redactor, text):
    assert redactor.redact(text).text == text


def test_names_come_from_spacy_and_are_replaced(redactor):
    result = redactor.redact("Hi, this is Maria Lopez, my washer leaks")
    assert result.text == "Hi, this is [NAME], my washer leaks"
    assert result.labels == ["person"]


def test_findings_say_what_was_found_but_not_the_text(redactor):
    result = redactor.redact("jane@example.com")
    assert [(f.label, f.start, f.end) for f in result.findings] == [("email", 0, 16)]
    assert "jane" not in repr(result.findings)


def test_every_personal_string_of_the_red_team_suite_is_redacted(redactor):
    cases = load_yaml("tests/redteam/adversarial.yml")["cases"]
    missed = [
        (case["id"], secret)
        for case in cases
        for turn in case["turns"]
        for secret in case.get("pii", ())
        if secret in turn and secret in redactor.redact(turn).text
    ]
    assert missed == []


def test_an_injected_recogniser_replaces_spacy():
    redactor = PiiRedactor(RULES, entities=lambda text: [(0, 3, "PERSON")])
    assert redactor.redact("Bob is here").text == "[NAME] is here"


def test_huge_text_is_handled(redactor):
    text = "my email is a@b.co " * 20_000
    assert "a@b.co" not in redactor.redact(text).text


def test_a_conversation_s_texts_are_recognised_once_and_kept_apart():
    from rasa_hybrid.guards.pii import ConversationRedactions

    seen = []

    def names(text):
        seen.append(text)
        return [(0, 3, "PERSON")] if text.startswith("Ann") else []

    texts = ConversationRedactions(PiiRedactor(RULES, entities=names), max_entries=2)
    first = texts.redact("c1", "Ann here, mail ann@example.com")
    assert first.text == "[NAME] here, mail [EMAIL]"
    assert texts.redact("c1", "Ann here, mail ann@example.com") == first
    assert seen == ["Ann here, mail ann@example.com"]
    texts.redact("c2", "Ann here, mail ann@example.com")  # another conversation
    assert len(seen) == 2
    texts.redact("c1", "hello")  # past the bound: the oldest entry goes
    texts.redact("c1", "Ann here, mail ann@example.com")
    assert len(seen) == 4
