"""Benchmark: mentee-choice shortlists for a whole community (issue 18).

    .venv/bin/python -m bench.choice [--row 20k] [--seed 1] [--repeat 3]

Builds the same realistic community as bench/matching.py's row (20k: 16,000 mentees and
4,000 mentors), then times the certified round alone (`run_round`, what any round costs),
`build_shortlists` (the certified round plus up to three suggestions per mentee under the
offer margin) end to end, and `settle_choices` for a deadline where a third of the
mentees never picked. Prints one JSON line with the medians.
Target: shortlists for 20k members ≤ 5 s on an idle 2-core machine.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import time

from bench.matching import SIZES, make_community
from bot.features.matching import build_shortlists, run_round, settle_choices


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--row", default="20k", choices=sorted(SIZES))
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    profiles, rules = make_community(*SIZES[args.row], args.seed)
    build_shortlists(profiles[:200], rules)  # load numpy/SciPy/OR-Tools outside the timing
    times, cpu, round_times, round_cpu, settle_times = [], [], [], [], []
    for _ in range(args.repeat):
        t0, c0 = time.perf_counter(), time.process_time()
        run_round(profiles, rules)
        round_times.append(time.perf_counter() - t0)
        round_cpu.append(time.process_time() - c0)
        t0, c0 = time.perf_counter(), time.process_time()
        lists = build_shortlists(profiles, rules)
        times.append(time.perf_counter() - t0)
        cpu.append(time.process_time() - c0)
        accepted = {s.mentee_id: s.entries[0].mentor_id for s in lists.lists[::3] if s.optimal}
        pool = {s.mentee_id for s in lists.lists[1::3]}
        others = [p.member_id for p in profiles if p.role.seeks_mentor and p.member_id not in pool]
        t0 = time.perf_counter()
        settle_choices(profiles, rules, accepted, withdrawn=others)
        settle_times.append(time.perf_counter() - t0)
    sizes = [len(s.entries) for s in lists.lists]
    print(
        json.dumps(
            {
                "row": args.row,
                "members": len(profiles),
                "mentees_with_lists": len(lists.lists),
                "suggestions": sum(sizes),
                "lists_of_3": sum(1 for n in sizes if n == 3),
                "optimal_first": sum(1 for s in lists.lists if s.optimal),
                "shortlists_s_median": round(statistics.median(times), 2),
                "shortlists_s_all": [round(t, 2) for t in times],
                "shortlists_cpu_s_median": round(statistics.median(cpu), 2),
                "round_only_s_median": round(statistics.median(round_times), 2),
                "round_only_cpu_s_median": round(statistics.median(round_cpu), 2),
                "settle_s_median": round(statistics.median(settle_times), 2),
                "load": os.getloadavg(),
            }
        )
    )


if __name__ == "__main__":
    main()
