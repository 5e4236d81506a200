"""Helpers shared by the benchmark sections."""

from __future__ import annotations

import statistics
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LUTON = ROOT / "data" / "luton"


@dataclass
class Row:
    section: str
    measure: str
    value: str
    goal: str = ""
    met: bool | None = None

    def cells(self) -> list[str]:
        verdict = "" if self.met is None else ("yes" if self.met else "**no**")
        return [self.section, self.measure, self.value, self.goal, verdict]


def free_port() -> int:
    """A free TCP port on loopback."""
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def timings(fn, repeat: int, warmup: int = 2, prepare=None) -> list[float]:
    """Seconds per call of ``fn``; with ``prepare``, ``fn(prepare())`` with ``prepare`` outside
    the clock (what the client does before it sends a request is not the server's time)."""
    out = []
    for i in range(warmup + repeat):
        argument = prepare() if prepare is not None else None
        started = time.perf_counter()
        fn(argument) if prepare is not None else fn()
        if i >= warmup:
            out.append(time.perf_counter() - started)
    return out


def median_p95(values: list[float]) -> tuple[float, float]:
    ordered = sorted(values)
    p95 = ordered[min(len(ordered) - 1, int(round(0.95 * (len(ordered) - 1))))]
    return statistics.median(ordered), p95


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f} ms" if seconds < 10 else f"{seconds:.1f} s"


def luton_engine(origins: str | None = None):
    """Luton's engine with the app's default origins (output areas) unless ``origins`` says
    otherwise ("lsoa": the 121 LSOA centroids, kept as an extra row where a section gives one)."""
    import warnings

    from geo import Engine, load_bundle

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return Engine(load_bundle(LUTON), origins=origins)
