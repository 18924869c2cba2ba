"""The public matching benchmark: reproducible instances, the certified engine, and baselines.

Usage:
    .venv/bin/python -m bench.matching [--rows 2k,20k,100k,2k/shared-favourites,...] [--runs 3] [--seed 1]
                                       [--no-baselines]

A row is ONE instance: a size, a family and one seed (`make_community` below is the
documented generator; anyone can rebuild the same profiles from these three values).
Per row the bench prints JSON lines:

* `"kind": "run"` — one fresh process timing the certified engine end to end
  (`propose_round` in its default mode): stage seconds, CPU seconds, peak RSS
  (ru_maxrss of that process: interpreter, numpy/SciPy/OR-Tools and the generated
  profiles included), the 1-minute load average at start and end, matched, score
  and the certificate (bound = value, iterations, pairs priced);
* `"kind": "row"` — the median of the `--runs` fresh processes, with the load
  averages seen, and the quality baselines on the same instance, computed once in
  another fresh process: greedy by score over the FULL feasible graph, a uniformly
  random maximal pairing over the full graph, and the old sparse-only engine
  (exact over each mentee's top 25 of a sampled scan). Lifts are engine − baseline.

Families (see `_adversarial`): realistic (skewed topics — Zipf demand and supply on 80
topics with 4 popular ones swapped so some run short —, English plus regional second
languages, time zones clustered in the Americas, Europe and Asia, capacities 1–3, ~3%
paused and ~3% without consent, teams, do-not-match entries, previous pairs);
shared-favourites (25 mentors who fit everyone best, capacity 1); one-star (one such
mentor, capacity 3); one-timezone (everyone at UTC+0).
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from dataclasses import replace

import numpy as np

from bot.features.matching import CADENCES, COMMUNICATION_MODES, PROGRAM_LENGTHS, MatchingRules, MatchProfile, Role

# name -> (mentees, mentors). Mentor capacities are 1–3 (half 1, 30% 2, 20% 3).
SIZES = {
    "2k": (2_000, 667),
    "20k": (16_000, 4_000),
    "100k": (80_000, 20_000),
}
FAMILIES = ("realistic", "shared-favourites", "one-star", "one-timezone")

POPULAR = [
    "Python",
    "Career growth",
    "JavaScript",
    "Leadership",
    "Data science",
    "Machine learning",
    "Cloud",
    "DevOps",
    "Product management",
    "Frontend",
    "Backend",
    "Public speaking",
    "Open source",
    "Go",
    "Rust",
    "Security",
    "Design",
    "Mobile",
    "Databases",
    "Testing",
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
ZONES = [
    (-8, 0.12),
    (-7, 0.05),
    (-6, 0.08),
    (-5, 0.12),
    (-3, 0.05),
    (0, 0.08),
    (1, 0.15),
    (2, 0.07),
    (3, 0.03),
    (5.5, 0.08),
    (8, 0.07),
    (9, 0.04),
    (10, 0.03),
    (12, 0.01),
    (-10, 0.01),
    (4, 0.01),
]


def _zipf(n: int, exponent: float) -> np.ndarray:
    w = 1.0 / np.arange(1, n + 1) ** exponent
    return w / w.sum()


def make_community(
    n_mentees: int, n_mentors: int, seed: int, family: str = "realistic"
) -> tuple[list[MatchProfile], MatchingRules]:
    """One benchmark instance: a pure function of (sizes, seed, family)."""
    if family not in FAMILIES:
        raise ValueError(f"family must be one of {FAMILIES}")
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
    if family != "realistic":
        profiles = _adversarial(profiles, n_mentees, family)
    previous = frozenset(
        (member_ids[int(rng.integers(n_mentees))], member_ids[n_mentees + int(rng.integers(n_mentors))])
        for _ in range(n // 50)
    )
    return profiles, MatchingRules(previous_pairs=previous)


STAR = dict(
    topics_offered=frozenset(TOPICS),
    languages=frozenset({"en", *LANGS}),
    accepts_async=True,
    utc_offset_hours=0.0,
    years_experience=12,
    cadence="biweekly",
    program_length="3-6",
    communication="video",
    hours_per_month=8,
    active_mentees=0,
    consented=True,
    paused=False,
    team=None,
)


def _adversarial(profiles: list[MatchProfile], n_mentees: int, family: str) -> list[MatchProfile]:
    """Turn a realistic instance into one of the hard families (same members, same seed)."""
    if family == "one-timezone":
        return [replace(p, utc_offset_hours=0.0) for p in profiles]
    mentors = [k for k in range(n_mentees, len(profiles))]
    # "shared-favourites": the first 25 mentors offer every topic and language, accept async and
    # fit everyone's preferences, capacity 1: every mentee's top 25 are the same 25 people.
    # "one-star": one such mentor with capacity 3.
    stars, capacity = (mentors[:25], 1) if family == "shared-favourites" else (mentors[:1], 3)
    out = list(profiles)
    for k in stars:
        p = out[k]
        out[k] = replace(p, role=Role.MENTOR, capacity=capacity, topics_wanted=frozenset(), **STAR)
    return out


def _row_spec(row: str) -> tuple[str, str]:
    size, _, family = row.partition("/")
    if size not in SIZES or (family or "realistic") not in FAMILIES:
        raise SystemExit(f"unknown row {row!r}: sizes {sorted(SIZES)}, families {FAMILIES}")
    return size, family or "realistic"


def _instance(size: str, family: str, seed: int) -> tuple[list[MatchProfile], MatchingRules, float]:
    t0 = time.perf_counter()
    gc.disable()  # generation only: 100k profiles of long-lived objects (the round manages its own)
    profiles, rules = make_community(*SIZES[size], seed, family)
    gc.enable()
    return profiles, rules, time.perf_counter() - t0


def child_run(size: str, family: str, seed: int) -> dict[str, object]:
    """One fresh process: the certified engine, timed."""
    from bot.features.matching import run_round

    profiles, rules, seconds_generate = _instance(size, family, seed)
    load_start = os.getloadavg()[0]
    timings: dict[str, float] = {}
    cpu0 = time.process_time()  # CPU seconds too: the machine is shared, wall time swings with its load
    proposal, c, graph = run_round(profiles, rules, timings)
    cpu = time.process_time() - cpu0
    cert = proposal.certificate
    assert cert is not None
    score_units = sum(round(p.score * 100) for p in proposal.pairs)
    return {
        "kind": "run",
        "size": size,
        "family": family,
        "seed": seed,
        "eligible_mentees": c.n_seekers,
        "available_mentors": c.n_mentors,
        "free_slots": int(c.mentor_free.sum()),
        "feasible_pairs": graph.feasible_pairs,
        "graph_edges": graph.edges,
        "seconds_generate": round(seconds_generate, 2),
        **{f"seconds_{k}": round(v, 3) for k, v in timings.items()},
        "cpu_seconds": round(cpu, 2),
        "load_1m_start": round(load_start, 2),
        "load_1m_end": round(os.getloadavg()[0], 2),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "matched": len(proposal.pairs),
        "score": score_units / 100,
        "certified": cert.proved,
        "bound": cert.bound,
        "value": cert.value,
        "iterations": cert.iterations,
        "pairs_priced": cert.edges_priced,
        "ranges_skipped": cert.segments_skipped,
        "edges_added": cert.edges_added,
    }


def child_baselines(size: str, family: str, seed: int) -> dict[str, object]:
    """One fresh process: greedy and random on the full feasible graph, and the old sparse-only engine."""
    from bot.features.matching import encode, greedy_on_feasible_graph, random_pairing, run_round

    profiles, rules, _ = _instance(size, family, seed)
    load_start = os.getloadavg()[0]
    c = encode(profiles, rules)
    out: dict[str, object] = {"kind": "baselines", "size": size, "family": family, "seed": seed}
    for name, run in (
        ("greedy_full", lambda: greedy_on_feasible_graph(c)),
        ("random_full", lambda: random_pairing(c, seed)),
    ):
        t0 = time.perf_counter()
        _, _, u = run()
        out[f"{name}_matched"] = len(u)
        out[f"{name}_score"] = int(u.sum()) / 100
        out[f"{name}_seconds"] = round(time.perf_counter() - t0, 2)
    timings: dict[str, float] = {}
    proposal, _, _ = run_round(profiles, rules, timings, mode="sparse")
    out["sparse_matched"] = len(proposal.pairs)
    out["sparse_score"] = sum(round(p.score * 100) for p in proposal.pairs) / 100
    out["sparse_seconds"] = round(timings["total"], 2)
    out["load_1m_start"] = round(load_start, 2)
    out["load_1m_end"] = round(os.getloadavg()[0], 2)
    return out


def _spawn(what: str, size: str, family: str, seed: int) -> dict[str, object]:
    cmd = [sys.executable, "-m", "bench.matching", "--child", what, "--rows", f"{size}/{family}", "--seed", str(seed)]
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    done = subprocess.run(cmd, capture_output=True, text=True, check=False, cwd=root)
    if done.returncode != 0:
        return {"kind": what, "size": size, "family": family, "seed": seed, "error": done.stderr[-2000:]}
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", default="2k,20k,100k,2k/shared-favourites,2k/one-star,2k/one-timezone")
    parser.add_argument("--seed", type=int, default=1, help="the one seed of every row")
    parser.add_argument("--runs", type=int, default=3, help="fresh processes per row (the median is reported)")
    parser.add_argument("--no-baselines", action="store_true")
    parser.add_argument("--only-baselines", action="store_true", help="skip the timed runs (quality figures only)")
    parser.add_argument("--child", choices=["run", "baselines"], help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.child:
        size, family = _row_spec(args.rows)
        result = (child_run if args.child == "run" else child_baselines)(size, family, args.seed)
        print(json.dumps(result), flush=True)
        return
    for row in args.rows.split(","):
        size, family = _row_spec(row)
        if args.only_baselines:
            print(json.dumps(_spawn("baselines", size, family, args.seed)), flush=True)
            continue
        runs = []
        for _ in range(args.runs):
            run = _spawn("run", size, family, args.seed)
            print(json.dumps(run), flush=True)
            if "error" not in run:
                runs.append(run)
        if not runs:
            continue
        summary: dict[str, object] = {
            "kind": "row",
            "size": size,
            "family": family,
            "seed": args.seed,
            "runs": len(runs),
        }
        for key in ("seconds_total", "cpu_seconds", "peak_rss_mb", "seconds_candidates", "seconds_solve"):
            summary[f"{key}_median"] = statistics.median(float(r[key]) for r in runs)  # type: ignore[arg-type]
        summary["load_1m_seen"] = sorted({r["load_1m_start"] for r in runs} | {r["load_1m_end"] for r in runs})  # type: ignore[misc]
        first = runs[0]
        for key in (
            "eligible_mentees",
            "available_mentors",
            "free_slots",
            "feasible_pairs",
            "graph_edges",
            "matched",
            "score",
            "certified",
            "bound",
            "value",
            "iterations",
            "pairs_priced",
            "edges_added",
        ):
            summary[key] = first[key]
        # Same instance, same answer: every run must agree (determinism).
        summary["runs_agree"] = all(
            (r["matched"], r["score"], r["bound"]) == (first["matched"], first["score"], first["bound"]) for r in runs
        )
        if not args.no_baselines:
            base = _spawn("baselines", size, family, args.seed)
            print(json.dumps(base), flush=True)
            if "error" not in base:
                for name in ("greedy_full", "random_full", "sparse"):
                    summary[f"{name}_matched"] = base[f"{name}_matched"]
                    summary[f"{name}_score"] = base[f"{name}_score"]
                    summary[f"lift_matched_vs_{name}"] = int(first["matched"]) - int(base[f"{name}_matched"])  # type: ignore[arg-type]
                    summary[f"lift_score_vs_{name}"] = round(float(first["score"]) - float(base[f"{name}_score"]), 2)  # type: ignore[arg-type]
        print(json.dumps(summary), flush=True)


if __name__ == "__main__":
    main()
