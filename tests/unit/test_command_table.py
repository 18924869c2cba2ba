"""The command table is checked against the platforms' limits before anything uses it."""

from dataclasses import replace

from bot.bootstrap import all_features
from bot.core.feature import Arg, ArgKind, Command, Feature, Form, FormField, check_table


async def _noop(ctx: object, args: list[str]) -> list:  # never called: only declared
    return []


def test_the_shipped_table_fits_every_platform() -> None:
    assert check_table(all_features()) == []


def test_each_limit_is_enforced() -> None:
    ok = Command("goal set", "goal set", "set a goal", _noop)
    cases = {
        "declared by": [Feature("a", commands=(ok,)), Feature("b", commands=(ok,))],
        "not a valid Discord name": [Feature("a", commands=(replace(ok, name="goal Set!"),))],
        "summary over": [Feature("a", commands=(replace(ok, summary="x" * 101),))],
        "both a sub-command and a group": [Feature("a", commands=(ok, Command("goal", "goal", "x", _noop)))],
        "help of": [Feature("a", commands=(replace(ok, args=(Arg("when", ArgKind.WHEN, ""),)),))],
        "over 25 entries": [Feature("a", commands=tuple(Command(f"c{i}", "c", "x", _noop) for i in range(26)))],
        "must be 1–45 characters": [
            Feature("a", forms=(Form("mentor:f:1:x", "T", "Go", (FormField("q", "L" * 46),)),))
        ],
    }
    for expected, features in cases.items():
        problems = check_table(features)
        assert any(expected in p for p in problems), (expected, problems)


def test_typed_values_become_the_text_the_core_parses() -> None:
    poll = next(c for f in all_features() for c in f.commands if c.name == "poll")
    text = poll.to_text({"question": 'Join "us"?', "options": "A, b | C", "anonymous": True, "closes": "3d"})
    assert text == 'poll "Join \'us\'?" --options "A, b" "C" --closes "3d" --anonymous'
