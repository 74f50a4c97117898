"""Train the two reference networks of ``python -m backpropkit`` and compare them with their targets.

Targets on the 8x8 digits: the fully connected net at least 97% test accuracy, the convnet at
least 98%, each within 60 s on two cores. Prints accuracy, seconds, and seconds as a fraction of
the budget (below 1 meets it). Timings depend on the machine and on what else runs on it.

    python benchmarks/bench_training.py [--seeds 0 1 2] [--blas-threads 1]
"""

from __future__ import annotations

import argparse
import statistics

from threadpoolctl import threadpool_limits

from backpropkit.__main__ import RECIPES, train_recipe

TARGET_ACCURACY = {RECIPES[0].name: 0.97, RECIPES[1].name: 0.98}
BUDGET_SECONDS = 60.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0])
    parser.add_argument("--blas-threads", type=int, default=1, help="BLAS threads (the main job uses 1)")
    args = parser.parse_args()
    print(f"{'model':<40}{'seed':>5}{'test acc':>10}{'target':>8}{'seconds':>9}{'/ budget':>10}")
    with threadpool_limits(limits=args.blas_threads, user_api="blas"):
        for recipe in RECIPES:
            accuracies = []
            for seed in args.seeds:
                result = train_recipe(recipe, seed=seed, progress=False)
                accuracies.append(result.test_accuracy)
                target = TARGET_ACCURACY[recipe.name]
                print(f"{recipe.name:<40}{seed:>5}{result.test_accuracy:>10.2%}{target:>8.0%}"
                      f"{result.seconds:>9.1f}{result.seconds / BUDGET_SECONDS:>10.2f}", flush=True)
            if len(accuracies) > 1:
                print(f"{'':<40}{'mean':>5}{statistics.mean(accuracies):>10.2%}   "
                      f"(min {min(accuracies):.2%}, over {len(accuracies)} seeds)")


if __name__ == "__main__":
    main()
