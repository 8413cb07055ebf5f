import pytest

from actions.appointments import catalog


@pytest.mark.parametrize(
    "text, expected",
    [
        ("washer", "washer"),
        ("my washing machine", "washer"),
        # NLU sometimes tags only the first word of "washing machine".
        ("washing", "washer"),
        ("dishwashing", None),
        ("the Fridge", "refrigerator"),
        ("fridge freezer", "refrigerator"),
        ("stove", "oven"),
        ("dish washer", "dishwasher"),
        ("microwave", None),
        ("'; DROP TABLE appointments; --", None),
        ("w" * 10_000, None),
        (None, None),
    ],
)
def test_appliances_by_their_everyday_names(text, expected):
    assert catalog.appliance(text) == expected


@pytest.mark.parametrize(
    "text, expected",
    [
        ("repair", "repair"),
        ("it's broken", "repair"),
        ("please install it", "installation"),
        ("a tune up", "maintenance"),
        ("paint it blue", None),
    ],
)
def test_service_types_by_their_everyday_names(text, expected):
    assert catalog.service_type(text) == expected


def test_the_catalog_lists_every_appliance():
    assert catalog.appliances() == [
        "dishwasher",
        "dryer",
        "oven",
        "refrigerator",
        "washer",
    ]
