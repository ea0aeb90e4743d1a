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

__all__ = ["ENV_ID", "SOLVED", "WINDOW", "EVAL_EPISODES", "Returns", "require_gymnasium",
           "make_env", "seed_everything", "greedy_evaluation", "run_episodes", "moving_average",
           "solved", "plot_returns", "parse_args", "main"]

ENV_ID = "CartPole-v1"
SOLVED = 475.0  # CartPole-v1's reward threshold, over the last WINDOW episodes
WINDOW = 100
EVAL_EPISODES = 100  # a greedy evaluation plays this many full, fresh episodes
EVAL_TRIGGER = 10    # evaluate when the last EVAL_TRIGGER training returns average SOLVED ...
EVAL_GAP = 10        # ... and at least EVAL_GAP episodes after the previous evaluation


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


class Returns(list):
    """The training returns, one per episode (a ``list``), plus the greedy evaluations run
    along the way: ``evaluations`` holds ``(episode, average of EVAL_EPISODES returns)``,
    every one of them, in order; ``solved_by`` says what stopped training (``"training"``,
    ``"evaluation"`` or ``None``)."""

    def __init__(self, *args):
        super().__init__(*args)
        self.evaluations: list[tuple[int, float]] = []
        self.solved_by: str | None = None


def greedy_evaluation(act: Callable[[np.ndarray], np.ndarray], seed: int,
                      episodes: int = EVAL_EPISODES) -> list[float]:
    """Play ``episodes`` full CartPole-v1 episodes with the greedy policy ``act`` (a batch of
    observations -> a batch of actions), no exploration and no learning; return their returns.

    The episodes run side by side (one batched forward per step) on fresh environments reset
    with the seeds ``seed, seed + 1, ...``, so an evaluation is reproducible and
    each call passes a new ``seed`` to see new starting states.
    """
    gym = require_gymnasium()
    envs = [gym.make(ENV_ID) for _ in range(episodes)]
    try:
        obs = np.stack([env.reset(seed=seed + k)[0] for k, env in enumerate(envs)])
        totals = np.zeros(episodes)
        live = np.arange(episodes)
        while live.size:
            actions = act(obs[live])
            still = []
            for j, a in zip(live, actions):
                obs[j], reward, terminated, truncated, _ = envs[j].step(int(a))
                totals[j] += reward
                if not (terminated or truncated):
                    still.append(j)
            live = np.asarray(still, dtype=np.int64)
    finally:
        for env in envs:
            env.close()
    return totals.tolist()


