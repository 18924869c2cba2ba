"""A choice round never serves fewer mentees than the optimum would have, and never overfills a mentor.

For random communities and random behaviour (mentees pick any entry, say none or stay
silent; mentors accept, decline or stay silent; silence accepting or not), the round's
final assignment — accepted picks plus `settle_choices`' fallback — is checked against
an independent referee: it serves at least as many mentees as the optimal assignment
of the mentees who never picked anyone (over every mentor's full free capacity), no
mentor exceeds their free capacity, and no mentor is offered to more mentees than
free capacity + margin.
"""

from __future__ import annotations

from collections import Counter

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.features.matching import build_shortlists, settle_choices
from tests.property.test_matching_optimality import random_round
from tests.support.independent import feasible_scores, free_slots, optimum_by_slots


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.integers(0, 10**6), st.booleans(), st.integers(0, 2), st.booleans(), st.data())
def test_choice_round_serves_at_least_the_optimum_of_those_who_did_not_pick(
    seed: int, dense: bool, margin: int, silence_accepts: bool, data: st.DataObject
) -> None:
    profiles, rules = random_round(seed, max_mentees=8, max_mentors=5, dense=dense)
    by_id = {p.member_id: p for p in profiles}
    lists = build_shortlists(profiles, rules, margin=margin)
    capacity = {p.member_id: p.free_capacity for p in profiles}
    for mentor, offered in lists.offers.items():
        assert offered <= capacity[mentor] + margin
    accepted: dict[int, int] = {}
    declined: set[tuple[int, int]] = set()
    never_picked: set[int] = set()
    pool: set[int] = set()
    used: Counter[int] = Counter()
    for shortlist in lists.lists:
        assert 1 <= len(shortlist.entries) <= 3
        assert len({e.mentor_id for e in shortlist.entries}) == len(shortlist.entries)
        mentee = shortlist.mentee_id
        action = data.draw(st.integers(-1, len(shortlist.entries)), label=f"mentee {mentee}")
        if action == -1:  # none of these fit
            continue
        if action == 0:  # never picked
            never_picked.add(mentee)
            pool.add(mentee)
            continue
        mentor = shortlist.entries[action - 1].mentor_id
        answer = data.draw(st.sampled_from(["accept", "decline", "silent"]), label=f"mentor of {mentee}")
        has_room = used[mentor] < capacity[mentor]
        if (answer == "accept" or (answer == "silent" and silence_accepts)) and has_room:
            accepted[mentee] = mentor
            used[mentor] += 1
        else:
            if answer != "silent":
                declined.add((mentee, mentor))
            pool.add(mentee)
    others = [p.member_id for p in profiles if p.role.seeks_mentor and p.member_id not in pool]
    fallback = settle_choices(profiles, rules, accepted, declined=declined, withdrawn=others)
    final = dict(accepted)
    for pair in fallback.pairs:
        assert pair.mentee_id in pool and pair.mentee_id not in final
        assert (pair.mentee_id, pair.mentor_id) not in declined
        final[pair.mentee_id] = pair.mentor_id
    load = Counter(final.values())
    for mentor, n in load.items():
        assert n <= free_slots(by_id[mentor]), f"mentor {mentor} over capacity"
    assert all(mentee != mentor for mentee, mentor in final.items())
    # The referee: the optimum over the mentees who never picked, with every mentor's full capacity.
    scores = {pair: u for pair, u in feasible_scores(profiles, rules).items() if pair[0] in never_picked}
    best, _ = optimum_by_slots(profiles, scores)
    assert len(final) >= best
