"""Issue 16, rules that promised more than they held: team names normalised before matching
(and shown to moderators as grouped), moderators' blocks, pairs that never met."""

from bot.features.rounds.blocks import normalise_team
from tests.support.chat import Chat
from tests.support.community import sign_up


def test_team_names_are_normalised() -> None:
    assert normalise_team("Initech") == normalise_team("initech") == "initech"
    assert normalise_team("Acme Corp") == normalise_team("ACME corp.") == normalise_team(" acme,  Inc ") == "acme"
    assert normalise_team("Müller GmbH") == normalise_team("muller") == "muller"
    assert normalise_team("Corp") == "corp"  # a suffix alone is still a name
    assert normalise_team("Acme Labs") != normalise_team("Acme")


async def test_the_same_team_in_another_spelling_is_never_paired_and_moderators_see_the_grouping(chat: Chat) -> None:
    await chat("moderators: carol")
    await sign_up(chat, "maria", "mentor", team="Acme Corp")
    await sign_up(chat, "ann", "mentee", team="ACME corp.")
    await sign_up(chat, "ivan", "mentor", team="Initech")
    await sign_up(chat, "ines", "mentee", team="initech")
    out = await chat("@carol /mentor match")
    assert "ann ← maria" not in out and "ines ← ivan" not in out
    assert "ann ← ivan" in out and "ines ← maria" in out
    assert "Exclusions (never paired)" in out
    assert "Same team: ACME corp. / Acme Corp (2 members)" in out
    assert "Same team: Initech / initech (2 members)" in out


async def test_a_blocked_pair_is_never_proposed_and_only_moderators_see_why(chat: Chat) -> None:
    await chat("moderators: carol")
    await sign_up(chat, "maria", "mentor")
    await sign_up(chat, "ann", "mentee")
    out = await chat('@carol /mentor block @ann @maria "worked together at the old job"')
    assert "ann and maria will never be proposed to each other" in out
    out = await chat("@carol /mentor match")
    assert "ann ← maria" not in out and "0 pairs" in out
    assert "Blocked: maria & ann — worked together at the old job" in out
    out = await chat("@carol /mentor match recompute")
    assert "ann ← maria" not in out
    out = await chat("@carol /mentor blocks")
    assert "maria & ann — worked together at the old job" in out
    out = await chat("@ann /mentor blocks", "@ann /mentor block @ann @bob")
    assert out.count("Only moderators") == 2 and "old job" not in out
    out = await chat("@carol /mentor unblock @maria @ann")
    assert "may be proposed to each other again" in out
    out = await chat("@carol /mentor match")
    assert "ann ← maria" in out and "Blocked" not in out
    out = await chat("@carol /mentor block @ann @ann")
    assert "Name two different members." in out
    out = await chat("@carol /mentor block @ann @nobody")
    assert "I don't know a member called @nobody here." in out


async def test_a_pair_that_never_met_is_not_counted_as_completed(chat: Chat) -> None:
    await chat("moderators: carol", "@carol /mentor modchannel")
    for n in range(3):
        await sign_up(chat, f"mentor{n}", "mentor", topics_offered=[f"T{n}"])
        await sign_up(chat, f"mentee{n}", "mentee", topics_wanted=[f"T{n}"])
    await chat("@carol /mentor match", "@carol /mentor match approve")
    await chat("@mentee0 click We've had our kick-off")  # pair 1 met; pairs 2 and 3 ignore everything
    await chat("wait 200d")
    out = await chat("@carol /mentor stats")
    assert "Completed: 1\n" in out and "Ended without meeting: 2\n" in out
    out = await chat("@carol /mentor export")
    assert "3 pairings (2 ended without meeting)" in out


async def test_small_figures_are_shown_as_fewer_than_3(chat: Chat) -> None:
    await chat("moderators: carol")
    await sign_up(chat, "maria", "mentor")
    await sign_up(chat, "ann", "mentee")
    await chat("@carol /mentor match", "@carol /mentor match approve", "wait 100d", "@ann click 2", "@maria click 5")
    out = await chat("@carol /mentor stats")
    assert "Average feedback rating: fewer than 3 ratings" in out and "3.5" not in out
    assert "Kick-offs held: 0 of 1 (fewer than 3)" in out
    assert "Ended without meeting: 1" in out


async def test_words_campaign_names_as_typed_with_the_known_list(chat: Chat) -> None:
    await chat("moderators: carol")
    await sign_up(chat, "omar", "mentor", source="campaign:spring")
    out = await chat("@carol /mentor stats --campaign nosuch")
    assert "No sign-ups came from campaign nosuch. Known campaigns: spring." in out
    assert "campaign:nosuch" not in out


async def test_words_waiting_members_are_told_they_are_waiting(chat: Chat) -> None:
    await sign_up(chat, "ann", "mentee")
    for line in ("@ann /mentor goals", "@ann /mentor wrap-up"):
        out = await chat(line)
        assert "You're on the waiting list for the next matching round" in out
        assert "/mentor join" not in out
    out = await chat("@bob /mentor goals")  # never signed up
    assert "/mentor join signs you up" in out


async def test_words_a_one_letter_goal_is_refused_kindly(chat: Chat) -> None:
    await chat("moderators: carol")
    await sign_up(chat, "maria", "mentor")
    await sign_up(chat, "ann", "mentee")
    await chat("@carol /mentor match", "@carol /mentor match approve")
    out = await chat('@ann /mentor goal set "x"')
    assert "A goal works best when your partner can act on it: say it in a few words" in out
    out = await chat('@ann /mentor goal set "Learn Rust basics"')
    assert "Goal 1 is set" in out


async def test_words_suggestions_only_for_near_misses(chat: Chat) -> None:
    from bot.core.program import default_program

    program = default_program()
    assert program.suggest_topics("klingon") == []
    assert program.suggest_topics("pyton") == ["Python"]
    await chat("@zed /mentor join", "@zed click Both")
    out = await chat("@zed klingon")
    assert "I don't have the topic “klingon” in the list." in out and "Did you mean" not in out
    out = await chat("@zed Pyton")
    assert "Did you mean Python?" in out
