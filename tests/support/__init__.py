"""What tests share: the console chat harness, test databases, builders of communities and sign-ups,
the command tour, the Slack/Discord stacks and the 429-storm harness. `bench_api` is the one module
benchmarks may import."""
