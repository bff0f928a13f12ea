"""Record an AMI event stream from a running Asterisk as JSON lines, scrubbed.

    python -m tests.replay.record --config LAB/cti.toml --seconds 20 --out stream.jsonl

Each line is one event frame's headers, as the server's framer produced them. Scrubbing
removes what names the machine (SystemName) and keeps everything the server reads.

A new stream goes to fixtures/pending/ until the core handles what it shows; the replay
tests read fixtures/*.jsonl only, and each of those needs its golden file (golden/).
"""

from __future__ import annotations

import argparse
import asyncio
import json
from typing import Any

from cti import settings
from cti.ami.link import AmiLink, LinkCallbacks, LinkSettings

DROP = {"SystemName"}


def scrub(headers: Any) -> dict[str, Any]:
    return {k: v for k, v in headers.items() if k not in DROP}


async def record(config: str, seconds: float) -> list[dict[str, Any]]:
    frames: list[dict[str, Any]] = []
    callbacks = LinkCallbacks(
        on_frame=lambda h: frames.append(scrub(h)),
        on_malformed=lambda f, r: print("malformed:", r),
        on_up=lambda: print("recording"),
        on_down=print,
    )
    link = AmiLink(LinkSettings.of(settings.load(config).ami), callbacks)
    task = asyncio.create_task(link.run())
    await asyncio.sleep(seconds)
    task.cancel()
    return [f for f in frames if f.get("Event") not in {"FullyBooted", "TestEvent"}]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--config", required=True)
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--out", required=True)
    args = parser.parse_args()
    frames = asyncio.run(record(args.config, args.seconds))
    with open(args.out, "w") as fh:
        fh.writelines(json.dumps(frame) + "\n" for frame in frames)
    print("frames:", len(frames))


if __name__ == "__main__":
    main()
