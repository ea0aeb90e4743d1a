"""What the CartPole examples share: the environment, seeding, the training loop's progress
bar and 100-episode average, the learning-curve plot and the command line.

The agents (``dqn.py``, ``actor_critic.py``) only say how one episode is played and learned
from; everything else lives here, once.
"""
from __future__ import annotations

import argparse
import os
import sys
import time
from collections import deque
from typing import Callable, Sequence

import numpy as np

import chainrule as cr

__all__ = ["ENV_ID", "SOLVED", "WINDOW", "require_gymnasium", "make_env", "seed_everything",
           "run_episodes", "moving_average", "solved", "plot_returns", "parse_args", "main"]

ENV_ID = "CartPole-v1"
SOLVED = 475.0  # CartPole-v1's reward threshold, over the last WINDOW episodes
WINDOW = 100


def __dir__():
    return __all__


def require_gymnasium():
    """Import gymnasium, or explain which extra installs it."""
    try:
        import gymnasium
    except ImportError as e:
        raise ImportError(
            "the reinforcement-learning examples need gymnasium, tqdm and matplotlib: "
            "pip install chainrule[rl]") from e
    return gymnasium


def make_env(seed: int):
    """CartPole-v1 with its action space seeded; the first ``reset`` must pass ``seed``."""
    gym = require_gymnasium()
    env = gym.make(ENV_ID)
    env.action_space.seed(seed)
    return env


def seed_everything(seed: int) -> np.random.Generator:
    """Seed chainrule (weights, ``Categorical.sample``) and return the NumPy generator the
    agent draws from (exploration, replay sampling). One seed fixes the whole run."""
    cr.manual_seed(seed)
    return np.random.default_rng(seed)


def run_episodes(play_episode: Callable[[int], float], episodes: int, *,
                 progress: bool = True, desc: str = "") -> list[float]:
    """Call ``play_episode(i)`` (which returns the episode's return) up to ``episodes`` times,
    stopping early once the average over the last 100 episodes reaches 475.

    A tqdm bar shows the episode, its return and the running average.
    """
    from tqdm import tqdm

    returns: list[float] = []
    window: deque[float] = deque(maxlen=WINDOW)
    bar = tqdm(range(episodes), desc=desc, disable=not progress, file=sys.stderr,
               dynamic_ncols=True)
    for i in bar:
        ret = float(play_episode(i))
        returns.append(ret)
        window.append(ret)
        average = sum(window) / len(window)
        bar.set_postfix(ret=f"{ret:.0f}", avg100=f"{average:.1f}", refresh=False)
        if len(window) == WINDOW and average >= SOLVED:
            break
    bar.close()
    return returns


def moving_average(returns: Sequence[float], window: int = WINDOW) -> np.ndarray:
    """Average of the last ``window`` returns at each episode (fewer at the start)."""
    r = np.asarray(returns, dtype=np.float64)
    c = np.concatenate([[0.0], np.cumsum(r)])
    i = np.arange(1, len(r) + 1)
    lo = np.maximum(0, i - window)
    return (c[i] - c[lo]) / (i - lo)


def solved(returns: Sequence[float]) -> bool:
    """Whether the last 100 returns average at least 475."""
    return len(returns) >= WINDOW and float(np.mean(returns[-WINDOW:])) >= SOLVED


def plot_returns(returns: Sequence[float], path: str, title: str) -> None:
    """Save the learning curve (each return and the 100-episode average) to ``path``."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 4))
    episodes = np.arange(1, len(returns) + 1)
    ax.plot(episodes, returns, lw=0.8, alpha=0.5, label="return")
    ax.plot(episodes, moving_average(returns), lw=2, label=f"average of last {WINDOW}")
    ax.axhline(SOLVED, color="k", ls="--", lw=1, label=f"solved ({SOLVED:.0f})")
    ax.set_xlabel("episode")
    ax.set_ylabel("return")
    ax.set_title(title)
    ax.legend(loc="upper left")
    fig.tight_layout()
    directory = os.path.dirname(os.path.abspath(path))
    os.makedirs(directory, exist_ok=True)
    fig.savefig(path, dpi=100)
    plt.close(fig)


def parse_args(description: str, episodes: int,
               argv: Sequence[str] | None = None) -> argparse.Namespace:
    """``--seed``, ``--episodes`` and ``--plot PATH``."""
    p = argparse.ArgumentParser(description=description)
    p.add_argument("--seed", type=int, default=0, help="seed for everything (default 0)")
    p.add_argument("--episodes", type=int, default=episodes,
                   help=f"most episodes to play (default {episodes}); training stops "
                        f"earlier once the last {WINDOW} average {SOLVED:.0f}")
    p.add_argument("--plot", metavar="PATH", help="save the learning curve to PATH (.png)")
    p.add_argument("--no-progress", action="store_true", help="hide the progress bar")
    return p.parse_args(argv)


def main(train: Callable[..., list[float]], name: str, episodes: int,
         argv: Sequence[str] | None = None) -> list[float]:
    """Parse the command line, train, report the episode count and wall time, plot."""
    require_gymnasium()
    args = parse_args(f"{name} on {ENV_ID} with chainrule", episodes, argv)
    start, cpu_start = time.perf_counter(), time.process_time()
    returns = train(args.seed, args.episodes, progress=not args.no_progress)
    elapsed = time.perf_counter() - start
    # CPU time too: on a shared machine wall time also counts other people's work.
    timing = f"{elapsed:.1f}s wall time ({time.process_time() - cpu_start:.1f}s CPU)"
    last = float(np.mean(returns[-WINDOW:]))
    if solved(returns):
        print(f"{name} seed {args.seed}: solved in {len(returns)} episodes "
              f"(average {last:.1f} over the last {WINDOW}), {timing}")
    else:
        print(f"{name} seed {args.seed}: NOT solved after {len(returns)} episodes "
              f"(average {last:.1f} over the last {min(WINDOW, len(returns))}), {timing}")
    if args.plot:
        plot_returns(returns, args.plot, f"{name} on {ENV_ID} (seed {args.seed})")
        print(f"learning curve saved to {args.plot}")
    return returns
