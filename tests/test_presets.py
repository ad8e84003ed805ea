"""The one shared override check (leapsbench.presets): every registered method refuses a
mistyped value with a ValueError naming the key, the value and the expected type."""

import importlib
import math

import pytest

from leapsbench.harness.methods import ALL_METHODS, METHOD_MODULES, make_method
from leapsbench.presets import typed_value

BAD_INTEGERS = (2.7, True, "abc", math.inf, None)
BAD_FLOATS = (True, "abc", math.nan, math.inf, [1.0])
BAD_STRINGS = (3, True, 1.5, None)


def _keys_of_type(name, wanted):
    adapter = importlib.import_module(METHOD_MODULES[name]).METHODS[name]
    return [k for k, types in adapter.key_types(name).items() if types == (wanted,)]


@pytest.mark.parametrize("name", ALL_METHODS)
def test_every_method_refuses_mistyped_overrides(name):
    checked = 0
    for wanted, bad_values, expected in (
        (int, BAD_INTEGERS, "an integer"),
        (float, BAD_FLOATS, "a finite number"),
        (str, BAD_STRINGS, "a string"),
    ):
        for key in _keys_of_type(name, wanted):
            for value in bad_values:
                with pytest.raises(ValueError) as err:
                    make_method(name, "quick", {key: value})
                message = str(err.value)
                assert f"{key} must be {expected}" in message and repr(value) in message
                checked += 1
    assert checked >= len(BAD_INTEGERS)  # every method has at least one integer key


def test_integer_keys_accept_integral_numbers_only():
    assert make_method("metropolis", "quick", {"n_chains": 1e2}).config["n_chains"] == 100
    assert make_method("smc", "quick", {"threshold": 1}).settings.threshold == 1.0
    with pytest.raises(ValueError, match=r"metropolis: n_chains must be an integer, got 2\.7"):
        make_method("metropolis", "quick", {"n_chains": 2.7})
    with pytest.raises(ValueError, match="n_chains must be an integer, got True .bool."):
        make_method("metropolis", "quick", {"n_chains": True})
    with pytest.raises(ValueError, match="n_chains must be an integer, got 'abc' .str."):
        make_method("metropolis", "quick", {"n_chains": "abc"})


def test_optional_and_choice_keys():
    assert typed_value("k", None, (float, type(None))) is None
    assert typed_value("k", (3, 5), (list,)) == [3, 5]
    with pytest.raises(ValueError, match="k must be a finite number or null, got 'x'"):
        typed_value("k", "x", (float, type(None)))
    with pytest.raises(ValueError, match="unknown MCMC rule 'gibbs'"):
        make_method("ais", "quick", {"rule": "gibbs"})
    assert make_method("smc", "quick", {"schedule": "linear"}).config["schedule"] == {
        "name": "linear"
    }