def run_episodes(play_episode: Callable[[int], float], episodes: int, *,
                 progress: bool = True, desc: str = "",
                 evaluate: Callable[[int], float] | None = None,
                 stop_on_training: bool = True, stop_on_evaluation: bool = True) -> Returns:
    """Call ``play_episode(i)`` (which returns the episode's return) up to ``episodes`` times,
    stopping early once the average over the last 100 episodes reaches 475.

    With ``evaluate`` (``evaluate(i)`` plays EVAL_EPISODES greedy episodes after training
    episode ``i`` and returns their average), training also stops when one evaluation
    averages 475. An evaluation is run whenever the last EVAL_TRIGGER training returns
    average 475 and EVAL_GAP episodes have passed since the previous one; all are recorded in
    ``Returns.evaluations``. ``stop_on_training=False`` (``stop_on_evaluation=False``) ignores
    the training average (the evaluations) for stopping.
    A tqdm bar shows the episode, its return, the running average and the last evaluation.
    """
    from tqdm import tqdm

    returns = Returns()
    window: deque[float] = deque(maxlen=WINDOW)
    last_eval = -EVAL_GAP
    bar = tqdm(range(episodes), desc=desc, disable=not progress, file=sys.stderr,
               dynamic_ncols=True)
    for i in bar:
        ret = float(play_episode(i))
        returns.append(ret)
        window.append(ret)
        average = sum(window) / len(window)
        postfix = dict(ret=f"{ret:.0f}", avg100=f"{average:.1f}")
        if returns.evaluations:
            postfix["greedy"] = f"{returns.evaluations[-1][1]:.1f}"
        bar.set_postfix(postfix, refresh=False)
        if stop_on_training and len(window) == WINDOW and average >= SOLVED:
            returns.solved_by = "training"
            break
        if (evaluate is not None and i - last_eval >= EVAL_GAP and len(returns) >= EVAL_TRIGGER
                and float(np.mean(returns[-EVAL_TRIGGER:])) >= SOLVED):
            last_eval = i
            returns.evaluations.append((i + 1, float(evaluate(i))))
            if stop_on_evaluation and returns.evaluations[-1][1] >= SOLVED:
                returns.solved_by = "evaluation"
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
    """Save the learning curve (each return, the 100-episode average and, where ``returns``
    has them, the greedy evaluations' averages) to ``path``."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 4))
    episodes = np.arange(1, len(returns) + 1)
    ax.plot(episodes, returns, lw=0.8, alpha=0.5, label="return")
    ax.plot(episodes, moving_average(returns), lw=2, label=f"average of last {WINDOW}")
    evaluations = getattr(returns, "evaluations", [])
    if evaluations:
        e, a = zip(*evaluations)
        ax.plot(e, a, "o", ms=5, color="C3",
                label=f"greedy evaluation ({EVAL_EPISODES} episodes)")
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


def parse_args(description: str, episodes: int, argv: Sequence[str] | None = None,
               evaluation: bool = False) -> argparse.Namespace:
    """``--seed``, ``--episodes``, ``--plot PATH``, ``--no-progress`` and, for an agent with
    greedy evaluations (``evaluation=True``), ``--no-eval``."""
    p = argparse.ArgumentParser(description=description)
    p.add_argument("--seed", type=int, default=0, help="seed for everything (default 0)")
    p.add_argument("--episodes", type=int, default=episodes,
                   help=f"most episodes to play (default {episodes}); training stops "
                        f"earlier once the last {WINDOW} average {SOLVED:.0f}")
    p.add_argument("--plot", metavar="PATH", help="save the learning curve to PATH (.png)")
    p.add_argument("--no-progress", action="store_true", help="hide the progress bar")
    if evaluation:
        p.add_argument("--no-eval", action="store_true",
                       help=f"no greedy evaluations: stop only when the last {WINDOW} training "
                            f"returns average {SOLVED:.0f}")
    return p.parse_args(argv)


def main(train: Callable[..., list[float]], name: str, episodes: int,
         argv: Sequence[str] | None = None, evaluation: bool = False) -> list[float]:
    """Parse the command line, train, report the episode count and wall time, plot.

    ``evaluation=True``: ``train`` takes ``evaluate=`` (greedy evaluations on or off).
    """
    require_gymnasium()
    args = parse_args(f"{name} on {ENV_ID} with chainrule", episodes, argv, evaluation)
    extra = {"evaluate": not args.no_eval} if evaluation else {}
    start, cpu_start = time.perf_counter(), time.process_time()
    returns = train(args.seed, args.episodes, progress=not args.no_progress, **extra)
    elapsed = time.perf_counter() - start
    # CPU time too: on a shared machine wall time also counts other people's work.
    timing = f"{elapsed:.1f}s wall time ({time.process_time() - cpu_start:.1f}s CPU)"
    last = float(np.mean(returns[-WINDOW:]))
    window = min(WINDOW, len(returns))
    evaluations = getattr(returns, "evaluations", [])
    if solved(returns):
        print(f"{name} seed {args.seed}: solved in {len(returns)} episodes "
              f"(training average {last:.1f} over the last {WINDOW}), {timing}")
    elif getattr(returns, "solved_by", None) == "evaluation":
        episode, average = evaluations[-1]
        print(f"{name} seed {args.seed}: solved in {len(returns)} episodes by greedy "
              f"evaluation: average {average:.1f} over {EVAL_EPISODES} episodes at episode "
              f"{episode} (evaluation {len(evaluations)} of this run; training average "
              f"{last:.1f} over the last {window}), {timing}")
    else:
        print(f"{name} seed {args.seed}: NOT solved after {len(returns)} episodes "
              f"(training average {last:.1f} over the last {window}"
              + (f"; best of {len(evaluations)} greedy evaluations "
                 f"{max(a for _, a in evaluations):.1f}" if evaluations else "")
              + f"), {timing}")
    if args.plot:
        plot_returns(returns, args.plot, f"{name} on {ENV_ID} (seed {args.seed})")
        print(f"learning curve saved to {args.plot}")
    return returns
