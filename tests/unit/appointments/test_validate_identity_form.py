import asyncio

from actions.appointments.validate_identity_form import ValidateIdentityForm


def test_the_identity_form_proves_the_customer(
    sqlite_store, make_tracker, dispatcher, domain, dana_id
):
    validator = ValidateIdentityForm(store=lambda: sqlite_store)
    assert validator.name() in domain["actions"]
    slots = ["customer_email", "customer_zip"]
    required = asyncio.run(
        validator.required_slots(slots, dispatcher, make_tracker(), domain)
    )
    assert required == slots
    tracker = make_tracker(slots={"customer_email": "dana.whitfield@example.com"})
    result = validator.validate_customer_zip("10001", dispatcher, tracker, domain)
    assert result["verified_customer_id"] == dana_id
    proven = make_tracker(slots={"verified_customer_id": dana_id})
    assert (
        asyncio.run(validator.required_slots(slots, dispatcher, proven, domain)) == []
    )
