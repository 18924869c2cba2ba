"""Matching benchmark: a synthetic community, timed end to end, exact vs greedy.

Usage:
    .venv/bin/python -m bench.matching [--seed 1] [--sizes small,medium,large] [--repeat 1]

Each (size, repeat) runs in a fresh subprocess so its peak RSS (ru_maxrss) is its
own; the parent prints one JSON object per line. Peak RSS includes the Python
interpreter, numpy/scipy and the generated profiles, i.e. what a real round costs.

The community is skewed the way real ones are: a few popular topics and a long
tail (Zipf), mentees outnumbering mentors, mostly English with regional second
languages, time zones clustered in the Americas, Europe and Asia, mentor
capacities 1–3, a few paused / non-consenting members, teams, do-not-match
entries and previous pairs.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import resource
import subprocess
import sys
import time

import numpy as np


from bot.features.matching import CADENCES, COMMUNICATION_MODES, PROGRAM_LENGTHS, MatchingRules, MatchProfile, Role  # noqa: E402
from bot.features.matching.assignment import greedy_assignment  # noqa: E402
from bot.features.matching.round import run_round  # noqa: E402

SIZES = {
    "small": (2_000, 667),
    "medium": (20_000, 5_000),
    "large": (70_000, 30_000),
}

POPULAR = [
    "Python", "Career growth", "JavaScript", "Leadership", "Data science", "Machine learning", "Cloud",
    "DevOps", "Product management", "Frontend", "Backend", "Public speaking", "Open source", "Go", "Rust",
    "Security", "Design", "Mobile", "Databases", "Testing",
]
TOPICS = POPULAR + [f"Niche topic {k:02d}" for k in range(60)]
LANGS = ["es", "de", "fr", "pt", "ja", "hi", "zh"]
GOAL_WORDS = (
    "staff engineer role promotion interview first job switch career team lead manager startup founder "
    "distributed system api design architecture scaling performance accessibility community talk conference "
    "portfolio side project contribution maintainer review mentoring hiring salary negotiation burnout balance "
    "freelance consulting research paper phd bootcamp certification exam kubernetes terraform react typescript "
    "django fastapi pandas pytorch statistics analytics visualization ux research writing documentation"
).split()
ZONES = [(-8, 0.12), (-7, 0.05), (-6, 0.08), (-5, 0.12), (-3, 0.05), (0, 0.08), (1, 0.15), (2, 0.07),
         (3, 0.03), (5.5, 0.08), (8, 0.07), (9, 0.04), (10, 0.03), (12, 0.01), (-10, 0.01), (4, 0.01)]


def _zipf(n: int, exponent: float) -> np.ndarray:
    w = 1.0 / np.arange(1, n + 1) ** exponent
    return w / w.sum()


def make_community(n_mentees: int, n_mentors: int, seed: int) -> tuple[list[MatchProfile], MatchingRules]:
    rng = np.random.default_rng(seed)
    n = n_mentees + n_mentors
    ids = rng.permutation(np.arange(10_000, 10_000 + 3 * n))[:n]
    demand_p = _zipf(len(TOPICS), 1.1)
    # Supply follows a slightly different ranking, so some topics run short (as in real programs).
    supply_order = np.arange(len(TOPICS))
    supply_order[[1, 3, 14, 20]] = supply_order[[3, 1, 20, 14]]
    supply_p = _zipf(len(TOPICS), 0.9)[np.argsort(supply_order)]
    zone_offsets = np.array([z for z, _ in ZONES])
    zone_p = np.array([p for _, p in ZONES])
    zone_p /= zone_p.sum()
    teams = [f"team-{k}" for k in range(300)]

    def topics(p: np.ndarray, low: int, high: int) -> frozenset[str]:
        k = int(rng.integers(low, high + 1))
        return frozenset(TOPICS[t] for t in rng.choice(len(TOPICS), size=k, replace=False, p=p))

    def languages() -> frozenset[str]:
        r = rng.random()
        if r < 0.06:  # no English at all
            return frozenset({LANGS[int(rng.integers(len(LANGS)))]})
        if r < 0.30:
            return frozenset({"en", LANGS[int(rng.integers(len(LANGS)))]})
        return frozenset({"en"})

    def goals(ts: frozenset[str]) -> str:
        words = list(rng.choice(GOAL_WORDS, size=int(rng.integers(3, 9)), replace=False))
        return "I want to " + " ".join(words) + " with " + " and ".join(sorted(ts))

    profiles: list[MatchProfile] = []
    member_ids = ids.tolist()
    for k, member in enumerate(member_ids):
        mentor = k >= n_mentees
        role = Role.MENTOR if mentor else Role.MENTEE
        if mentor and rng.random() < 0.04:
            role = Role.BOTH
        offered = topics(supply_p, 1, 4) if role.offers_mentoring else frozenset()
        wanted = topics(demand_p, 1, 3) if role.seeks_mentor else frozenset()
        capacity = int(rng.choice([1, 2, 3], p=[0.5, 0.3, 0.2])) if role.offers_mentoring else 1
        active = int(rng.integers(0, capacity)) if role.offers_mentoring and rng.random() < 0.2 else 0
        dnm = frozenset({member_ids[int(rng.integers(n))]}) if rng.random() < 0.005 else frozenset()
        profiles.append(
            MatchProfile(
                member_id=member,
                role=role,
                topics_offered=offered,
                topics_wanted=wanted,
                goals_text=goals(offered | wanted),
                years_experience=(int(rng.integers(3, 26)) if mentor else int(rng.integers(0, 9)))
                if rng.random() > 0.1
                else None,
                utc_offset_hours=float(rng.choice(zone_offsets, p=zone_p)),
                accepts_async=bool(rng.random() < 0.4),
                hours_per_month=int(rng.choice([1, 2, 4, 8])),
                program_length=PROGRAM_LENGTHS[int(rng.choice(3, p=[0.5, 0.3, 0.2]))],
                cadence=CADENCES[int(rng.choice(3, p=[0.3, 0.5, 0.2]))],
                communication=COMMUNICATION_MODES[int(rng.choice(3, p=[0.3, 0.6, 0.1]))],
                languages=languages(),
                capacity=capacity,
                active_mentees=active,
                consented=bool(rng.random() > 0.03),
                paused=bool(rng.random() < 0.03),
                team=teams[int(rng.integers(len(teams)))] if rng.random() < 0.5 else None,
                do_not_match=dnm,
                days_waiting=int(rng.integers(0, 121)),
                times_left_unmatched=int(rng.choice(3, p=[0.8, 0.15, 0.05])),
            )
        )
    previous = frozenset(
        (member_ids[int(rng.integers(n_mentees))], member_ids[n_mentees + int(rng.integers(n_mentors))])
        for _ in range(n // 50)
    )
    return profiles, MatchingRules(previous_pairs=previous)


def run_child(size: str, seed: int, scan_limit: int | None, top_k: int | None) -> dict[str, object]:
    n_mentees, n_mentors = SIZES[size]
    t0 = time.perf_counter()
    gc.disable()  # generation only: 100k profiles of long-lived objects (the round manages its own)
    profiles, rules = make_community(n_mentees, n_mentors, seed)
    gc.enable()
    overrides = {}
    if scan_limit:
        overrides["scan_limit_per_topic"] = scan_limit
    if top_k:
        overrides["candidates_per_mentee"] = top_k
    if overrides:
        rules = MatchingRules(**{**rules.__dict__, **overrides})
    seconds_generate = time.perf_counter() - t0

    timings: dict[str, float] = {}
    # CPU seconds too: the VM is shared, and wall time swings with other people's load.
    cpu0 = time.process_time()
    proposal, c, graph = run_round(profiles, rules, timings)
    cpu_total = time.process_time() - cpu0
    load = os.getloadavg()[0]
    greedy = greedy_assignment(graph.seekers, graph.mentors, graph.units, c.mentor_free)
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux
    return {
        "size": size,
        "seed": seed,
        "mentees": int(sum(p.role.seeks_mentor for p in profiles)),
        "mentors": int(sum(p.role.offers_mentoring for p in profiles)),
        "eligible_mentees": c.n_seekers,
        "available_mentors": c.n_mentors,
        "free_slots": int(c.mentor_free.sum()),
        "edges": graph.edges,
        "scanned_pairs": graph.scanned_pairs,
        "feasible_pairs": graph.feasible_pairs,
        "sampled_lists": graph.sampled_lists,
        "seconds_generate": round(seconds_generate, 3),
        "seconds_encode": round(timings["encode"], 3),
        "seconds_candidates": round(timings["candidates"], 3),
        "seconds_solve": round(timings["solve"], 3),
        "seconds_explain": round(timings["explain"], 3),
        "seconds_total": round(timings["total"], 3),
        "cpu_seconds_total": round(cpu_total, 3),
        "load_average_1m": round(load, 2),
        "peak_rss_mb": round(peak_kb / 1024, 1),
        "matched": len(proposal.pairs),
        "score": round(sum(p.score for p in proposal.pairs), 2),
        "average_score": proposal.average_score,
        "greedy_matched": int(len(greedy)),
        "greedy_score": round(int(graph.units[greedy].sum()) / 100, 2),
        "unmatched": len(proposal.unmatched),
        "unmatched_causes": _causes(proposal.unmatched),
        "demand_gaps": len(proposal.demand_gaps),
    }


def _causes(unmatched: list) -> dict[str, int]:
    out: dict[str, int] = {}
    for u in unmatched:
        out[u.cause] = out.get(u.cause, 0) + 1
    return dict(sorted(out.items()))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--sizes", default="small,medium,large")
    parser.add_argument("--repeat", type=int, default=1, help="runs per size (seeds seed, seed+1, …)")
    parser.add_argument("--scan-limit", type=int, default=None, help="override scan_limit_per_topic")
    parser.add_argument("--top-k", type=int, default=None, help="override candidates_per_mentee")
    parser.add_argument("--child", default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.child:
        print(json.dumps(run_child(args.child, args.seed, args.scan_limit, args.top_k)), flush=True)
        return
    for size in args.sizes.split(","):
        for r in range(args.repeat):
            cmd = [sys.executable, "-m", "bench.matching", "--child", size, "--seed", str(args.seed + r)]
            if args.scan_limit:
                cmd += ["--scan-limit", str(args.scan_limit)]
            if args.top_k:
                cmd += ["--top-k", str(args.top_k)]
            done = subprocess.run(cmd, capture_output=True, text=True, check=False)
            if done.returncode != 0:
                print(json.dumps({"size": size, "seed": args.seed + r, "error": done.stderr[-2000:]}), flush=True)
            else:
                print(done.stdout.strip(), flush=True)


if __name__ == "__main__":
    main()
