"""Effects are a closed set of kinds: a bare string becomes its kind, an unknown one is refused."""

import pytest

from dialogs.effects import Effect, EffectKind


def test_an_effect_named_by_a_string_gets_its_kind():
    effect = Effect("lookup_case", {"reference": "4821773025"})
    assert effect.kind is EffectKind.LOOKUP_CASE
    assert effect == Effect(EffectKind.LOOKUP_CASE, {"reference": "4821773025"})


def test_an_unknown_effect_is_refused_where_it_is_made():
    with pytest.raises(ValueError, match="delete_case"):
        Effect("delete_case", {})
