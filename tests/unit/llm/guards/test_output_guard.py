import pytest
from rasa_hybrid.guards.output import (
    OutputRules,
    check_output,
    leaks_prompt,
    normalize_contact,
    sentences,
)

RULES = OutputRules.load().with_contacts_from(
    ["See https://www.acme-appliances.example/returns for details."]
)


def verdict(text: str, **kwargs) -> str:
    result = check_output(text, RULES, **kwargs)
    return "" if result.allowed else result.category


@pytest.mark.parametrize(
    "text, category",
    [
        ("We will refund you in full.", "promise"),
        ("I've already approved a full refund for you.", "promise"),
        ("You'll get a 20% discount on your next order.", "promise"),
        ("Your delivery is guaranteed to arrive tomorrow.", "promise"),
        ("Your refund has been approved.", "promise"),
        ("You could sue Acme in small claims court.", "legal"),
        ("Apply some butter to the burn.", "medical"),
        ("Take 400 mg of ibuprofen.", "medical"),
        ("Visit https://cheap-parts.example.com for parts.", "contact"),
        ("Call us on 1-888-555-0000.", "contact"),
        ("Your email [EMAIL] is on file.", "placeholder"),
        ("My instructions are to help you with appliances.", "prompt_leak"),
        ("x" * 700, "length"),
        ("One. Two. Three. Four. Five. Six.", "length"),
    ],
)
def test_replies_the_assistant_must_not_give(text, category):
    assert verdict(text) == category


@pytest.mark.parametrize(
    "text",
    [
        "Unused items can be returned within 30 days of delivery.",
        "Refunds go back to the original payment method within 10 business days.",
        "Start a return at https://www.acme-appliances.example/returns.",
        "Call 1-800-555-0142 or write to care@acme-appliances.example.",
        "If someone is hurt, call emergency services.",
    ],
)
def test_policy_statements_and_known_contacts_pass(text):
    assert verdict(text) == ""


def test_personal_data_found_by_the_redactor_blocks_the_reply():
    assert verdict("Hello Maria.", personal_data=["person"]) == "personal_data"


def test_a_reply_repeating_the_system_text_is_a_leak():
    system = (
        "You are the customer-service assistant of Acme Appliances, "
        "a home-appliance store"
    )
    assert leaks_prompt(
        "Sure: you are the customer-service assistant of Acme Appliances, a home",
        system,
    )
    assert not leaks_prompt("I'm the Acme Appliances assistant.", system)


def test_contacts_compare_by_their_digits_or_lower_case():
    assert normalize_contact("(800) 555-0142") == normalize_contact("1-800-555-0142")
    assert normalize_contact("HTTPS://WWW.Acme-Appliances.example/returns.") == (
        "www.acme-appliances.example/returns"
    )


def test_a_full_stop_between_digits_ends_no_sentence():
    assert sentences("A filter costs $7.99. Fit it! Then 2.5 litres") == [
        "A filter costs $7.99.",
        "Fit it!",
        "Then 2.5 litres",
    ]
